"""Where a partition's log is and what it is: size, sha256, lines, profile, timestamps."""


import hashlib
import os

import dagster as dg

from tokopt_pipeline.defs.files import Folder, display, exists, local_copy, to_uri
from tokopt_pipeline.lib.engine.profiles import detect_profile
from tokopt_pipeline.lib.engine.reader import open_log
from tokopt_pipeline.lib.store import queries

# Run tags set by the sensors (and `make run`) on the runs they request. TAG_PATH holds
# the log's URI (file:///... for a local file); a plain path is accepted too.
TAG_PATH = "tokopt/path"
TAG_SOURCE = "tokopt/source"
TAG_COMMIT = "tokopt/commit"
TAG_SUITE = "tokopt/suite"


def requested_uri(context: dg.AssetExecutionContext, logs: Folder) -> str:
    """The URI of the file a run is for: its ``tokopt/path`` tag, else the key under the watched folder."""
    tagged = context.run.tags.get(TAG_PATH)
    return to_uri(tagged) if tagged else to_uri(logs.child(context.partition_key))


def registered_path(conn, key: str) -> str:
    """The path ``raw_logs`` registered for partition ``key``."""
    log = queries.registered_log(conn, key)
    if log is None:
        raise dg.Failure(description=f"log {key!r} is not registered: materialize raw_logs for this partition first")
    return log["path"]


def describe(location: str) -> dict:
    """One pass over the file at ``location`` (a path or a URL): what ``raw_logs``
    registers; ``path`` is the local path of a local file, the URL of a remote one."""
    shown = display(location)
    if not exists(location):
        raise dg.Failure(description=f"log file {shown} does not exist (moved or deleted after it was seen)")
    with local_copy(location) as path:
        info = _describe_local(path)
    return {**info, "path": shown}


def _describe_local(path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    src = open_log(str(path))
    lines, profile = 0, None
    for batch in src.batches(batch_lines=50_000):
        if profile is None:
            profile = detect_profile(batch.lines[:2000])
        lines += len(batch.lines)
    return {
        "path": str(path),
        "size_bytes": os.path.getsize(path),
        "sha256": digest.hexdigest(),
        "lines": lines,
        "profile": profile or "generic",
        "first_ts": src.stats.first_timestamp,
        "last_ts": src.stats.last_timestamp,
    }
