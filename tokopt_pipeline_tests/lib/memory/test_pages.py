"""Pages of the graph: stable, opaque cursors that survive items added between calls."""

from __future__ import annotations

import pytest

from tokopt_pipeline.lib.memory.pages import CursorError, graph_page


def _graph(n: int, extra: int = 0) -> dict:
    ents = [{"name": f"e{i:03d}", "entityType": "T", "observations": [f"observation {j} of entity {i}" for j in range(3)]}
            for i in range(n)]
    ents += [{"name": f"new{i}", "entityType": "T", "observations": ["added later"]} for i in range(extra)]
    rels = [{"from": f"e{i:03d}", "to": f"e{(i + 1) % n:03d}", "relationType": "next"} for i in range(n)]
    return {"entities": ents, "relations": rels}


def _walk(graphs: list[dict], limit: int = 600) -> tuple[list[str], list[tuple], list[dict]]:
    """Page through, taking the graph of the next call from ``graphs`` (the last one repeats)."""
    names, rels, pages, cursor, i = [], [], [], None, 0
    while True:
        page = graph_page(graphs[min(i, len(graphs) - 1)], tool="read_graph", cursor=cursor, limit=limit).result.structured
        pages.append(page)
        names += [e["name"] for e in page["entities"]]
        rels += [(r["from"], r["to"]) for r in page["relations"]]
        cursor, i = page["nextCursor"], i + 1
        if cursor is None:
            return names, rels, pages


def test_the_same_position_gives_the_same_cursor_and_the_walk_shows_each_item_once():
    g = _graph(60)
    a = graph_page(g, tool="read_graph", limit=600).result.structured
    b = graph_page(g, tool="read_graph", limit=600).result.structured
    assert a["nextCursor"] == b["nextCursor"] and a["remaining"]["entities"] == 60 - len(a["entities"])
    names, rels, pages = _walk([g])
    assert names == [e["name"] for e in g["entities"]] and len(rels) == 60 == len(set(rels))
    assert len(pages) > 3


def test_items_added_between_calls_never_make_a_page_repeat_or_skip_an_older_item():
    before, after = _graph(60), _graph(60, extra=5)
    after["relations"].insert(0, {"from": "a-first", "to": "e000", "relationType": "next"})  # sorts before all
    names, rels, _ = _walk([before, before, after])
    assert names == [e["name"] for e in after["entities"]]  # the new entities come after the old
    assert sorted(r for r in rels if r[0] != "a-first") == sorted((r["from"], r["to"]) for r in before["relations"])
    assert len(rels) == len(set(rels))


def test_cursors_of_another_call_or_made_up_are_refused():
    g = _graph(60)
    cursor = graph_page(g, tool="search_nodes", args={"query": "a"}, limit=600).result.structured["nextCursor"]
    with pytest.raises(CursorError, match="another call"):
        graph_page(g, tool="search_nodes", args={"query": "b"}, cursor=cursor, limit=600)
    with pytest.raises(CursorError, match="another call"):
        graph_page(g, tool="read_graph", cursor=cursor, limit=600)
    for bad in ("", "!!", "Zm9v", "ZzEuYS4xLjIuMy5o"):
        with pytest.raises(CursorError):
            graph_page(g, tool="search_nodes", args={"query": "a"}, cursor=bad or "x", limit=600)
    gone = {"entities": [], "relations": []}
    with pytest.raises(CursorError, match="no longer in the graph"):
        graph_page(gone, tool="search_nodes", args={"query": "a"}, cursor=cursor, limit=600)


pytestmark = pytest.mark.usefixtures("backend")  # every test on DuckDB and on PostgreSQL
