"""deploy/dagster.yaml against a real PostgreSQL 15 on loopback: the instance loads with
its storage on the server, and three partitions summarized by three concurrent runs of
the `dagster` command, each with the multiprocess executor, all succeed with their
blocking checks (the store is still the DuckDB file)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tokopt_pipeline_tests.conftest import EXAMPLE_LOG
from tokopt_pipeline_tests.pg_server import create_database, pg_server  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LOGS = ("team-a/build.log", "team-b/build.log", "nightly.log")
SELECT = "raw_logs,priority_chunks,budget_trimmed_summaries"


@pytest.fixture
def deployment(pg_server, tmp_path):  # noqa: F811
    """DAGSTER_HOME with deploy/dagster.yaml, pointed at a fresh database of the server."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    create_database(pg_server, "dagster_e2e")
    env = {
        **os.environ,
        **pg_server.env("dagster_e2e"),
        "DAGSTER_HOME": str(home),
        "TOKOPT_EXECUTOR": "multiprocess",
        "TOKOPT_LOG_DIR": str(tmp_path / "incoming"),
        "TOKOPT_OUTPUT_DIR": str(tmp_path / "out"),
        "TOKOPT_DUCKDB_PATH": str(tmp_path / "store" / "tokopt.duckdb"),
        "TOKOPT_PENDING_DIR": str(tmp_path / "pending"),
    }
    env.pop("TOKOPT_STORE_URL", None)
    for rel in LOGS:
        (tmp_path / "incoming" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE_LOG, tmp_path / "incoming" / rel)
    return home, env, tmp_path


def _instance(home: Path, env: dict, monkeypatch) -> dg.DagsterInstance:
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, env[name])
    return dg.DagsterInstance.from_config(str(home))


def test_three_partitions_run_at_once_with_the_multiprocess_executor_on_a_postgres_instance(deployment, monkeypatch):
    home, env, root = deployment
    instance = _instance(home, env, monkeypatch)
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        instance.add_dynamic_partitions("log_files", list(LOGS))

        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "tokopt_pipeline.definitions",
                 "--select", SELECT, "--partition", key],
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for key in LOGS
        ]
        outputs = [p.communicate(timeout=540)[0] for p in procs]
        elapsed = time.monotonic() - started
        for key, proc, out in zip(LOGS, procs, outputs, strict=True):
            assert proc.returncode == 0, f"{key}: exit {proc.returncode}\n{out[-4000:]}"

        runs = instance.get_runs()
        assert len(runs) == 3 and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert {r.tags.get("dagster/partition") for r in runs} == set(LOGS)
        for run in runs:
            logs = instance.all_logs(run.run_id)
            engine = " ".join(e.message or "" for e in logs if e.dagster_event and e.dagster_event.event_type_value == "ENGINE_EVENT")
            assert "multiprocess executor" in engine, f"run {run.run_id} did not use the multiprocess executor"
            step_pids = {e.dagster_event.pid for e in logs if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"}
            assert len(step_pids) >= 3, "the steps did not run in processes of their own"
        # The three runs overlapped in time.
        spans = sorted((r.start_time, r.end_time) for r in (instance.get_run_record_by_id(r.run_id) for r in runs))
        assert spans[1][0] < spans[0][1] or spans[2][0] < spans[1][1], f"the runs did not overlap: {spans}"

        summaries = instance.fetch_materializations(dg.AssetKey("budget_trimmed_summaries"), limit=10).records
        assert {r.partition_key for r in summaries} == set(LOGS)
        for name in ("summary_within_budget", "critical_events_represented"):
            key = dg.AssetCheckKey(dg.AssetKey("budget_trimmed_summaries"), name)
            evaluations = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
            assert len(evaluations) == 3 and all(e.status.value == "SUCCEEDED" for e in evaluations), f"{name}: {evaluations}"
        assert sorted(p.name for p in (root / "out").rglob("*.summary.md")) == sorted(
            ["team-a__build.summary.md", "team-b__build.summary.md", "nightly.summary.md"])
        print(f"3 partitions, 3 concurrent runs, multiprocess executor: {elapsed:.1f} s")
    finally:
        instance.dispose()
