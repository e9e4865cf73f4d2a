"""Pages of the memory's graph within a token limit, with opaque, stable cursors.

``read_graph``, ``search_nodes`` and ``open_nodes`` (the MCP tools) return a graph
``{"entities": [...], "relations": [...]}`` that can be far larger than a client takes.
:func:`graph_page` returns one page of it within ``limit`` tokens (the one fitting rule:
:func:`~tokopt_pipeline.lib.engine.fit.fit`), shaped as the graph with three more keys:
``nextCursor`` (None on the last page), ``remaining`` (``{"entities": E, "relations":
R}`` after this page) and ``note`` (what was left out and the call that gets it).

Order: entities in the graph's own order (by creation, then name: an entity added later
comes after every entity there before), then relations sorted by (from, to, type).
Paging from no cursor to the last page shows every entity and relation once; only an
entity too big for a page on its own is split: the page shows it with the observations
that fit and the next page shows it again with the next ones (the note says so), and
one observation too big for a page is shown cut, saying how much was left out.

A cursor names the next item to show: its position and a hash of its identity (entity
name, or relation), and which tool and arguments it belongs to, in base64url. It is
opaque to clients, the same for the same position, and found again by identity when
items were added in between, so a page never repeats or skips an item that was there
when the walk began (an item added in between may be missed by that walk). A cursor of
another tool or query is refused (:class:`CursorError`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tokopt_pipeline.lib.engine.fit import Fitted, Result, TooSmall, cut_text, fit, structured_json

__all__ = ["CursorError", "graph_page"]

Graph = dict[str, list[dict[str, Any]]]
_VERSION = "g1"  # of the cursor's layout


class CursorError(ValueError):
    """A cursor this tool did not give for these arguments, or one the graph no longer has."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(structured_json(list(parts)).encode()).hexdigest()[:10]


def _rel_key(r: dict[str, Any]) -> tuple[str, str, str]:
    return (str(r["from"]), str(r["to"]), str(r["relationType"]))


@dataclass(frozen=True)
class _Position:
    """The next item: entity ``entity`` from observation ``obs``, or (``entity`` ==
    number of entities) relation ``relation``."""

    entity: int
    obs: int = 0
    relation: int = 0


class _Pager:
    def __init__(self, graph: Graph, tool: str, args: Any, limit: int):
        self.entities = graph["entities"]
        self.relations = sorted(graph["relations"], key=_rel_key)
        self.tool, self.limit = tool, limit
        self.scope = _digest(tool, args)
        self.args_note = "" if args in (None, {}, [], "") else " and the same arguments"

    # -- cursors ------------------------------------------------------------------
    def _identity(self, pos: _Position) -> str:
        if pos.entity < len(self.entities):
            return _digest("e", self.entities[pos.entity]["name"])
        return _digest("r", *_rel_key(self.relations[pos.relation]))

    def encode(self, pos: _Position) -> str:
        doc = f"{_VERSION}.{self.scope}.{pos.entity}.{pos.obs}.{pos.relation}.{self._identity(pos)}"
        return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> _Position:
        again = f"call {self.tool} without a cursor to start again"
        try:
            version, scope, e_, o_, r_, h = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(".")
            e, o, r = int(e_), int(o_), int(r_)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise CursorError(f"not a cursor {self.tool} gave: {again}") from None
        if version != _VERSION or scope != self.scope:
            raise CursorError(f"this cursor belongs to another call (another tool or other arguments): {again}")
        ne = len(self.entities)
        if 0 <= e < ne and self._identity(_Position(e)) == h:
            return _Position(e, max(0, o))
        if e >= ne and 0 <= r < len(self.relations) and self._identity(_Position(ne, 0, r)) == h:
            return _Position(ne, 0, r)
        # Items were added before it: find the item again by its identity.
        for i in range(ne):
            if self._identity(_Position(i)) == h:
                return _Position(i, max(0, o))
        for j in range(len(self.relations)):
            if self._identity(_Position(ne, 0, j)) == h:
                return _Position(ne, 0, j)
        raise CursorError(f"the item this cursor points at is no longer in the graph: {again}")

    # -- pages --------------------------------------------------------------------
    def items(self, start: _Position) -> list[_Position]:
        """Every item from ``start`` on, each as the position where it begins."""
        ne = len(self.entities)
        out = [_Position(i) for i in range(start.entity, ne)]
        if out:
            out[0] = start
        first_rel = start.relation if start.entity >= ne else 0
        out += [_Position(ne, 0, j) for j in range(first_rel, len(self.relations))]
        return out

    def render(self, shown: Sequence[tuple[_Position, list[str] | None]], nxt: _Position | None,
               split: str | None = None) -> Result:
        """A page showing ``shown`` (an entity's observations given: those only), with
        ``nxt`` the next item (None: this is the last page)."""
        ents: list[dict[str, Any]] = []
        rels: list[dict[str, Any]] = []
        for pos, obs in shown:
            if pos.entity < len(self.entities):
                e = self.entities[pos.entity]
                ents.append({"name": e["name"], "entityType": e["entityType"],
                             "observations": list(e["observations"][pos.obs:]) if obs is None else obs})
            else:
                rels.append(self.relations[pos.relation])
        page: dict[str, Any] = {"entities": ents, "relations": rels, "nextCursor": None,
                                "remaining": {"entities": 0, "relations": 0}, "note": None}
        if nxt is not None:
            cursor = self.encode(nxt)
            ne = len(self.entities)
            more_e = max(0, ne - nxt.entity)
            more_r = len(self.relations) - (nxt.relation if nxt.entity >= ne else 0)
            page["nextCursor"] = cursor
            page["remaining"] = {"entities": more_e, "relations": more_r}
            what = f"{more_e:,} more entit{'y' if more_e == 1 else 'ies'} and {more_r:,} more relation{'' if more_r == 1 else 's'}"
            page["note"] = ((split + "; " if split else "")
                            + f"{what} left out to stay within max_tokens={self.limit:,}: "
                            f"call {self.tool} with cursor set to nextCursor{self.args_note}")
        return Result((structured_json(page),), page)

    def page(self, cursor: str | None) -> Fitted:
        start = self.decode(cursor) if cursor else _Position(0)
        items = self.items(start)
        if start.entity < len(self.entities) and start.obs >= len(self.entities[start.entity]["observations"]) > 0:
            items = items[1:]  # the observations this cursor points after are all shown

        def whole(k: int) -> Result:
            return self.render([(p, None) for p in items[:k]], items[k] if k < len(items) else None)

        try:
            return fit(len(items), whole, self.limit)
        except TooSmall:
            first = items[0] if items else None
            if first is None or first.entity >= len(self.entities) or not self.entities[first.entity]["observations"][first.obs:]:
                raise
        return self._split(first, items[1] if len(items) > 1 else None)

    def _split(self, first: _Position, after: _Position | None) -> Fitted:
        """The first item, an entity too big for a page, with as many of its
        observations as fit (the first of them cut if even it does not)."""
        e = self.entities[first.entity]
        obs = list(e["observations"][first.obs:])
        total = len(e["observations"])

        def nxt(shown: int) -> _Position | None:
            return _Position(first.entity, first.obs + shown) if shown < len(obs) else after

        def note(shown: int) -> str | None:
            if shown >= len(obs):
                return None
            return (f"entity {e['name']!r} continues on the next page with observation "
                    f"{first.obs + shown + 1:,} of {total:,}")

        def part(m: int) -> Result:
            return self.render([(first, obs[:m])], nxt(m), note(m))

        def cut(c: int) -> Result:
            return self.render([(first, [cut_text(obs[0], c)])], nxt(1), note(1))

        return fit(len(obs), part, self.limit, cut=(len(obs[0]), cut))


def graph_page(graph: Graph, *, tool: str, args: Any = None, cursor: str | None = None, limit: int) -> Fitted:
    """One page of ``graph`` within ``limit`` tokens, from ``cursor`` (None: the first).

    ``tool`` and ``args`` (the call's other arguments, e.g. the query) name the call in
    the note and bind the cursor to it.

    Raises:
        CursorError: the cursor is not one this call gave.
        TooSmall: ``limit`` cannot hold even one item (or a cut of it).
    """
    return _Pager(graph, tool, args, limit).page(cursor)
