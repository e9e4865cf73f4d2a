"""The real `dagster dev`: a dropped log and a CI report each become a summary with passing checks."""

import shutil

import pytest

from tokopt_pipeline_tests.conftest import NUMPY_LOG

pytestmark = pytest.mark.e2e  # starts `dagster dev` and waits for its runs

CHECKS = {"chunks_cover_log", "summary_within_budget", "critical_events_represented", "budget_use_warning", "budget_use_critical"}


def test_two_logs_dropped_at_once_are_both_summarized_without_a_lock_error(summarized):
    server, runs = summarized
    assert sorted(r["tags"]["dagster/partition"] for r in runs) == ["numpy_pytest.log", "team-b/numpy_pytest.log"]
    mats = {m["partition"]: m for m in server.materializations("budget_trimmed_summaries")}
    for run in runs:
        md = mats[run["tags"]["dagster/partition"]]["metadata"]
        assert md["tokens_out"] <= md["budget"] == 76659
        assert md["failing_tests"] == 48 and md["critical_events"] == 48
        for key in ("tokens_in", "reduction_pct", "budget_pct", "lines", "bytes", "templates"):
            assert md[key] > 0, key
        assert server.check_results(run["run_id"]) == {name: True for name in CHECKS}
    assert list(server.pending.glob("*.json")) == []  # every write reached the store directly


def test_a_ci_report_through_the_rest_api_becomes_a_run(summarized):
    server, _ = summarized
    ci_log = server.root / "ci-workspace" / "build-7.log"
    ci_log.parent.mkdir()
    shutil.copyfile(NUMPY_LOG, ci_log)
    server.post("/report_asset_materialization/ci_logs", {"metadata": {"path": str(ci_log), "commit": "0123abc"}})
    (run,) = server.wait_for_runs("ci_log_sensor", 1)
    assert run["tags"]["tokopt/commit"] == "0123abc"
    partition = run["tags"]["dagster/partition"]
    assert partition.startswith("ext/") and partition.endswith("/build-7.log")
    assert server.check_results(run["run_id"]) == {name: True for name in CHECKS}


def test_error_entities_and_usage_update_after_new_summaries(summarized):
    server, _ = summarized
    from .dagster_dev import wait_for

    def updated():
        ents = server.materializations("error_entities")
        usage = server.materializations("token_usage_metrics")
        return (ents, usage) if ents and usage else None

    ents, usage = wait_for(updated, "the cross-log assets to update after the summaries", timeout=180, log=server.server_log)
    assert ents[0]["metadata"]["distinct_errors"] >= 10
    assert ents[0]["metadata"]["error_types"] >= 10 and ents[0]["metadata"]["runs"] >= 1  # the memory the summaries are marked from
    assert usage[0]["metadata"]["runs_today"] >= 2
