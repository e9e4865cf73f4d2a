"""Tagging: the fast path (prefilter unions, then ordered runs on the candidates) gives
every line the level of the first rule, in order, that matches it."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine.priority import DEFAULT_LEVEL, Level, Rule, parse_priority_pattern, tag_levels
from tokopt_pipeline.lib.engine.profiles import PROFILES, get_profile

WORDS = [
    "ERROR", "error", "Error:", "[E]", "E", "WARN", "warning", "INFO", "I", "DEBUG", "debug", "FATAL",
    "CRITICAL", "FAILED", "FAIL:", "passed", "Traceback (most recent call last):", "kernel panic",
    "segfault", "ValueError", "RuntimeException", "exit code 1", "exit code 0", "timed out", "retrying",
    "deprecated", "  at com.x.Y.run(Y.java:12)", "Caused by: ", "##[error]", "::error::", "ok", "done",
    "user", "12:30:45", "PaymentDeclined", "<E>", "\t", " ", "é", "kernel: Oops",
    "x" * 90,  # pushes what follows past the first 160 characters, where some rules stop
]


def one_by_one(line: str, rules: list[Rule]) -> int:
    """The reference: each rule on its own, in order; the first match decides."""
    s = pl.Series([line], dtype=pl.Utf8)
    for r in rules:
        target = s.str.slice(0, r.within) if r.within else s
        if target.str.contains(r.pattern)[0]:
            return int(r.level)
    return int(DEFAULT_LEVEL)


lines = st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(batch=st.lists(lines, min_size=1, max_size=30), profile=st.sampled_from(sorted(PROFILES)))
def test_levels_match_the_rules_taken_one_by_one(batch, profile):
    rules = get_profile(profile).all_rules([parse_priority_pattern("PaymentDeclined=critical")])
    got = tag_levels(pl.Series(batch, dtype=pl.Utf8), rules).to_list()
    assert got == [one_by_one(line, rules) for line in batch]


def test_a_user_rule_comes_first_even_when_it_lowers_a_line():
    rules = get_profile("generic").all_rules([Rule("known flaky ERROR", Level.VERBOSE)])
    levels = tag_levels(pl.Series(["known flaky ERROR in cache", "ERROR in cache"]), rules).to_list()
    assert levels == [int(Level.VERBOSE), int(Level.HIGH)]


def test_many_user_rules_still_tag_every_line():
    extra = [Rule(f"marker{i:02d}x", Level.CRITICAL) for i in range(90)]
    rules = get_profile("generic").all_rules(extra)
    batch = [f"line with marker{i:02d}x" for i in range(90)] + ["plain line"]
    levels = tag_levels(pl.Series(batch), rules).to_list()
    assert levels == [int(Level.CRITICAL)] * 90 + [int(DEFAULT_LEVEL)]
