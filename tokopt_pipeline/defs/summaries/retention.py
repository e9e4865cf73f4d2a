"""Nightly retention: rotate the output folder and prune old runs from the store."""


from typing import Optional

import dagster as dg

from ...lib.outputs import rotate
from ..resources import TokoptSettings, TokoptStore


class RetentionConfig(dg.Config):
    """Unset values come from the ``settings`` resource (10 summaries, 5 MB, 30 days)."""

    max_logs: Optional[int] = None
    max_log_size_mb: Optional[float] = None
    days: Optional[int] = None


@dg.op(pool="duckdb")
def apply_retention(context: dg.OpExecutionContext, config: RetentionConfig, store: TokoptStore, settings: TokoptSettings) -> None:
    """Keep the newest ``max_logs`` summaries (none above ``max_log_size_mb``) and delete
    runs older than ``days`` with their rows (chunks, templates, errors, tests, summaries)."""
    max_logs = config.max_logs or settings.max_logs
    max_mb = config.max_log_size_mb or settings.max_log_size_mb
    days = settings.retention_days if config.days is None else config.days
    removed = rotate(settings.output_folder(), max_logs, max_mb)
    s = store.store()
    with s.connect() as conn:
        before = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        s.apply(conn, "prune", {"days": days})
        after = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    context.log.info(f"retention: {len(removed)} output files removed, {before - after} runs older than {days} days pruned")
    context.add_output_metadata({"files_removed": len(removed), "runs_pruned": before - after, "runs_kept": after})


@dg.job(description="Rotate the output folder and prune old runs from the store.")
def retention_job():
    apply_retention()


nightly_retention = dg.ScheduleDefinition(
    name="nightly_retention",
    cron_schedule="30 2 * * *",
    job=retention_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
