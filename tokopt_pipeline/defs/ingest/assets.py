"""``raw_logs``: register each log file (one partition per file)."""


import dagster as dg

from tokopt_pipeline.defs.files import is_local, to_uri
from tokopt_pipeline.defs.ingest.logfile import describe, requested_uri
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried


@dg.asset(partitions_def=log_files, group_name="ingest", kinds={"duckdb"}, pool=STORE_POOL, retry_policy=STORE_RETRY)
def raw_logs(context: dg.AssetExecutionContext, store: TokoptStore, settings: TokoptSettings) -> dg.MaterializeResult:
    """A log file, registered: path, size, sha256, lines, detected profile and the first
    and last CI timestamps (one row in ``log_files``). The log itself stays where it is
    (a local folder or an fsspec URL)."""
    with only_busy_retried():
        uri = requested_uri(context, settings.logs())
        info = describe(uri)
        store.write("register_log", {"file_key": context.partition_key, **info})
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(info["path"]) if is_local(uri) else dg.MetadataValue.url(uri),
            "uri": dg.MetadataValue.url(to_uri(uri)),
            "bytes": info["size_bytes"],
            "lines": info["lines"],
            "profile": info["profile"],
            "sha256": info["sha256"],
            "first_timestamp": info["first_ts"] or "",
            "last_timestamp": info["last_ts"] or "",
        },
        data_version=dg.DataVersion(info["sha256"]),
    )
