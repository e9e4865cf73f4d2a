"""The per-line tests of a batch, vectorized: the event-grouping booleans, the pattern
sets of the priority rules and the runner packs (word-gated, :mod:`.literals`), the
masked line for templating, and each line's level; computed in slices side by side."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import polars as pl

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.cisteps import MARKER as CI_MARKER
from tokopt_pipeline.lib.engine.events import anchored_features
from tokopt_pipeline.lib.engine.literals import MatcherSet, strip_names
from tokopt_pipeline.lib.engine.priority import DEFAULT_LEVEL, Rule, levels_of_candidates, prefilter_unions
from tokopt_pipeline.lib.engine.redact import trigger_expr
from tokopt_pipeline.lib.engine.runmeta import CANDIDATE as RUN_META_CANDIDATE
from tokopt_pipeline.lib.engine.templates import mask_steps
from tokopt_pipeline.lib.engine.testresults import test_candidate, totals_candidate

SLICE_LINES = 25_000


def _feature_exprs(secrets: bool, run_meta: bool = False) -> list[pl.Expr]:
    """The per-line tests that are neither pattern sets (:func:`line_matchers`) nor the
    event-grouping tests (:func:`.events.anchored_features`)."""
    exprs: list[pl.Expr] = []
    if secrets:
        exprs.append(trigger_expr().alias("secret"))
    if run_meta:
        exprs.append(pl.col("line").str.contains(RUN_META_CANDIDATE).alias("run_meta"))
    return exprs


def line_matchers(rules: list[Rule], active: frozenset[str] | None = None) -> MatcherSet:
    """The pattern sets every line is tested against, sharing one word gate: ``pre``
    (the priority prefilter: rules that may lift a line above the default), ``totals``
    and ``test`` (candidate result lines), ``ci`` (CI step markers), ``block_start``,
    ``pack_cont``, ``sec_start``, ``sec_end`` and ``join_next`` (the ``active`` runner
    packs' event boundaries) and ``scope`` (their scope markers, :mod:`.packs.scopes`)."""
    lifting = [r.pattern for r in rules if r.level != DEFAULT_LEVEL]
    sets = {
        "pre": lifting,
        "totals": [totals_candidate(active)],
        "test": [test_candidate(active)],
        "ci": [CI_MARKER],
        "block_start": [packs.block_start(active)],
        "pack_cont": [packs.continuation(active)],
        "sec_start": [packs.section_start(active)],
        "sec_end": [packs.section_end(active)],
        "join_next": [packs.join_next(active)],
        "scope": [packs.scope_marker(active)],
    }
    # The lines that show a pack not yet active: its tools ran (see Analyzer.features).
    if active is not None:
        sets[DETECT] = [p for name, pats in packs.activation().items() if name not in active for p in pats]
    # With no pack active the prefilter is the base rules alone: a few unions cost less
    # than gating them.
    return MatcherSet(sets, prefilter_unions,
                      plain=frozenset({"ci"}) if active else frozenset({"pre", "ci", "test", "totals"}))


@lru_cache(maxsize=1)
def detectors() -> dict[str, re.Pattern[str]]:
    return {name: re.compile("|".join(f"(?:{strip_names(p)})" for p in pats)) for name, pats in packs.activation().items()}


#: The pattern set of the lines that show a runner pack not yet active.
DETECT = "detect"
#: Lines of a batch looked at to tell which packs its detected lines show.
DETECT_LINES = 5000


def _slice_features(lines: list[str], rules: list[Rule], exprs: list[pl.Expr], matchers: MatcherSet) -> tuple[pl.Series, pl.DataFrame, pl.Series]:
    """One slice of a batch as a Series, its per-line tests and its levels.

    The tests run one expression at a time: one expression over one chunk runs on the
    calling thread, while a select of many (or a chain of some string operations) is
    handed to polars' shared thread pool, where the small operations of the batch being
    processed would queue behind it.
    """
    s = pl.Series("line", lines, dtype=pl.Utf8)
    frame = s.to_frame()
    cols = anchored_features(frame)
    cols.extend(frame.select(e).to_series() for e in exprs)
    sets = matchers(frame)
    gate = sets.pop("_gate")
    cols.extend(sets.values())
    masked = frame
    for step in mask_steps():
        masked = masked.select(step)
    cols.append(masked.to_series().alias("masked"))
    # From a dict: polars builds a frame from a list of Series through a dispatcher
    # whose first use registers the type, which races when two threads do it at once.
    feats = pl.DataFrame({c.name: c for c in cols})
    cand = feats["pre"].arg_true()
    return s, feats, levels_of_candidates(len(s), cand, s.gather(cand), rules, gate.gather(cand), matchers.rare)


def line_features(lines: list[str], rules: list[Rule], secrets: bool = False, helpers: ThreadPoolExecutor | None = None,
                   slices: int = 1, run_meta: bool = False,
                   matchers: MatcherSet | None = None) -> tuple[pl.Series, pl.DataFrame, pl.Series]:
    """The lines as a Series, every vectorized per-line test of them, and their levels.

    Test columns: the event-grouping booleans, the pattern sets of
    :func:`line_matchers` (``pre``, ``totals``, ``test``, ``ci``, ``block_start``,
    ``pack_cont``), ``masked`` (the line with its variable parts masked), with
    ``secrets`` ``secret`` (the redaction trigger) and with ``run_meta`` ``run_meta``
    (lines that may name a passing test or the commit). ``matchers``: the pattern sets,
    calibrated on the log (built from ``rules`` when None). With ``helpers``
    (``slices - 1`` threads), the lines are cut into up to ``slices`` slices computed
    side by side, on those threads and the calling one.
    """
    exprs = _feature_exprs(secrets, run_meta)
    matchers = matchers or line_matchers(rules)
    parts = max(1, min(slices if helpers is not None else 1, len(lines) // SLICE_LINES))
    if parts == 1 or helpers is None:
        return _slice_features(lines, rules, exprs, matchers)
    step = -(-len(lines) // parts)
    cuts = [lines[i * step:(i + 1) * step] for i in range(parts)]
    futures = [helpers.submit(_slice_features, c, rules, exprs, matchers) for c in cuts[:-1]]
    last = _slice_features(cuts[-1], rules, exprs, matchers)
    done = [f.result() for f in futures] + [last]
    return (pl.concat([d[0] for d in done]), pl.concat([d[1] for d in done]), pl.concat([d[2] for d in done]))
