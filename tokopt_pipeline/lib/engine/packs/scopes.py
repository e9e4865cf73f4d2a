"""Where in a runner's output a line is: the packs' scopes (:class:`~.base.Scope`),
followed through a log batch by batch.

Each line gets the code of the scope it is in (0: none), from the marker lines of the
active packs (found by a vectorized pattern set; a batch without one is one fill). The
codes index :data:`SCOPES`. A failing-test line with scopes counts only in them
(:func:`tokopt_pipeline.lib.engine.packs.failing_test`), and lines in a quiet scope are
at most low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl

from tokopt_pipeline.lib.engine.packs.base import Pack
from tokopt_pipeline.lib.engine.priority import Level


def scope_names(packs: tuple[Pack, ...]) -> tuple[tuple[str, str], ...]:
    """Every (pack, scope) a marker of ``packs`` enters; index 0 is no scope."""
    out: list[tuple[str, str]] = [("", "")]
    for p in packs:
        for s in p.scopes:
            if s.enter and (p.name, s.enter) not in out:
                out.append((p.name, s.enter))
    return tuple(out)


@dataclass(frozen=True)
class _Marker:
    pack: str
    rx: re.Pattern[str]
    enter: int
    after: frozenset[int]


@lru_cache(maxsize=8)
def _markers(packs: tuple[Pack, ...]) -> tuple[_Marker, ...]:
    names = scope_names(packs)
    code = {n: i for i, n in enumerate(names)}
    return tuple(
        _Marker(p.name, re.compile(s.pattern), code[(p.name, s.enter)] if s.enter else 0,
                frozenset(code[(p.name, a)] for a in s.after if (p.name, a) in code))
        for p in packs for s in p.scopes
    )


def quiet_codes(packs: tuple[Pack, ...]) -> list[int]:
    names = scope_names(packs)
    return [i for i, (pack, name) in enumerate(names) if i and any(p.name == pack and name in p.quiet_scopes for p in packs)]


@dataclass
class ScopeTracker:
    """The scope a log is in, carried from batch to batch."""

    packs: tuple[Pack, ...]
    code: int = 0
    _quiet: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._quiet = quiet_codes(self.packs)

    def _next(self, line: str, active: frozenset[str]) -> int:
        for m in _markers(self.packs):
            if m.pack in active and (not m.after or self.code in m.after) and m.rx.search(line):
                return m.enter
        return self.code

    def feed(self, lines: list[str], rows: list[int], active: frozenset[str]) -> pl.Series | None:
        """The scope code of each of ``lines`` (``rows``: the indexes of the lines that
        may be markers, in order); None when every line is in no scope."""
        start = self.code
        if not rows:
            return None if start == 0 else pl.repeat(start, len(lines), dtype=pl.UInt16, eager=True)
        marks = []
        for i in rows:
            self.code = self._next(lines[i], active)
            marks.append(self.code)
        if start == 0 and not any(marks):
            return None
        blank = pl.repeat(None, len(lines), dtype=pl.UInt16, eager=True)
        return blank.scatter(rows, pl.Series(marks, dtype=pl.UInt16)).forward_fill().fill_null(start).alias("scope")

    def quiet(self, scope: pl.Series, level: pl.Series) -> pl.Series:
        """``level`` with the lines in a quiet scope lowered to low at most."""
        if not self._quiet:
            return level
        low = int(Level.LOW)
        frame = pl.DataFrame({"scope": scope, "level": level})
        return frame.select(
            pl.when(pl.col("scope").is_in(self._quiet) & (pl.col("level") < low))
            .then(pl.lit(low, dtype=level.dtype)).otherwise(pl.col("level")).alias(level.name)
        ).to_series()
