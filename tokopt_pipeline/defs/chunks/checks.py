"""``chunks_cover_log``: the stored chunk statistics account for every line of the log.

Blocking, so an analysis that lost or counted twice some lines (or that was made from
a file changed after ``raw_logs`` registered it) never reaches a summary. The rows are
those of the analysis ``budget_trimmed_summaries`` would render: the partition's latest.
"""


import dagster as dg

from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib.store import queries

CHUNKS_KEY = dg.AssetKey("priority_chunks")
MAX_PROBLEMS = 5


def coverage_problems(chunks: list[tuple[int, int, int, int]], registered_lines: int) -> list[str]:
    """What is wrong with ``(chunk, first_line, last_line, lines)`` rows, ordered by chunk,
    as the cover of lines 1..``registered_lines``; empty when they tile it exactly."""
    problems = []
    expected = 1
    for chunk, first, last, lines in chunks:
        if first > expected:
            problems.append(f"lines {expected}-{first - 1} are in no chunk (gap before chunk {chunk})")
        elif first < expected:
            problems.append(f"chunk {chunk} starts at line {first}, inside the previous chunk (overlap up to line {expected - 1})")
        if lines != last - first + 1:
            problems.append(f"chunk {chunk} spans lines {first}-{last} but counts {lines} lines")
        expected = max(expected, last + 1)
    if expected - 1 < registered_lines:
        problems.append(f"lines {expected}-{registered_lines} are in no chunk (after the last chunk)")
    elif expected - 1 > registered_lines:
        problems.append(f"chunks reach line {expected - 1}, beyond the {registered_lines} lines registered")
    return problems


@dg.asset_check(asset=CHUNKS_KEY, blocking=True, partitions_def=log_files, pool=STORE_POOL, retry_policy=STORE_RETRY)
def chunks_cover_log(context: dg.AssetCheckExecutionContext, store: TokoptStore) -> dg.AssetCheckResult:
    """The chunks of the latest analysis tile the log: contiguous from line 1, no gap or
    overlap, and their lines add up to the lines ``raw_logs`` registered."""
    key = context.partition_key
    with only_busy_retried(), store.connect() as conn:
        registered = queries.registered_log(conn, key)
        run = queries.latest_analysis_run(conn, key)
        chunks = [] if run is None else queries.chunk_rows(conn, run["run_id"])
    if registered is None or run is None:
        missing = "raw_logs registered no log" if registered is None else "priority_chunks stored no analysis"
        return dg.AssetCheckResult(passed=False, description=f"{key}: {missing} for this partition")
    lines = int(registered["lines"] or 0)
    counted = sum(int(c[3]) for c in chunks)
    problems = coverage_problems(chunks, lines)
    if counted != lines:
        problems.insert(0, f"the chunks count {counted:,} lines, raw_logs registered {lines:,}")
    metadata = {"lines_registered": lines, "lines_in_chunks": counted, "chunks": len(chunks), "problems": len(problems), "run_id": run["run_id"]}
    if not problems:
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    shown = problems[:MAX_PROBLEMS] + ([f"… and {len(problems) - MAX_PROBLEMS} more"] if len(problems) > MAX_PROBLEMS else [])
    return dg.AssetCheckResult(passed=False, metadata=metadata, description="; ".join(shown))
