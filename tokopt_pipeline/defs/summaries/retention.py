"""Nightly retention: rotate the output folder, prune every table of the store by age
and keep it under a size cap (:mod:`tokopt_pipeline.lib.store.retention`), and drop the
``log_files`` partitions of logs that are gone.

A partition is deleted from the instance only when both hold: its log file no longer
exists (neither in the watched folder nor at the path it was registered with), and no
run of it is left in the store (its rows were pruned, tonight or earlier). A log that
was removed but summarized recently keeps its partition, since its summary can still
be re-rendered from the stored analysis; a log still in the folder keeps its partition
whatever its age. The materialization history of a deleted partition stays in the
instance. An output folder at an fsspec URL is not rotated (an object store's lifecycle
rules expire old summaries); the store is pruned and the partitions dropped all the same.
"""


from collections.abc import Iterable

import dagster as dg

from tokopt_pipeline.defs.files import exists
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib.outputs import rotate
from tokopt_pipeline.lib.store import queries
from tokopt_pipeline.lib.store.retention import prune_store

RAW_LOGS = dg.AssetKey("raw_logs")


class RetentionConfig(dg.Config):
    """Unset values come from the ``settings`` resource (10 summaries, 5 MB, 30 days,
    a store of 512 MB)."""

    max_logs: int | None = None
    max_log_size_mb: float | None = None
    days: int | None = None
    store_max_mb: float | None = None


def _registered_path(instance: dg.DagsterInstance, key: str) -> str | None:
    """The path of the partition's latest ``raw_logs`` materialization (kept after pruning)."""
    result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=RAW_LOGS, asset_partitions=[key]), limit=1)
    if not result.records:
        return None
    value = result.records[0].asset_materialization.metadata.get("path")
    return None if value is None else str(value.value)


def stale_partitions(keys: Iterable[str], in_folder: set[str], with_runs: set[str], paths) -> list[str]:
    """The keys whose log is gone and whose rows are gone.

    Args:
        keys: the partition keys in the instance.
        in_folder: keys of the logs in the watched folder now.
        with_runs: keys that still have a run in the store.
        paths: ``paths(key)`` gives the paths (or URLs) the log was known by.
    """
    stale = []
    for key in keys:
        if key in in_folder or key in with_runs:
            continue
        if any(exists(p) for p in paths(key)):
            continue
        stale.append(key)
    return stale


@dg.op(pool=STORE_POOL, retry_policy=STORE_RETRY)
def apply_retention(context: dg.OpExecutionContext, config: RetentionConfig, store: TokoptStore, settings: TokoptSettings) -> None:
    """Keep the newest ``max_logs`` summaries (none above ``max_log_size_mb``), delete
    runs older than ``days`` with every row they left (chunks, templates, errors, tests,
    summaries, usage, memory), then the oldest runs while the store is over
    ``store_max_mb``, and delete the partitions of logs that are gone and have no run left."""
    max_logs = config.max_logs or settings.max_logs
    max_mb = config.max_log_size_mb or settings.max_log_size_mb
    days = settings.retention_days if config.days is None else config.days
    store_mb = config.store_max_mb or settings.store_max_mb
    outputs = settings.outputs()
    if outputs.local:
        removed = rotate(outputs.path, max_logs, max_mb)
    else:
        removed = []
        context.log.info(f"retention: the output folder {outputs} is remote; its lifecycle rules rotate it")
    with only_busy_retried(), store.connect() as conn:
        before = queries.run_count(conn)
        pruned = prune_store(conn, days=days, max_mb=store_mb)
        after = queries.run_count(conn)
        with_runs = queries.file_keys_with_runs(conn)
        stored_paths = queries.registered_paths(conn)
    context.log.info(
        f"retention: {len(removed)} output files removed, {before - after} runs pruned (older than {days} days, "
        f"or over the store's {store_mb:g} MB), {pruned['memory_runs']} memory runs and {pruned['usage_rows']} usage rows; "
        f"store {pruned['bytes_before'] / 1e6:.1f} MB -> {pruned['bytes_after'] / 1e6:.1f} MB"
    )

    folder = settings.logs()
    keys = context.instance.get_dynamic_partitions(log_files.name)
    if folder.exists():
        in_folder = set(folder.scan())
        stale = stale_partitions(
            keys, in_folder, with_runs,
            lambda k: [folder.child(k), stored_paths.get(k), _registered_path(context.instance, k)],
        )
    else:
        # A watched folder that is not there (a wrong TOKOPT_LOG_DIR) says nothing about the logs.
        context.log.warning(f"retention: the watched folder {folder} does not exist; no partition deleted")
        stale = []
    for key in stale:
        context.instance.delete_dynamic_partition(log_files.name, key)
    if stale:
        context.log.info(f"retention: {len(stale)} partitions of removed logs with no run left deleted: {', '.join(stale)}")
    else:
        context.log.info("retention: no partition to delete")
    context.add_output_metadata(
        {
            "files_removed": len(removed),
            "runs_pruned": before - after,
            "memory_runs_pruned": pruned["memory_runs"],
            "usage_rows_pruned": pruned["usage_rows"],
            "store_mb": round(pruned["bytes_after"] / 1e6, 2),
            "runs_kept": after,
            "partitions_deleted": len(stale),
            "partitions_kept": len(keys) - len(stale),
        }
    )


@dg.job(description="Rotate the output folder, prune old runs from every table of the store (and the oldest while it is over its size cap) and delete the partitions of removed logs.")
def retention_job():
    apply_retention()


nightly_retention = dg.ScheduleDefinition(
    name="nightly_retention",
    cron_schedule="30 2 * * *",
    job=retention_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
