"""The engine end to end on real logs, scored with the project's scorer (data/eval/score.py)."""

from __future__ import annotations

import pytest

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.conftest import NUMPY_JUNIT, NUMPY_LOG

pytestmark = pytest.mark.slow  # the numpy log summarized and scored at three budgets and in three formats


@pytest.fixture(scope="module")
def numpy_scores(scorer):
    out = {}
    for budget in (1500, 4000, 76659):
        s = summarize(str(NUMPY_LOG), SummaryOptions(token_budget=budget))
        out[budget] = (s, scorer.score(s.text, [str(NUMPY_JUNIT)], budget, str(NUMPY_LOG)))
    return out


def test_numpy_at_4000_keeps_every_failure(numpy_scores):
    s, score = numpy_scores[4000]
    assert score["within_budget"], score
    assert score["test_recall"] == 1.0
    assert score["type_recall"] == 1.0
    assert score["msg_recall"] >= 0.95
    assert score["totals_recall"] == 1.0
    assert s.tokens_out == tok.count(s.text) <= 4000


def test_numpy_at_default_budget_is_complete(numpy_scores):
    _, score = numpy_scores[76659]
    assert score["within_budget"]
    assert all(score[k] == 1.0 for k in ("test_recall", "type_recall", "msg_recall", "totals_recall")), score


def test_numpy_at_1500_counts_what_it_leaves_out(numpy_scores):
    s, score = numpy_scores[1500]
    assert score["within_budget"]
    assert score["test_recall"] >= 0.9
    shown = sum(1 for t in s.analysis.tests.values() if t.name in s.text)
    if shown < len(s.analysis.tests):
        assert f"{len(s.analysis.tests) - shown} more failing test" in s.text


def test_tail_baseline_loses_what_tokopt_keeps(scorer, tmp_path):
    tail = scorer.baseline("tail", str(NUMPY_LOG), 4000)
    base = scorer.score(tail, [str(NUMPY_JUNIT)], 4000, str(NUMPY_LOG))
    ours = scorer.score(summarize(str(NUMPY_LOG), SummaryOptions(token_budget=4000)).text, [str(NUMPY_JUNIT)], 4000, str(NUMPY_LOG))
    assert ours["msg_recall"] > base["msg_recall"]


def test_header_reports_its_own_exact_token_count(numpy_scores):
    s, _ = numpy_scores[4000]
    assert f"out {s.tokens_out:,} of 4,000" in s.text


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_other_formats_fit_and_keep_failures(fmt, scorer):
    s = summarize(str(NUMPY_LOG), SummaryOptions(token_budget=4000, fmt=fmt))
    score = scorer.score(s.text, [str(NUMPY_JUNIT)], 4000, str(NUMPY_LOG))
    assert score["within_budget"] and score["test_recall"] == 1.0 and score["type_recall"] == 1.0, score
    if fmt == "json":
        import json

        doc = json.loads(s.text)
        assert doc["header"]["tokens_out"] == s.tokens_out
        assert {sec["name"] for sec in doc["sections"]} >= {"runs", "tests", "errors"}
