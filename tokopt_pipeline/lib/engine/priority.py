"""Priority levels and vectorized tagging of lines.

Every line gets one of five levels (DESIGN.md, stage 3). Rules are ordered
``(regex, level)`` pairs evaluated with polars' Rust regex engine; the first rule that
matches a line decides its level, and a line no rule matches is ``low``. A cheap
union pre-filter skips the ordered evaluation for the (usually vast) majority of lines
that no rule can match.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl

from tokopt_pipeline.lib.errors import EXIT_USAGE, TokoptError


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
    def parse(cls, text: str) -> Level:
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
    return [line.str.contains(union) for union in prefilter_unions([r.pattern for r in rules])]


#: Most pattern text in one prefilter union: the regex engine refuses a compiled
#: program over its size limit, and large Unicode classes (``\w``) grow it fast.
_PREFILTER_CHARS = 2500


def prefilter_unions(pats: list[str]) -> list[str]:
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


def levels_of_candidates(n: int, index: pl.Series, cand: pl.Series, rules: list[Rule],
                         gate: pl.Series | None = None, rare: frozenset[tuple[str, str]] | None = None) -> pl.Series:
    """The levels of ``n`` lines, given the candidate lines ``cand`` at positions ``index``
    (those :func:`prefilter_expr` selected); every other line gets the default.

    The rules are tried in order (consecutive rules of one level and scope as one run),
    each run on the candidates no earlier run decided. Each run is tried as up to three
    parts, which give the same level at the same place in the order (so the split
    changes no result):

    * its alternatives that need one of some rare words (:func:`~.literals.required`:
      ``error[E``, ``--- FAIL:``), on the candidates holding such a word: ``gate``, as
      the pass's word scan found it for the ``rare`` words (``("s"|"i", word)``), or one
      scan of the candidates when not given (every word counts as rare then);
    * its alternatives that need a word common in this log, on the candidates holding
      one of those words (one more scan);
    * its alternatives that need no word, on the candidates one union of all such
      alternatives matches.

    Most of the runner packs' rules need rare words, so on a log they do not concern
    they cost one scan, not a regex each.
    """
    levels = pl.repeat(int(DEFAULT_LEVEL), n, dtype=pl.UInt8, eager=True).alias("level")
    if len(cand) == 0 or not rules:
        return levels
    heads = sorted({r.within for r in rules if r.within})
    df = pl.DataFrame({"i": index, "line": cand})
    if heads:
        df = df.with_columns(*[pl.col("line").str.slice(0, w).alias(_column(w)) for w in heads])
    runs = _runs(rules)
    if len(runs) <= FEW_RUNS:  # a few runs: each on what the ones before left
        for level, within, pattern in runs:
            if df.height == 0:
                break
            m = df[_column(within)].str.contains(pattern)
            if m.any():
                levels = levels.scatter(df["i"].filter(m), level)
                df = df.filter(~m)
        return levels
    plan = _plan(tuple(runs), rare)
    if gate is None:
        gate = _holds_any(cand, plan.rare_words)
    masks = {"rare": gate, "common": _holds_any(cand, plan.common_words), "free": _matches_any(df, plan.free_unions)}
    undecided = pl.repeat(True, len(cand), dtype=pl.Boolean, eager=True).alias("u")
    remaining = len(cand)
    for level, within, pattern, kind in plan.parts:
        if remaining == 0:
            break
        rows = (undecided & masks[kind]).arg_true()
        if len(rows) == 0:
            continue
        hit = df[_column(within)].gather(rows).str.contains(pattern)
        if hit.any():
            won = rows.filter(hit)
            levels = levels.scatter(df["i"].gather(won), level)
            undecided = undecided.scatter(won, False)
            remaining -= len(won)
    return levels


#: Up to this many runs the rules are tried one after the other on every candidate;
#: past it (the runner packs' rules are active) by the word-gated plan.
FEW_RUNS = 24


@dataclass(frozen=True)
class _Plan:
    #: (level, within, pattern, kind) in order; kind: "rare", "common" or "free"
    parts: tuple[tuple[int, int, str, str], ...]
    #: (case-sensitive words, case-insensitive words) of the rare and common parts
    rare_words: tuple[list[str], ...]
    common_words: tuple[list[str], ...]
    #: scope -> unions of the free parts' patterns
    free_unions: dict[int, list[str]] = field(default_factory=dict)


@lru_cache(maxsize=64)
def _plan(runs: tuple[tuple[int, int, str], ...], rare: frozenset[tuple[str, str]] | None) -> _Plan:
    from tokopt_pipeline.lib.engine.literals import alternatives, required

    parts: list[tuple[int, int, str, str]] = []
    words: dict[str, tuple[set[str], set[str]]] = {"rare": (set(), set()), "common": (set(), set())}
    free: dict[int, list[str]] = {}
    for level, within, pattern in runs:
        by_kind: dict[str, list[str]] = {"rare": [], "common": [], "free": []}
        for alt in alternatives(pattern):
            req = required(alt)
            if req is None:
                by_kind["free"].append(alt)
                continue
            keys = {("i" if req.nocase else "s", w) for w in req.words}
            kind = "rare" if rare is None or keys <= rare else "common"
            by_kind[kind].append(alt)
            cs, ci = words[kind]
            (ci if req.nocase else cs).update(req.words)
        for kind in ("rare", "common", "free"):
            if by_kind[kind]:
                for union in prefilter_unions(by_kind[kind]):
                    parts.append((level, within, union, kind))
        free.setdefault(within, []).extend(by_kind["free"])
    return _Plan(
        tuple(parts),
        tuple(sorted(w) for w in words["rare"]),
        tuple(sorted(w) for w in words["common"]),
        {w: prefilter_unions(p) for w, p in free.items() if p},
    )


def _holds_any(lines: pl.Series, words: tuple[list[str], ...]) -> pl.Series:
    """Whether each line holds one of ``words`` (case-sensitive, case-insensitive)."""
    from tokopt_pipeline.lib.engine.literals import words_regex

    regex = words_regex(*words)
    if not regex:
        return pl.repeat(False, len(lines), dtype=pl.Boolean, eager=True).alias("h")
    return lines.str.contains(regex)


def _matches_any(df: pl.DataFrame, unions: dict[int, list[str]]) -> pl.Series:
    out = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).alias("f")
    for within, us in unions.items():
        for u in us:
            out = out | df[_column(within)].str.contains(u)
    return out


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
        return pl.repeat(int(DEFAULT_LEVEL), n, dtype=pl.UInt8, eager=True).alias("level")
    df = pl.DataFrame({"line": lines}).with_row_index("i")
    cand = df.filter(prefilter_expr(rules))
    return levels_of_candidates(n, cand["i"], cand["line"], rules)


def tag_line(line: str, rules: list[Rule]) -> Level:
    """Level of one line (same semantics as tag_levels; for tests and small inputs)."""
    return Level(int(tag_levels(pl.Series([line], dtype=pl.Utf8), rules)[0]))


def filter_levels(min_level: Level) -> set[int]:
    """The level values kept by ``--priority-filter min_level`` (that level and above)."""
    return {int(l) for l in Level if l <= min_level}


__all__ = ["Level", "Rule", "tag_levels", "prefilter_expr", "levels_of_candidates", "prefilter_unions", "tag_line", "parse_priority_pattern", "validate_regex", "UsageError", "filter_levels"]
