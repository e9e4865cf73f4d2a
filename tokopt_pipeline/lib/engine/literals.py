"""Required literals of a regex: strings one of which every match must contain.

The tagging rules and the runner packs' line patterns are many (hundreds of
alternatives), and running each of their unions over every line of a 100 MB log costs
more than the rest of the pass. Most of them name their tool's own words (``error[E``,
``--- FAIL:``, ``...Failed``, ``npm error``), so one scan for those words (a regex of
literals) rules out nearly every line at once, and the patterns then run only on the
lines that hold one of them. :func:`required` finds such words from a pattern's syntax
tree; :class:`MatcherSet` uses them. A pattern for which no word is found (or only
short or common ones) is run on every line: the gate changes the work, never a result.
"""

from __future__ import annotations

import re
import re._parser as sre  # the standard library's regex parser (stable since 3.11)
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

#: Literals shorter than this make a poor gate (they are in most lines).
MIN_LITERAL = 3
_L = sre.LITERAL
_SKIP = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}  # zero-width: contribute nothing

#: One item of a parsed pattern: ``(opcode, argument)``, as ``re._parser`` gives it (the
#: argument's shape depends on the opcode; the module has no type stubs).
_Item = tuple[Any, Any]


@dataclass(frozen=True)
class Requirement:
    """Every match contains one of ``words``; compared ignoring ASCII case when
    ``nocase``."""

    words: frozenset[str]
    nocase: bool = False


def _best(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two requirements (the longer shortest word, then fewer)."""
    if a is None:
        return b
    if b is None:
        return a
    ka = (not any(map(_weak, a)), min(map(len, a)), -len(a))
    kb = (not any(map(_weak, b)), min(map(len, b)), -len(b))
    return a if ka >= kb else b


def _prefixes(items: Sequence[_Item]) -> frozenset[str] | None:
    """The literal texts an item sequence starts with, one per way it can start (a
    branch of literal alternatives), or None when it may start with a non-literal."""
    if not items:
        return None
    op, av = items[0]
    if op is _L:
        run: list[str] = []
        for op2, av2 in items:
            if op2 is not _L:
                break
            run.append(chr(av2))
        return frozenset(["".join(run)])
    if op is sre.SUBPATTERN:
        return _prefixes(list(av[-1]))
    if op is sre.BRANCH:
        alts = [_prefixes(list(b)) for b in av[1]]
        starts = [x for x in alts if x]
        if alts and len(starts) == len(alts):
            return frozenset[str]().union(*starts)
    return None


def _seq(items: Iterable[_Item]) -> frozenset[str] | None:
    """The best requirement of a sequence of parsed items: its longest run of literal
    characters (joined with the literal starts of a branch that follows it), or the
    requirement of one of its mandatory parts."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best, run
        if run:
            best = _best(best, frozenset(["".join(run)]))
            run = []

    listed = list(items)
    for n, (op, av) in enumerate(listed):
        if op is _L:
            run.append(chr(av))
            continue
        if op in _SKIP:  # zero-width: it separates the literals on its two sides
            flush()
            continue
        if run and op in (sre.SUBPATTERN, sre.BRANCH):
            starts = _prefixes(listed[n:n + 1])
            if starts:  # "..." then (ok|skipped): "... ok", "... skipped"
                best = _best(best, frozenset("".join(run) + x for x in starts))
        flush()
        if op is sre.SUBPATTERN:
            best = _best(best, _seq(av[-1]))
        elif op is sre.BRANCH:
            alts = [_seq(branch) for branch in av[1]]
            found = [x for x in alts if x is not None]
            if alts and len(found) == len(alts):
                best = _best(best, frozenset[str]().union(*found))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            lo, _hi, sub = av
            sub = list(sub)
            if lo >= 1 and len(sub) == 1 and sub[0][0] is _L:
                # "\.{3,}Failed": the last three dots stand right before "Failed"
                run = [chr(sub[0][1])] * min(lo, 8)
                continue
            if lo >= 1:
                best = _best(best, _seq(sub))
        elif op is sre.ATOMIC_GROUP:
            best = _best(best, _seq(av))
    flush()
    return best


_RUST_ONLY = re.compile(r"\(\?-u:(\\[bB])\)|\(\?-u\)")


@lru_cache(maxsize=4096)
def required(pattern: str) -> Requirement | None:
    """Words one of which every match of ``pattern`` contains, or None when the
    pattern has none at least ``MIN_LITERAL`` long (or Python cannot parse it)."""
    try:
        tree = sre.parse(_RUST_ONLY.sub(lambda m: m.group(1) or "", pattern))
    except (re.error, ValueError, TypeError, OverflowError):
        return None
    nocase = bool(tree.state.flags & re.IGNORECASE)
    words = _seq(list(tree))
    if not words or any(_weak(w) for w in words):
        return None
    if nocase:
        words = frozenset(w.lower() for w in words)
        if any(not w.isascii() for w in words):
            return None
    return Requirement(words, nocase)


def _weak(word: str) -> bool:
    """A word too common to rule lines out: short, or only spaces and rule marks."""
    core = word.strip()
    if any(ord(c) > 127 for c in core):  # a glyph (✕ ● ━ ⎯): rare outside its tool
        return not core
    return len(core) < MIN_LITERAL or not core.strip(".-=_*#~+|:/ ")


#: A word found in more than this share of a log's first lines is too common to rule
#: lines out: the patterns that need it are tried on every line.
COMMON_SHARE = 0.01


_NAMED = re.compile(r"\(\?P<\w+>")


def strip_names(pattern: str) -> str:
    """``pattern`` with its named groups made plain (``(?P<id>x)`` -> ``(?:x)``): several
    patterns joined in one regex may use the same name."""
    return _NAMED.sub("(?:", pattern)


def words_regex(words: Collection[str], nocase_words: Collection[str] = ()) -> str:
    """One regex matching a line that holds any of ``words`` (or, ignoring ASCII case,
    of ``nocase_words``); longer words first. Empty when there are none."""
    parts: list[str] = []
    if words:
        parts.append("|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))))
    if nocase_words:
        parts.append("(?i:" + "|".join(re.escape(w) for w in sorted(nocase_words, key=lambda w: (-len(w), w))) + ")")
    return "|".join(parts)


_FLAGS = re.compile(r"^\(\?[a-zA-Z]+\)")


def _structure(pattern: str) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` of each character of ``pattern`` that is syntax: outside
    escapes and character classes; ``depth`` is the group depth after the character."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]" or pattern[i + 1:i + 3] == "^]":
                i += 2 if pattern[i + 1] == "]" else 3
                continue
        else:
            depth += (c == "(") - (c == ")")
            yield i, c, depth
        i += 1


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (``a|b`` -> ``a``, ``b``), each a
    pattern of its own; a leading inline flag group (``(?i)``) goes with each."""
    m = _FLAGS.match(pattern)
    flags, body = (m.group(0), pattern[m.end():]) if m else ("", pattern)
    out: list[str] = []
    start = 0
    for i, c, depth in _structure(body):
        if c == "|" and depth == 0:
            out.append(body[start:i])
            start = i + 1
    out.append(body[start:])
    result: list[str] = []
    for alt in out:
        inner = _whole_group(alt)
        if inner is not None:  # "(?:a|b)" -> "a", "b"; "(?:(?i)a)" -> "(?i)a"
            result.extend(flags + x for x in alternatives(inner))
        else:
            result.append(flags + alt)
    return result


def _whole_group(pattern: str) -> str | None:
    """``X`` when ``pattern`` is one non-capturing group ``(?:X)``, else None."""
    if not (pattern.startswith("(?:") and pattern.endswith(")")):
        return None
    for i, c, depth in _structure(pattern):
        if c == ")" and depth == 0 and i != len(pattern) - 1:
            return None
    return pattern[3:-1]


class MatcherSet:
    """Several named sets of patterns tested on the same lines: for each line and
    set, whether the line matches any pattern of the set; with as little regex work as
    the log allows.

    Each pattern is split into its alternatives, and each alternative's required words
    (:func:`required`) are looked for in a sample of the log's first lines
    (:meth:`calibrate`). Alternatives whose words are rare there are tried only on the
    lines that one scan for all those words (a regex of literals) lets through; the
    others (no word, or a word common in this log) on every line. The results do not
    depend on the sample, only the work does.

    ``unions_of(patterns)`` joins patterns into the regexes to run (a few dozen at
    most each: one huge union overflows the regex engine's caches).
    """

    def __init__(self, named: dict[str, list[str]], unions_of: Callable[[list[str]], list[str]],
                 plain: frozenset[str] = frozenset()) -> None:
        from tokopt_pipeline.lib.engine.packs import NOTHING

        #: Sets tried as unions of their patterns on every line, without the word gate
        #: (cheaper for a few patterns that most lines may match anyway).
        self.plain_sets = plain
        self.plain = {k: [p for p in pats if p != NOTHING] for k, pats in named.items() if k in plain}

        self.named = {k: list(dict.fromkeys(strip_names(alt) for p in pats for alt in alternatives(p) if alt != NOTHING))
                      for k, pats in named.items()}
        self.unions_of = unions_of
        self.calibrate(None)

    def calibrate(self, sample: list[str] | None) -> None:
        reqs = {p: required(p) for k, pats in self.named.items() if k not in self.plain_sets for p in pats}
        common = _common_words(sample, reqs) if sample else set()
        words: set[str] = set()
        nocase: set[str] = set()
        self.ungated: dict[str, list[str]] = {}
        self.gated: dict[str, list[str]] = {}
        for name, pats in self.named.items():
            if name in self.plain_sets:
                self.ungated[name] = self.unions_of(self.plain[name]) if self.plain[name] else []
                self.gated[name] = []
                continue
            gated: list[str] = []
            ungated: list[str] = []
            for p in pats:
                req = reqs[p]
                if req is None or (req.words & common):
                    ungated.append(p)
                else:
                    gated.append(p)
                    (nocase if req.nocase else words).update(req.words)
            self.ungated[name] = self.unions_of(ungated) if ungated else []
            self.gated[name] = self.unions_of(gated) if gated else []
        self.rare = frozenset([("s", w) for w in words] + [("i", w) for w in nocase])
        self.gate = words_regex(words, nocase)

    def __call__(self, frame: pl.DataFrame, column: str = "line") -> dict[str, pl.Series]:
        """For each set, one boolean per row of ``frame``.

        Few polars calls per set: each is Python work under the GIL that the pipeline's
        other threads wait for (an all-False column comes from ``is_null`` of the lines,
        which are never null, rather than from ``pl.repeat``, a query of its own).
        """
        line = pl.col(column)
        lines = frame[column]

        def hits(f: pl.DataFrame, unions: list[str], name: str) -> pl.Series:
            hit: pl.Series | None = None
            for u in unions:
                h = f.select(line.str.contains(u)).to_series()
                hit = h if hit is None else hit | h
            return (hit if hit is not None else f[column].is_null()).alias(name)

        out = {name: hits(frame, unions, name) for name, unions in self.ungated.items()}
        if self.gate and frame.height:
            mask = frame.select(line.str.contains(self.gate)).to_series()
            out["_gate"] = mask.alias("_gate")
            idx = mask.arg_true()
            if len(idx):
                sub = lines.gather(idx).to_frame()
                for name, unions in self.gated.items():
                    if unions:
                        hit = hits(sub, unions, name)
                        if hit.any():
                            out[name] = out[name].scatter(idx.filter(hit), True)
        else:
            out["_gate"] = lines.is_null().alias("_gate")
        return out


def _common_words(sample: list[str], reqs: dict[str, Requirement | None]) -> set[str]:
    s = pl.Series("line", sample, dtype=pl.Utf8)
    limit = max(1, int(len(sample) * COMMON_SHARE))
    common: set[str] = set()
    for nocase in (False, True):
        words = sorted({w for r in reqs.values() if r is not None and r.nocase == nocase for w in r.words})
        if not words:
            continue
        found = s.str.extract_many(words, ascii_case_insensitive=nocase, overlapping=True).list.unique()
        counts = found.explode(empty_as_null=True).drop_nulls().value_counts()
        for word, count in counts.iter_rows():
            if count > limit:
                common.add(word.lower() if nocase else word)
    return common


__all__ = ["Requirement", "required", "alternatives", "strip_names", "words_regex", "MatcherSet", "MIN_LITERAL",
           "COMMON_SHARE"]
