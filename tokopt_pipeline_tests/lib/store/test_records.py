"""What the store keeps of a run: the analysis as JSON (aggregates, never the log's
lines) round-trips, and a summary's payload carries its rows and text."""

from __future__ import annotations

import pytest

from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.render import summarize_analysis
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline.lib.store import records
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("backend")]  # each test analyzes the numpy log (about 1 s), each on DuckDB and PostgreSQL


def test_an_analysis_round_trips_through_json_and_renders_the_same():
    a = analyze(str(EXAMPLE_LOG), SummaryOptions())
    b = records.analysis_from_json(records.analysis_to_json(a))
    assert b == a
    opts = SummaryOptions(token_budget=2000)
    assert summarize_analysis(b, opts).text == summarize_analysis(a, opts).text


def test_the_stored_analysis_is_aggregates_not_the_log():
    a = analyze(str(EXAMPLE_LOG), SummaryOptions())
    stored = records.analysis_to_json(a)
    assert len(stored) < EXAMPLE_LOG.stat().st_size / 4


def test_a_summary_payload_holds_the_run_its_rows_and_the_text():
    a = analyze(str(EXAMPLE_LOG), SummaryOptions())
    s = summarize_analysis(a, SummaryOptions(token_budget=1500))
    p = records.summary_payload(s, run_id="cli-test-1", source="cli", file_key="numpy", path=str(EXAMPLE_LOG))
    assert p["run"]["run_id"] == "cli-test-1" and p["run"]["source"] == "cli"
    assert p["summary"]["text"] == s.text and p["summary"]["tokens_out"] == s.tokens_out
    assert len(p["failed_tests"]) == len(a.tests) == 48
    assert {r["fingerprint"] for r in p["error_groups"]} and all(len(r["fingerprint"]) == 16 for r in p["error_groups"])
