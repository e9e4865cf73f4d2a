"""``new_log_sensor``: one run per new or changed file in the watched folder.

The folder (``TOKOPT_LOG_DIR``, default ``logs/incoming``; a local folder or an fsspec
URL) is walked recursively. Each run's ``tokopt/path`` tag is the log's URI. A
file is requested once its size and mtime are the same on two consecutive ticks (it is
no longer being written); the run key is built from its path, size and mtime, so a
changed file runs again and an unchanged one never does. The sensor never opens the
DuckDB store.

The daemon may evaluate the sensors every ``TICK_SECONDS``; each keeps the time of its
last scan in its cursor and scans again once ``TokoptSettings.sensor_interval``
(``TOKOPT_SENSOR_INTERVAL``, default 30 s) has passed, so the pace is read when the
sensor runs, never at import.
"""


import json
import time

import dagster as dg

from tokopt_pipeline.defs.ingest.logfile import TAG_PATH, TAG_SOURCE
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings

LOG_ASSETS = dg.AssetSelection.assets("raw_logs", "priority_chunks", "budget_trimmed_summaries")
MAX_RUNS_PER_TICK = 50
# The sensor daemon evaluates sensors at most every 5 s; a scan happens every
# settings.sensor_interval seconds, checked at each evaluation.
TICK_SECONDS = 5


def not_due(last_scan: float | None, interval: int, now: float) -> dg.SkipReason | None:
    """A skip reason while ``interval`` seconds have not passed since ``last_scan``
    (epoch seconds, from the cursor); None when a scan is due (first tick, interval
    passed, or the clock went back)."""
    if last_scan is None or now < last_scan or now - last_scan >= interval:
        return None
    return dg.SkipReason(f"next scan in {interval - (now - last_scan):.0f} s (every {interval} s: TOKOPT_SENSOR_INTERVAL)")


@dg.sensor(
    target=LOG_ASSETS,
    minimum_interval_seconds=TICK_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def new_log_sensor(context: dg.SensorEvaluationContext, settings: TokoptSettings) -> dg.SensorResult | dg.SkipReason:
    """Summarize every new or changed log dropped in the watched folder (recursively)."""
    state = json.loads(context.cursor) if context.cursor else {}
    now = time.time()
    wait = not_due(state.get("scanned_at"), settings.sensor_interval, now)
    if wait:
        return wait
    seen, done = state.get("seen", {}), state.get("done", {})
    logs = settings.logs()
    files = logs.scan()
    requests, new_keys = [], []
    for key, f in files.items():
        if len(requests) >= MAX_RUNS_PER_TICK:
            break
        if seen.get(key) != f.version or done.get(key) == f.version:
            continue  # still being written, or already requested
        requests.append(
            dg.RunRequest(
                run_key=f"{key}:{f.version}",
                partition_key=key,
                tags={TAG_PATH: f.path, TAG_SOURCE: "folder"},
            )
        )
        done[key] = f.version
        if not context.instance.has_dynamic_partition(log_files.name, key):
            new_keys.append(key)
    cursor = json.dumps(
        {"seen": {k: f.version for k, f in files.items()}, "done": {k: v for k, v in done.items() if k in files}, "scanned_at": now}
    )
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[log_files.build_add_request(new_keys)] if new_keys else [],
        cursor=cursor,
        skip_reason=None if requests else f"no new finished log in {logs} ({len(files)} files watched)",
    )
