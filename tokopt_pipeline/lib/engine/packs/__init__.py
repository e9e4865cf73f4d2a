"""Runner packs: one module per ecosystem (see :mod:`.base` for what a pack holds).

Adding an ecosystem is one module with a ``PACK`` and its fixtures; list it in
``PACKS`` below. The engine applies every pack to every line (one job log runs
several tools), through the helpers here: the packs' tagging rules, one candidate
regex per kind of line for the vectorized pass, and the Python-side readers of the
few candidate lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tokopt_pipeline.lib.engine.literals import strip_names
from tokopt_pipeline.lib.engine.packs import cc, docker, go, js, jvm, node_pm, python, rust, shell, terraform
from tokopt_pipeline.lib.engine.packs.base import Pack, TestLine, TotalsLine
from tokopt_pipeline.lib.engine.packs.scopes import ScopeTracker, scope_names
from tokopt_pipeline.lib.engine.priority import Rule

PACKS: tuple[Pack, ...] = tuple(
    m.PACK for m in (rust, go, js, jvm, cc, python, docker, terraform, node_pm, shell)
)
#: Every (pack, scope) a line can be in, by code (0: none); see :mod:`.scopes`.
SCOPES: tuple[tuple[str, str], ...] = scope_names(PACKS)


def scope_tracker() -> ScopeTracker:
    """A fresh tracker of the packs' scopes, for one pass over a log."""
    return ScopeTracker(PACKS)


def rules(active: frozenset[str] | None = None) -> list[Rule]:
    """The tagging rules of the ``active`` packs (every pack's when None), in pack
    order (first match wins)."""
    return [r for p in PACKS if active is None or p.name in active for r in p.rules]


def activation() -> dict[str, list[str]]:
    """For each pack, the lines that show its tools ran (its ``detect``). A pack applies (its rules, its failing-test and totals lines, its
    event boundaries) from the first batch of a log that holds one of them on
    (:class:`~..analysis.Analyzer`): a log of other tools pays one scan for the packs."""
    return {p.name: [p.detect] for p in PACKS if p.detect}


#: A pattern that matches no line, and fails at once (anchored) when tried.
NOTHING = r"^\b\B"


def _union(patterns: list[str]) -> str:
    """One regex matching what any of ``patterns`` matches (their group names dropped:
    a name may be used by several)."""
    if not patterns:
        return NOTHING
    return "|".join(f"(?:{strip_names(p)})" for p in patterns)


@lru_cache(maxsize=64)
def test_candidate(active: frozenset[str] | None = None) -> str:
    """One regex (polars syntax) over the ``active`` packs' failing-test lines (every
    pack's when None)."""
    return _union([t.pattern for p in PACKS if active is None or p.name in active for t in p.tests])


@lru_cache(maxsize=64)
def totals_candidate(active: frozenset[str] | None = None) -> str:
    """One regex (polars syntax) over the ``active`` packs' totals lines (every pack's
    when None)."""
    return _union([t.pattern for p in PACKS if active is None or p.name in active for t in p.totals])


@lru_cache(maxsize=64)
def block_start(active: frozenset[str] | None = None) -> str:
    """One regex over the ``active`` packs' block starts (lines that open a new event)."""
    return _union([b for p in PACKS if active is None or p.name in active for b in p.block_starts])


@lru_cache(maxsize=64)
def continuation(active: frozenset[str] | None = None) -> str:
    """One regex over the ``active`` packs' continuation lines (they extend the event
    before)."""
    return _union([c for p in PACKS if active is None or p.name in active for c in p.continues])


@lru_cache(maxsize=64)
def section_start(active: frozenset[str] | None = None) -> str:
    """One regex over the ``active`` packs' section starts (failure reports that run
    over blank lines)."""
    return _union([x for p in PACKS if active is None or p.name in active for x in p.sections])


@lru_cache(maxsize=64)
def section_end(active: frozenset[str] | None = None) -> str:
    """One regex over the lines that close the ``active`` packs' sections."""
    return _union([x for p in PACKS if active is None or p.name in active for x in p.section_ends])


@lru_cache(maxsize=64)
def join_next(active: frozenset[str] | None = None) -> str:
    """One regex over the lines whose next line belongs to their event."""
    return _union([x for p in PACKS if active is None or p.name in active for x in p.joins_next])


@lru_cache(maxsize=64)
def scope_marker(active: frozenset[str] | None = None) -> str:
    """One regex over the ``active`` packs' scope markers."""
    return _union([x.pattern for p in PACKS if active is None or p.name in active for x in p.scopes])


@dataclass(frozen=True)
class TestHit:
    pack: str
    test_id: str
    name: str
    file: str
    kind: str


@dataclass(frozen=True)
class TotalsHit:
    pack: str
    text: str
    failed: bool | None  # None: the pack does not say; the generic reading decides


@lru_cache(maxsize=1)
def _compiled_tests() -> list[tuple[str, re.Pattern[str], TestLine]]:
    return [(p.name, re.compile(t.pattern), t) for p in PACKS for t in p.tests]


@lru_cache(maxsize=1)
def _compiled_totals() -> list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]:
    return [(p.name, re.compile(t.pattern), re.compile(t.failed) if t.failed else None) for p in PACKS for t in p.totals]


def failing_test(line: str, scope: int = 0) -> TestHit | None:
    """The failing test a line names, by the first pack whose test pattern matches;
    ``scope``: the code of the scope the line is in (:data:`SCOPES`), for the patterns
    that count only in some."""
    where = SCOPES[scope] if 0 < scope < len(SCOPES) else ("", "")
    for pack, rx, t in _compiled_tests():
        if t.scopes or t.not_in:
            name = where[1] if where[0] == pack else ""
            if (t.scopes and name not in t.scopes) or name in t.not_in:
                continue
        m = rx.search(line)
        if m:
            d = m.groupdict()
            test_id = (d.get("id") or "").strip()
            if not test_id:
                continue
            return TestHit(pack, test_id, (d.get("name") or test_id).strip(), (d.get("file") or "").strip(), t.kind)
    return None


def totals(line: str) -> TotalsHit | None:
    """The totals a line reports, by the first pack whose totals pattern matches."""
    for pack, rx, failed in _compiled_totals():
        m = rx.search(line)
        if m:
            text = (m.groupdict().get("text") or line).strip()
            return TotalsHit(pack, text, bool(failed.search(text)) if failed is not None else None)
    return None


@lru_cache(maxsize=1)
def _compiled_event_tests() -> list[re.Pattern[str]]:
    return [re.compile(x) for p in PACKS for x in p.event_tests]


def event_test(line: str) -> str | None:
    """The test whose failure an event opened by ``line`` reports (a libtest section
    header, a panic in a test's thread), by the packs' ``event_tests``."""
    for rx in _compiled_event_tests():
        m = rx.search(line)
        if m and m.group("id"):
            return m.group("id").strip()
    return None


@lru_cache(maxsize=1)
def _compiled_event_errors() -> re.Pattern[str] | None:
    pats = [x for p in PACKS for x in p.event_errors]
    return re.compile("|".join(f"(?:{strip_names(x)})" for x in pats)) if pats else None


@lru_cache(maxsize=1)
def _compiled_event_error_list() -> list[re.Pattern[str]]:
    return [re.compile(x) for p in PACKS for x in p.event_errors]


def event_error(lines: list[str]) -> tuple[str, str] | None:
    """The error an event's ``lines`` state by the packs' ``event_errors``: (its message,
    what identifies it). The first such line's group ``msg`` identifies it, with the line
    after it when it ends with ":" (a panic's location, then its message); the message is
    that, after the line's group ``who`` when it has one (the thread that panicked), so
    that the same panic in two tests is one error, shown as the first one's."""
    gate = _compiled_event_errors()
    if gate is None:
        return None
    for i, line in enumerate(lines):
        if not gate.search(line):
            continue
        for rx in _compiled_event_error_list():
            m = rx.search(line)
            if m is None:
                continue
            d = m.groupdict()
            ident = (d.get("msg") or line).strip()
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if ident.endswith(":") and nxt:
                ident = f"{ident} {nxt}"
            who = (d.get("who") or "").strip()
            return (f"{who} {ident}" if who else ident), ident
    return None


__all__ = ["PACKS", "SCOPES", "event_error", "scope_tracker", "join_next", "scope_marker", "event_test", "Pack", "TestLine", "TotalsLine", "rules", "activation", "NOTHING", "test_candidate", "totals_candidate", "block_start", "continuation",
           "failing_test", "totals", "TestHit", "TotalsHit"]
