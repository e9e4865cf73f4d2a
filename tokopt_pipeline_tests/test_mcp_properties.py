"""Properties of the MCP tools over random stores and limits: no result holds more
tokens than its ``max_tokens``, and paging the graph never loses or repeats an item.

The tools are called in-process through the SDK's own client (the same result
conversion as over stdio, without a subprocess per example); the stdio transport is
covered by ``test_mcp_tools.py``.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mcp import Client

from tokopt_pipeline.lib.engine import tokens
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.mcp_server import build_server

pytestmark = pytest.mark.slow  # a DuckDB store and an MCP session per example

TEXT = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def result_tokens(res) -> int:
    n = sum(tokens.count(block.text) for block in res.content)
    if res.structured_content is not None:
        n += tokens.count(json.dumps(res.structured_content, ensure_ascii=False, separators=(",", ":")))
    return n


@st.composite
def observations(draw) -> str:
    if draw(st.integers(0, 9)) == 0:  # now and then one far over a small limit
        return draw(st.text(TEXT, min_size=1, max_size=12)) * draw(st.integers(200, 1500))
    return draw(st.text(TEXT, min_size=1, max_size=200))


@st.composite
def graphs(draw) -> list[dict]:
    names = draw(st.lists(st.text(TEXT, min_size=1, max_size=40), min_size=0, max_size=25, unique=True))
    names = [f"n:{n}" for n in names]
    records = [{"type": "entity", "name": n, "entityType": draw(st.sampled_from(["Service", "Host", "ErrorType", "Test"])),
                "observations": draw(st.lists(observations(), max_size=draw(st.sampled_from([3, 3, 60])), unique=True))}
               for n in names]
    if names:
        pairs = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names), st.sampled_from(["calls", "needs"])),
                              max_size=60, unique=True))
        records += [{"type": "relation", "from": a, "to": b, "relationType": r} for a, b, r in pairs]
    return records


@st.composite
def runs(draw) -> list[dict]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        errors = [{"fingerprint": f"{i:02d}{j:06d}ab", "name": f"ValueError: {draw(st.text(TEXT, max_size=60))} [{i:02d}{j:06d}]",
                   "exc_type": "ValueError", "message": "m", "count": draw(st.integers(1, 50)),
                   "first_line": 10 * j + 1, "last_line": 10 * j + 5, "example": draw(st.text(TEXT, max_size=120)), "tests": []}
                  for j in range(draw(st.integers(0, 12)))]
        failed = [{"test_id": f"tests/test_{k}.py::test_{draw(st.text('abcxyz_', min_size=1, max_size=30))}_{k}", "kind": "failed",
                   "fingerprint": None, "what": draw(st.text(TEXT, max_size=150))}
                  for k in range(draw(st.integers(0, 40)))]
        out.append({"run_id": f"run-{i}", "suite": "unit", "commit": None, "log_path": f"/nowhere/run-{i}.log",
                    "recorded_at": f"2026-01-0{i + 1}T10:00:00.000000", "lines": 100, "totals": ["== 3 failed =="],
                    "errors": errors, "failed": failed, "passed": [], "passes_known": False, "summary_path": None})
    return out


_TOO_SMALL = re.compile(r"max_tokens=([\d,]+) is too small for this result: it needs at least ([\d,]+)")


async def _page_through(client, tool: str, args: dict, limit: int) -> list[dict]:
    """Every page of a paged tool at ``limit``. A page whose one item (an entity or a
    relation named in long text) cannot fit is refused with the size that fits it: the
    call is made again with that size, as a client does, and must then succeed."""
    pages, cursor = [], None
    for _ in range(2000):
        call = {**args, **({"cursor": cursor} if cursor else {})}
        res = await client.call_tool(tool, {**call, "max_tokens": limit})
        used = limit
        if res.is_error:
            m = _TOO_SMALL.search(res.content[0].text)
            assert m, res.content[0].text
            used = int(m.group(2).replace(",", ""))
            assert used > limit
            res = await client.call_tool(tool, {**call, "max_tokens": used})
            assert not res.is_error, res.content[0].text
        assert result_tokens(res) <= used
        pages.append(res.structured_content)
        cursor = res.structured_content["nextCursor"]
        if cursor is None:
            return pages
    raise AssertionError("paging did not end")


def _same_observation(shown: str, whole: str) -> bool:
    if shown == whole:
        return True
    head, cut, _ = shown.partition(" …[cut: ")
    return bool(cut) and shown.endswith(" more characters]") and whole.startswith(head) and len(head) < len(whole)


def _check_paging(pages: list[dict], whole: dict) -> None:
    """Every entity (in order) and relation once; an entity's observations once each,
    over consecutive pages when it spans several."""
    shown: dict[str, list[str]] = {}
    on: dict[str, list[int]] = {}
    rels = []
    for i, page in enumerate(pages):
        for e in page["entities"]:
            shown.setdefault(e["name"], []).extend(e["observations"])
            on.setdefault(e["name"], []).append(i)
        rels += [(r["from"], r["to"], r["relationType"]) for r in page["relations"]]
    assert list(shown) == [e["name"] for e in whole["entities"]]
    for e in whole["entities"]:
        got = shown[e["name"]]
        assert len(got) == len(e["observations"]) and all(map(_same_observation, got, e["observations"]))
        assert on[e["name"]] == list(range(on[e["name"]][0], on[e["name"]][0] + len(on[e["name"]])))
    assert sorted(rels) == sorted((r["from"], r["to"], r["relationType"]) for r in whole["relations"])


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: minutes per failure here
@given(graph=graphs(), recorded=runs(), limit=st.integers(500, 3000), query=st.text(TEXT, max_size=3),
       log=st.lists(st.text(TEXT, max_size=300), min_size=1, max_size=400), pattern=st.sampled_from(["a", "(?i)e", ".", "^$", "x+y"]))
def test_no_result_over_its_limit_and_paging_loses_nothing(graph, recorded, limit, query, log, pattern):
    from tokopt_pipeline.lib import memory

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(root / "store.duckdb", root / "pending", lock_timeout=5)
        for run in recorded:
            assert store.write("memory_record_run", run) == "applied"
        if graph:
            assert store.write("memory_import", {"records": graph}) == "applied"
        log_path = root / "random.log"
        log_path.write_text("\n".join(log) + "\n", encoding="utf-8")
        with store.connect() as conn:
            whole = memory.read_graph(conn)
            found = memory.search_nodes(conn, query)
            names = [e["name"] for e in whole["entities"]][::3]
            opened = memory.open_nodes(conn, names)

        async def body() -> None:
            async with Client(build_server(store)) as client:
                _check_paging(await _page_through(client, "read_graph", {}, limit), whole)
                _check_paging(await _page_through(client, "search_nodes", {"query": query}, limit), found)
                _check_paging(await _page_through(client, "open_nodes", {"names": names}, limit), opened)
                calls = [
                    ("list_runs", {"limit": 50}),
                    ("summarize_log", {"path": str(log_path)}),
                    ("log_lines", {"path": str(log_path), "start": 1, "end": len(log) + 5}),
                    ("log_grep", {"path": str(log_path), "pattern": pattern, "context": 2}),
                ]
                if recorded:
                    calls.append(("failures", {"run": "latest"}))
                for name, args in calls:
                    res = await client.call_tool(name, {**args, "max_tokens": limit})
                    assert not res.is_error, (name, res.content[0].text)
                    assert result_tokens(res) <= limit, name

        anyio.run(body)


def test_an_item_too_big_for_the_limit_is_refused_with_a_size_that_fits_it(tmp_path):
    """Entities named in long astral-plane text: one relation between two of them is
    more than 500 tokens. The page is refused with the size that fits it, never sent
    over the limit, and paging at that size loses nothing."""
    from tokopt_pipeline.lib import memory

    store = Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5)
    names = ["n:" + "".join(chr(0x100000 + 37 * i + j) for j in range(40)) for i in range(3)]
    graph = [{"type": "entity", "name": n, "entityType": "Service", "observations": ["up"]} for n in names]
    graph += [{"type": "relation", "from": names[0], "to": names[1], "relationType": "calls"}]
    assert store.write("memory_import", {"records": graph}) == "applied"
    with store.connect() as conn:
        whole = memory.read_graph(conn)

    async def body() -> None:
        async with Client(build_server(store)) as client:
            first = await client.call_tool("read_graph", {"max_tokens": 500})
            assert first.is_error and _TOO_SMALL.search(first.content[0].text), first.content[0].text
            _check_paging(await _page_through(client, "read_graph", {}, 500), whole)

    anyio.run(body)
