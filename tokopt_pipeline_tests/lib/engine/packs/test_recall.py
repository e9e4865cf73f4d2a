"""Summaries of the real ecosystem logs against their tools' machine-readable output
(the scorer of bench/ecosystem_scores.py): what a reader needs survives the budget."""

from __future__ import annotations

import sys

import pytest

from tokopt_pipeline_tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import ecosystem_scores as scores  # noqa: E402

pytestmark = pytest.mark.slow  # every ecosystem log summarized at two budgets (15 s)

CASES = scores.cases()


@pytest.fixture(scope="module")
def rows() -> dict[int, list[dict]]:
    return {b: [scores.score_case(c, b) for c in CASES] for b in (4000, 8000)}


def test_every_case_is_scored_and_within_budget(rows):
    assert len(CASES) >= 40
    for rs in rows.values():
        assert all(r["within"] for r in rs), [r["case"] for r in rs if not r["within"]]


def test_every_failing_test_at_8000_and_nearly_all_at_4000(rows):
    missed = {r["case"]: r["misses"].get("failing_tests") for r in rows[8000] if r["failing_tests"] not in (None, 1.0)}
    assert not missed, missed
    assert scores.mean(rows[4000], "failing_tests") >= 0.9


def test_every_error_location_code_and_totals_line_at_8000(rows):
    for what in ("error_locations", "error_codes", "totals"):
        missed = {r["case"]: r["misses"].get(what) for r in rows[8000] if r[what] not in (None, 1.0)}
        assert not missed, (what, missed)


def test_nearly_every_error_location_code_and_totals_line_at_4000(rows):
    assert scores.mean(rows[4000], "error_locations") >= 0.95
    assert scores.mean(rows[4000], "error_codes") >= 0.98
    assert scores.mean(rows[4000], "totals") >= 0.98


def test_the_pytest_matrix_job_keeps_every_exception_and_run_at_4000(rows):
    matrix = next(r for r in rows[4000] if r["case"] == "pytest-matrix")
    assert matrix["exceptions"] == 1.0 and matrix["totals"] == 1.0, matrix["misses"]
    matrix8 = next(r for r in rows[8000] if r["case"] == "pytest-matrix")
    assert matrix8["failing_tests"] == 1.0, matrix8["misses"]
