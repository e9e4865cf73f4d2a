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
from tokopt_pipeline.lib.engine.priority import Rule

PACKS: tuple[Pack, ...] = tuple(
    m.PACK for m in (rust, go, js, jvm, cc, python, docker, terraform, node_pm, shell)
)


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


def failing_test(line: str) -> TestHit | None:
    """The failing test a line names, by the first pack whose test pattern matches."""
    for pack, rx, t in _compiled_tests():
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


__all__ = ["PACKS", "Pack", "TestLine", "TotalsLine", "rules", "activation", "NOTHING", "test_candidate", "totals_candidate", "block_start", "continuation",
           "failing_test", "totals", "TestHit", "TotalsHit"]
