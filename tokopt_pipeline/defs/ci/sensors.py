"""``ci_log_sensor``: one run for each ``ci_logs`` report.

The sensor follows the asset's materialization events by storage id, so every report
is handled, even several between two ticks (``@asset_sensor`` sees only the latest
one per tick), and keys each run by the event's storage id (a report made through the
REST API has no run id). An absolute path, a path relative to the watched folder or
an fsspec URL is accepted (the run's tag is its URI); a report
whose file does not exist is logged and skipped. The DuckDB store is never opened.
It looks for new reports at the pace of ``new_log_sensor`` (``TOKOPT_SENSOR_INTERVAL``).
"""


import json
import os
import time

import dagster as dg

from tokopt_pipeline.defs.files import exists, to_uri
from tokopt_pipeline.defs.ingest.logfile import TAG_COMMIT, TAG_PATH, TAG_SOURCE, TAG_SUITE
from tokopt_pipeline.defs.ingest.sensors import LOG_ASSETS, TICK_SECONDS, not_due
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings

CI_LOGS = dg.AssetKey("ci_logs")
BATCH = 100


def _text(metadata, name: str) -> str | None:
    value = metadata.get(name)
    if value is None:
        return None
    v = value.value
    return None if v is None else str(v)


def read_cursor(cursor: str | None) -> tuple[int | None, float | None]:
    """(storage id of the last report handled, time of the last look) from the cursor;
    a cursor from before the looks were paced is the storage id alone."""
    state = json.loads(cursor) if cursor else {}
    if isinstance(state, int):
        return state, None
    return state.get("after"), state.get("scanned_at")


@dg.sensor(
    target=LOG_ASSETS,
    minimum_interval_seconds=TICK_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def ci_log_sensor(context: dg.SensorEvaluationContext, settings: TokoptSettings) -> dg.SensorResult | dg.SkipReason:
    """Summarize each log a CI step reports as a ``ci_logs`` materialization."""
    after, scanned_at = read_cursor(context.cursor)
    now = time.time()
    wait = not_due(scanned_at, settings.sensor_interval, now)
    if wait:
        return wait
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=CI_LOGS, after_storage_id=after), limit=BATCH, ascending=True
    ).records
    logs = settings.logs()
    requests, new_keys, skipped = [], [], []
    for rec in records:
        after = rec.storage_id
        md = rec.asset_materialization.metadata if rec.asset_materialization else {}
        reported = _text(md, "path")
        location = reported
        if reported and "://" not in reported and not os.path.isabs(reported):
            location = logs.child(reported)  # relative to the watched folder
        if not location or not exists(location):
            context.log.warning(f"ci_logs report {rec.storage_id}: no readable file at {reported!r}; skipped")
            skipped.append(str(rec.storage_id))
            continue
        key = logs.key(location)
        tags = {TAG_PATH: to_uri(location), TAG_SOURCE: "ci"}
        for name, tag in (("commit", TAG_COMMIT), ("suite", TAG_SUITE)):
            if _text(md, name):
                tags[tag] = _text(md, name)[:200]
        requests.append(dg.RunRequest(run_key=f"ci_logs:{rec.storage_id}", partition_key=key, tags=tags))
        if key not in new_keys and not context.instance.has_dynamic_partition(log_files.name, key):
            new_keys.append(key)
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[log_files.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps({"after": after, "scanned_at": now}),
        skip_reason=None if requests else (f"reports skipped (no file): {', '.join(skipped)}" if skipped else "no new ci_logs report"),
    )
