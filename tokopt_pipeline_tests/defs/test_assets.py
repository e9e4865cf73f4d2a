"""The assets materialized against a real DuckDB file in tmp_path."""

from pathlib import Path

import pytest

from tokopt_pipeline.lib.engine import tokens as tok

from .helpers import checks, materialize_cross_log, materialize_log, metadata

pytestmark = pytest.mark.slow  # Dagster materializations of the whole pipeline (31 s in all)

PLOTTED = ("tokens_in", "tokens_out", "reduction_pct", "budget_pct", "lines", "bytes", "critical_events", "templates")


def test_a_dropped_log_gets_a_summary_within_budget_with_plottable_metadata(pipeline):
    path = pipeline.drop("numpy_pytest.log")
    key, result = materialize_log(pipeline, path, budget=4000)
    assert result.success
    md = metadata(result, "budget_trimmed_summaries")
    for name in PLOTTED:
        assert isinstance(md[name], (int, float)), f"{name} is not numeric, so the UI cannot plot it"
    summary = Path(md["path"])
    assert summary.parent == pipeline.out_dir
    text = summary.read_text(encoding="utf-8")
    assert tok.count(text) <= 4000 == md["budget"]
    assert md["failing_tests"] == 48 and md["critical_events"] == 48
    assert "tokopt summary" in md["preview"]
    assert checks(result) == {
        "chunks_cover_log": True,
        "summary_within_budget": True,
        "critical_events_represented": True,
        "budget_use_warning": False,  # ~97% of a 4,000-token budget
        "budget_use_critical": False,
    }
    assert metadata(result, "raw_logs")["lines"] == md["lines"]
    assert metadata(result, "priority_chunks")["templates"] == md["templates"]

    (run,) = pipeline.query("SELECT file_key, source, tokens_out, budget, summary_path FROM runs")
    assert run == (key, "folder", md["tokens_out"], 4000, str(summary))
    (stored,) = pipeline.query("SELECT text FROM summaries")
    assert stored[0] == text
    assert pipeline.query("SELECT count(*) FROM failed_tests") == [(48,)]
    assert pipeline.query("SELECT sum(lines) FROM chunks") == [(md["lines"],)]
    assert pipeline.query("SELECT sha256, lines, profile FROM log_files")[0][1:] == (md["lines"], "pytest")


def test_default_budget_passes_every_check(pipeline):
    path = pipeline.drop("numpy_pytest.log")
    _, result = materialize_log(pipeline, path)
    md = metadata(result, "budget_trimmed_summaries")
    assert md["budget"] == 76659
    assert all(checks(result).values()), checks(result)


def test_rerendering_at_another_budget_reads_the_stored_analysis_not_the_log(pipeline):
    path = pipeline.drop("numpy_pytest.log")
    key, _ = materialize_log(pipeline, path, budget=4000)
    path.unlink()  # the log is gone: only the store can give the summary
    import dagster as dg

    from tokopt_pipeline.definitions import defs as load_defs

    d = load_defs()
    result = dg.materialize(
        [d.get_assets_def("budget_trimmed_summaries")],
        partition_key=key,
        instance=pipeline.instance,
        resources=pipeline.resources,
        run_config={"ops": {"budget_trimmed_summaries": {"config": {"token_budget": 2000}}}},
    )
    assert metadata(result, "budget_trimmed_summaries")["tokens_out"] <= 2000
    assert sorted(b for (b,) in pipeline.query("SELECT budget FROM summaries")) == [2000, 4000]


def test_error_entities_deduplicate_across_logs_and_usage_rolls_up(pipeline):
    a = pipeline.drop("team-a/numpy_pytest.log")
    b = pipeline.drop("team-b/numpy_pytest.log")
    ka, _ = materialize_log(pipeline, a, budget=4000)
    kb, _ = materialize_log(pipeline, b, budget=4000)
    assert (ka, kb) == ("team-a/numpy_pytest.log", "team-b/numpy_pytest.log")
    result = materialize_cross_log(pipeline)
    ents = metadata(result, "error_entities")
    assert ents["distinct_errors"] == 10  # the same ten errors in both logs, not twenty
    assert ents["recurring"] == 10
    rows = pipeline.query("SELECT runs, files FROM error_entities")
    assert all(runs == 2 and files == [ka, kb] for runs, files in rows)
    usage = metadata(result, "token_usage_metrics")
    assert usage["runs_today"] == 2 and usage["files"] == 2
    (tin, tout) = pipeline.query("SELECT sum(tokens_in), sum(tokens_out) FROM runs")[0]
    assert (usage["tokens_in_today"], usage["tokens_out_today"]) == (tin, tout)
    # The two summaries do not overwrite each other (beside them, the hidden manifest of what tokopt wrote).
    assert sorted(p.name for p in pipeline.out_dir.iterdir() if not p.name.startswith(".")) == ["team-a__numpy_pytest.summary.md", "team-b__numpy_pytest.summary.md"]


def test_a_log_that_vanished_fails_with_a_clear_message(pipeline):
    path = pipeline.drop("gone.log")
    path.unlink()
    _, result = materialize_log(pipeline, path, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "does not exist" in str(failure.event_specific_data.error.message) or "does not exist" in str(failure.event_specific_data.user_failure_data.description)
