"""Priority levels and vectorized tagging of lines.

Every line gets one of five levels (DESIGN.md, stage 3). Rules are ordered
``(regex, level)`` pairs evaluated with polars' Rust regex engine; the first rule that
matches a line decides its level, and a line no rule matches is ``low``. A cheap
union pre-filter skips the ordered evaluation for the (usually vast) majority of lines
that no rule can match.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import polars as pl

from .errors import TokoptError, EXIT_USAGE


class Level(enum.IntEnum):
    """Lower value = more important."""

    CRITICAL = 0
    HIGH = 1
    MEDIUM = 2
    LOW = 3
    VERBOSE = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Level":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(l.label for l in cls)
            raise UsageError(f"unknown priority level {text!r}: use one of {names}") from None


LEVELS = list(Level)
DEFAULT_LEVEL = Level.LOW


class UsageError(TokoptError):
    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Rule:
    pattern: str
    level: Level
    note: str = ""


def validate_regex(pattern: str) -> None:
    """Raise UsageError if polars' regex engine cannot compile ``pattern``."""
    try:
        pl.Series([""], dtype=pl.Utf8).str.contains(pattern)
    except Exception as exc:  # polars raises ComputeError with the engine's message
        msg = str(exc).strip().splitlines()
        raise UsageError(f"invalid priority pattern {pattern!r}: {msg[-1] if msg else exc}") from None


def parse_priority_pattern(spec: str) -> Rule:
    """``'REGEX=LEVEL'`` -> Rule. The last ``=`` separates the level."""
    if "=" not in spec:
        raise UsageError(f"--add-priority-pattern takes REGEX=LEVEL, got {spec!r}")
    pattern, _, level = spec.rpartition("=")
    if not pattern:
        raise UsageError(f"--add-priority-pattern {spec!r} has an empty pattern")
    validate_regex(pattern)
    return Rule(pattern, Level.parse(level), note="user")


def tag_levels(lines: pl.Series, rules: list[Rule]) -> pl.Series:
    """Vectorized: the level (UInt8) of each line under ordered ``rules``."""
    n = len(lines)
    if n == 0 or not rules:
        return pl.Series("level", [int(DEFAULT_LEVEL)] * n, dtype=pl.UInt8)
    union = "|".join(f"(?:{r.pattern})" for r in rules)
    df = pl.DataFrame({"line": lines}).with_row_index("i")
    hit = df.filter(pl.col("line").str.contains(union))
    levels = pl.Series("level", [int(DEFAULT_LEVEL)] * n, dtype=pl.UInt8)
    if hit.height == 0:
        return levels
    expr = None
    for r in rules:
        cond = pl.col("line").str.contains(r.pattern)
        expr = pl.when(cond).then(pl.lit(int(r.level), dtype=pl.UInt8)) if expr is None else expr.when(cond).then(pl.lit(int(r.level), dtype=pl.UInt8))
    expr = expr.otherwise(pl.lit(int(DEFAULT_LEVEL), dtype=pl.UInt8))
    tagged = hit.select("i", expr.alias("level"))
    return levels.scatter(tagged["i"], tagged["level"])


def tag_line(line: str, rules: list[Rule]) -> Level:
    """Level of one line (same semantics as tag_levels; for tests and small inputs)."""
    return Level(int(tag_levels(pl.Series([line], dtype=pl.Utf8), rules)[0]))


def filter_levels(min_level: Level) -> set[int]:
    """The level values kept by ``--priority-filter min_level`` (that level and above)."""
    return {int(l) for l in Level if l <= min_level}


__all__ = ["Level", "Rule", "tag_levels", "tag_line", "parse_priority_pattern", "validate_regex", "UsageError", "filter_levels"]
