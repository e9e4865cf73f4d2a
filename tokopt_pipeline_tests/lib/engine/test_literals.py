"""The word gates that keep the runner packs cheap must never change a result: a line a
pattern matches always holds one of the words found for it, and the gated evaluation
gives the levels and pattern sets the plain one gives."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import analysis, features, packs
from tokopt_pipeline.lib.engine.literals import alternatives, required
from tokopt_pipeline.lib.engine.priority import DEFAULT_LEVEL, _runs, levels_of_candidates, prefilter_unions
from tokopt_pipeline.lib.engine.profiles import PROFILES, get_profile
from tokopt_pipeline_tests.conftest import TESTS

DATA = TESTS / "data" / "ecosystems"


def _fixture_lines(limit_per_case: int = 1500) -> list[str]:
    out: list[str] = []
    for log in sorted(DATA.glob("*/job.log")):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        step = max(1, len(lines) // limit_per_case)
        out.extend(lines[::step])
    return out


LINES = _fixture_lines()
ALL_RULES = get_profile("github-actions").all_rules()


def _py(p: str) -> re.Pattern:
    return re.compile(re.sub(r"\(\?-u:(\\[bB])\)", r"\1", p))


@pytest.mark.slow
@pytest.mark.parametrize("pattern", sorted({alt for r in ALL_RULES for alt in alternatives(r.pattern)}))
def test_a_line_a_pattern_matches_holds_one_of_its_required_words(pattern):
    req = required(pattern)
    if req is None:
        return
    rx = _py(pattern)
    for line in LINES:
        if rx.search(line):
            hay = line.lower() if req.nocase else line
            assert any(w in hay for w in req.words), (pattern, line, req)


def test_alternatives_split_only_at_the_top_level():
    assert alternatives(r"(?i)a|b(c|d)|[|x]|\|y") == ["(?i)a", "(?i)b(c|d)", "(?i)[|x]", r"(?i)\|y"]
    assert alternatives(r"(?:a|b)|(?:(?i)c)") == ["a", "b", "(?i)c"]


def test_required_words_of_tool_lines():
    assert required(r"^\s*error\[E\d{4}\]: ").words == {"error[E"}
    assert required(r"\S\.{3}Failed$").words == {"...Failed"}
    assert required(r"\S \.\.\. (?:ok|skipped .*)$").words == {" ... ok", " ... skipped "}
    assert required(r"^\d+ +\|") is None  # nothing long enough to rule lines out


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_gated_levels_equal_the_rules_tried_one_by_one(profile):
    rules = get_profile(profile).all_rules()
    s = pl.Series("line", LINES, dtype=pl.Utf8)
    want = pl.repeat(int(DEFAULT_LEVEL), len(s), dtype=pl.UInt8, eager=True)
    left = pl.DataFrame({"i": pl.int_range(0, len(s), eager=True, dtype=pl.UInt32), "line": s})
    for level, within, pattern in _runs(rules):
        col = left["line"].str.slice(0, within) if within else left["line"]
        m = col.str.contains(pattern)
        want = want.scatter(left["i"].filter(m), level)
        left = left.filter(~m)
    idx = pl.int_range(0, len(s), eager=True, dtype=pl.UInt32)
    assert levels_of_candidates(len(s), idx, s, rules).to_list() == want.to_list()
    m = features.line_matchers(rules, frozenset(p.name for p in packs.PACKS))
    m.calibrate(LINES[:2000])
    sets = m(s.to_frame())
    assert levels_of_candidates(len(s), idx, s, rules, sets["_gate"], m.rare).to_list() == want.to_list()


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=300), st.integers(min_value=0, max_value=len(LINES) - 1))
def test_every_pattern_set_equals_its_plain_union(lines, start):
    rules = ALL_RULES
    m = features.line_matchers(rules, frozenset(p.name for p in packs.PACKS))
    m.calibrate(LINES[start:start + 2000])  # any sample: the result does not depend on it
    frame = pl.Series("line", lines, dtype=pl.Utf8).to_frame()
    got = m(frame)
    for name, pats in m.named.items():
        want = pl.repeat(False, len(lines), dtype=pl.Boolean, eager=True)
        for u in prefilter_unions(pats):
            want = want | frame["line"].str.contains(u)
        assert got[name].to_list() == want.to_list(), name


def test_no_rule_of_an_inactive_pack_applies(tmp_path):
    """A log of other tools: the packs' rules stay out (they cost nothing), and a pack
    whose tools show comes in from that batch on."""
    log = tmp_path / "app.log"
    log.write_text("service started\nrequest ok\n" * 50 + "   Compiling app v0.1.0 (/src)\n" + "error[E0308]: mismatched types\n",
                   encoding="utf-8")
    an = analysis.Analyzer(str(log), analysis.SummaryOptions())
    lines = log.read_text().splitlines()
    an.prepare(lines[:100])
    an.features(lines[:100])
    assert an.active == frozenset()
    an.features(lines[100:])
    assert "rust" in an.active
