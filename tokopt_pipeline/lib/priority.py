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
    """A regex and the level it gives a line it matches.

    ``within`` > 0 restricts the match to the first ``within`` characters of the line
    (an explicit severity field near the start of a line, not a word in a message).
    """

    pattern: str
    level: Level
    note: str = ""
    within: int = 0


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


#: Most rules in one prefilter union: past a few dozen alternatives the regex engine's
#: lazy DFA cache overflows and it falls back to a far slower engine.
_PREFILTER_RULES = 40


def _column(within: int) -> str:
    return f"head{within}" if within else "line"


def _runs(rules: list[Rule]) -> list[tuple[int, int, str]]:
    """Consecutive rules of the same level and scope merged into one pattern."""
    runs: list[tuple[int, int, list[str]]] = []
    for r in rules:
        if (runs and runs[-1][0] == int(r.level) and runs[-1][1] == r.within
                and sum(len(p) + 6 for p in runs[-1][2]) + len(r.pattern) <= _PREFILTER_CHARS):
            runs[-1][2].append(r.pattern)
        else:
            runs.append((int(r.level), r.within, [r.pattern]))
    return [(lv, w, "|".join(f"(?:{p})" for p in pats)) for lv, w, pats in runs]


def _prefilter(rules: list[Rule], column: str = "line") -> list[pl.Expr]:
    """Unions of at most ``_PREFILTER_RULES`` rules, over the whole line.

    The prefilter only asks whether any rule may match, so rules join one union
    whatever their order, level and scope: each union costs about one scan of the
    text. A rule limited to the start of a line is tried on all of it here, which may
    let through a line it matches only further on; :func:`levels_of_candidates` then
    applies the limit.
    """
    line = pl.col(column)
    return [line.str.contains(union) for union in _unions([r.pattern for r in rules])]


#: Most pattern text in one prefilter union: the regex engine refuses a compiled
#: program over its size limit, and large Unicode classes (``\w``) grow it fast.
_PREFILTER_CHARS = 2500


def _unions(pats: list[str]) -> list[str]:
    """``pats`` joined into unions of at most ``_PREFILTER_RULES`` patterns and about
    ``_PREFILTER_CHARS`` characters each."""
    out: list[list[str]] = [[]]
    size = 0
    for p in pats:
        if out[-1] and (len(out[-1]) >= _PREFILTER_RULES or size + len(p) > _PREFILTER_CHARS):
            out.append([])
            size = 0
        out[-1].append(p)
        size += len(p) + 6
    return ["|".join(f"(?:{p})" for p in chunk) for chunk in out if chunk]


def prefilter_expr(rules: list[Rule], column: str = "line") -> pl.Expr:
    """Boolean: the line may get a level other than the default under ``rules``.

    A line that only rules of the default level match gets the default level, so
    those rules are left out (they matter only in the ordered pass, where they shadow
    the rules after them).
    """
    lifting = [r for r in rules if r.level != DEFAULT_LEVEL]
    if not lifting:
        return pl.lit(False)
    return pl.any_horizontal(_prefilter(lifting, column))


def levels_of_candidates(n: int, index: pl.Series, cand: pl.Series, rules: list[Rule]) -> pl.Series:
    """The levels of ``n`` lines, given the candidate lines ``cand`` at positions ``index``
    (those :func:`prefilter_expr` selected); every other line gets the default."""
    levels = pl.Series("level", [int(DEFAULT_LEVEL)] * n, dtype=pl.UInt8)
    if len(cand) == 0 or not rules:
        return levels
    heads = sorted({r.within for r in rules if r.within})
    df = pl.DataFrame({"i": index, "line": cand})
    if heads:
        df = df.with_columns(*[pl.col("line").str.slice(0, w).alias(_column(w)) for w in heads])
    for level, within, pattern in _runs(rules):
        if df.height == 0:
            break
        m = df[_column(within)].str.contains(pattern)
        if m.any():
            levels = levels.scatter(df["i"].filter(m), level)
            df = df.filter(~m)
    return levels


def tag_levels(lines: pl.Series, rules: list[Rule]) -> pl.Series:
    """Vectorized: the level (UInt8) of each line under ordered ``rules``.

    First a prefilter (:func:`prefilter_expr`): a union of the rules that can lift a
    line above the default, about one scan of the text. Then only the candidate lines go through the rules in order (consecutive rules of one level
    merged), and each step sees only the lines no earlier rule has decided
    (:func:`levels_of_candidates`). Rules limited to the start of a line (``within``)
    run on that many leading characters.
    """
    n = len(lines)
    if n == 0 or not rules:
        return pl.Series("level", [int(DEFAULT_LEVEL)] * n, dtype=pl.UInt8)
    df = pl.DataFrame({"line": lines}).with_row_index("i")
    cand = df.filter(prefilter_expr(rules))
    return levels_of_candidates(n, cand["i"], cand["line"], rules)


def tag_line(line: str, rules: list[Rule]) -> Level:
    """Level of one line (same semantics as tag_levels; for tests and small inputs)."""
    return Level(int(tag_levels(pl.Series([line], dtype=pl.Utf8), rules)[0]))


def filter_levels(min_level: Level) -> set[int]:
    """The level values kept by ``--priority-filter min_level`` (that level and above)."""
    return {int(l) for l in Level if l <= min_level}


__all__ = ["Level", "Rule", "tag_levels", "prefilter_expr", "levels_of_candidates", "tag_line", "parse_priority_pattern", "validate_regex", "UsageError", "filter_levels"]
