"""``retention_job`` against a real DuckDB file and a real instance: old runs pruned,
and the partitions of removed logs with no run left deleted, the others kept."""

import dagster as dg
import pytest

from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.summaries.retention import nightly_retention, retention_job

from .helpers import materialize_log

pytestmark = pytest.mark.slow  # Dagster materializations and the retention job against a real instance

LOG = "\n".join(
    ["============================= test session starts =============================="]
    + [f"tests/test_mod.py::test_case_{i} PASSED" for i in range(40)]
    + ["tests/test_mod.py::test_broken FAILED", "E   ValueError: connection refused on port 5432",
       "=========================== short test summary info ============================",
       "FAILED tests/test_mod.py::test_broken - ValueError: connection refused on port 5432",
       "========================= 1 failed, 40 passed in 1.23s ========================="]
) + "\n"


def drop(pipeline, name: str):
    path = pipeline.log_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOG, encoding="utf-8")
    return path


def age(pipeline, key: str, days: int) -> None:
    with pipeline.store().connect() as conn:
        conn.execute(f"UPDATE runs SET started_at = current_timestamp - INTERVAL {days} DAY WHERE file_key = ?", [key])
        conn.execute(f"UPDATE log_files SET registered_at = current_timestamp - INTERVAL {days} DAY WHERE file_key = ?", [key])


def run_ids(pipeline, key: str) -> list[str]:
    return [r for (r,) in pipeline.query("SELECT run_id FROM runs WHERE file_key = ?", [key])]


def test_retention_deletes_the_partition_of_a_removed_log_whose_runs_were_pruned(pipeline):
    gone_old, _ = materialize_log(pipeline, drop(pipeline, "gone-old.log"))
    here_old, _ = materialize_log(pipeline, drop(pipeline, "team/here-old.log"))
    gone_new, _ = materialize_log(pipeline, drop(pipeline, "gone-new.log"))
    (pipeline.log_dir / "gone-old.log").unlink()
    (pipeline.log_dir / "gone-new.log").unlink()
    age(pipeline, gone_old, 40)
    age(pipeline, here_old, 40)
    pruned = run_ids(pipeline, gone_old) + run_ids(pipeline, here_old)

    result = retention_job.execute_in_process(
        instance=pipeline.instance,
        resources=pipeline.resources,
        run_config={"ops": {"apply_retention": {"config": {"days": 30}}}},
    )

    assert result.success
    # The removed log with no run left is gone; the one still in the folder stays (even
    # with its runs pruned), and so does the removed log summarized recently.
    assert sorted(pipeline.instance.get_dynamic_partitions(log_files.name)) == sorted([here_old, gone_new])
    (output,) = [e for e in result.events_for_node("apply_retention") if e.is_successful_output]
    md = {k: v.value for k, v in output.step_output_data.metadata.items()}
    assert md["partitions_deleted"] == 1 and md["partitions_kept"] == 2 and md["runs_pruned"] == 2
    # The store agrees: only the recent run is left, with its rows; nothing of the pruned ones.
    assert pipeline.query("SELECT file_key FROM runs") == [(gone_new,)]
    for table in ("chunks", "templates", "error_groups", "failed_tests", "summaries", "analyses"):
        orphans = pipeline.query(f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)")
        assert orphans == [(0,)], f"{table} keeps rows of pruned runs"
        assert pipeline.query(f"SELECT count(*) FROM {table} WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [pruned]) == [(0,)]
    assert pipeline.query("SELECT count(*) FROM summaries") == [(1,)]
    assert sorted(k for (k,) in pipeline.query("SELECT file_key FROM log_files")) == [gone_new]


def test_the_nightly_schedule_runs_the_retention_job(pipeline):
    with dg.build_schedule_context(instance=pipeline.instance) as context:
        data = nightly_retention.evaluate_tick(context)
    assert nightly_retention.job_name == retention_job.name
    assert len(data.run_requests) == 1
