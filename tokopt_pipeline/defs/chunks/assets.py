"""``priority_chunks``: the streamed analysis of one log, persisted to DuckDB.

The engine reads the file once in bounded batches; only compact results are kept:
per-chunk statistics, per-template aggregates, error groups, failing tests, and the
analysis itself (as JSON) so the summary can be rendered at any budget without
reading the log again. Nothing passes through an IO manager.
"""



import dagster as dg

from tokopt_pipeline.defs.files import local_copy
from tokopt_pipeline.defs.ingest.logfile import TAG_COMMIT, TAG_SOURCE, TAG_SUITE, registered_path
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.settings.layers import summary_options
from tokopt_pipeline.lib.store import records


class ChunkConfig(dg.Config):
    """How the log is tagged (the CLI's --profile, --add-priority-pattern, --no-redact, --chunk-size)."""

    profile: str = "auto"
    priority_patterns: list[str] = []
    redact: bool = True
    chunk_size: int | None = None


def run_id_for(context: dg.AssetExecutionContext) -> str:
    """The store's run id of this partition's analysis: the Dagster run's, or for a run
    started again after its worker died (run retries), the first run's, so the retry
    rewrites the rows the dead worker may have written instead of adding a second run."""
    run_id = context.run.tags.get("dagster/root_run_id") or context.run.run_id
    return f"{run_id}:{context.partition_key}"


@dg.asset(partitions_def=log_files, deps=[dg.AssetKey("raw_logs")], group_name="chunks", kinds={"duckdb", "polars"},
          pool=STORE_POOL, retry_policy=STORE_RETRY)
def priority_chunks(context: dg.AssetExecutionContext, config: ChunkConfig, store: TokoptStore) -> dg.MaterializeResult:
    """The log streamed, redacted, tagged by priority, grouped into multi-line events
    and templated: per-chunk statistics, per-template counts, error groups and failing
    tests (tables ``chunks``, ``templates``, ``error_groups``, ``failed_tests``)."""
    key = context.partition_key
    with only_busy_retried():
        with store.connect() as conn:
            path = registered_path(conn, key)
        options = summary_options(
            {"profile": config.profile, "add_priority_pattern": config.priority_patterns, "redact": config.redact, "chunk_size": config.chunk_size}
        )
        with local_copy(path) as local:
            a = analyze(str(local), options)
        a.source = path  # a remote log was read from a temporary copy; the summary names the log
        tags = context.run.tags
        payload = records.analysis_payload(a, run_id=run_id_for(context), source=tags.get(TAG_SOURCE, "dagster"), file_key=key, path=path)
        payload["run"].update({"commit_sha": tags.get(TAG_COMMIT), "suite": tags.get(TAG_SUITE)})
        store.write("record_run", payload)
    levels = " · ".join(f"{Level(i).label} {c:,}" for i, c in enumerate(a.level_counts))
    return dg.MaterializeResult(
        metadata={
            "lines": a.lines,
            "bytes": a.raw_bytes,
            "tokens_in": a.tokens_in,
            "critical_events": a.critical_units,
            "templates": len(a.templates),
            "chunks": len(a.chunks),
            "error_groups": len(a.groups),
            "failing_tests": len(a.tests),
            "profile": a.profile,
            "lines_by_priority": dg.MetadataValue.md(levels),
        }
    )
