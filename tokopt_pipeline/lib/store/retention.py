"""Retention: every table of the store pruned by age, and the file kept under a size cap.

A run is pruned whole: its ``runs`` row and child rows (chunks, templates, error
groups, failed tests, summaries, analyses), its usage ledger row, its memory (the
TestRun entity, its observations, sightings, test results and relations; error types
and tests left with no observation are dropped too, and test ids no result refers to),
and the alerts it raised once they are mailed (an alert still waiting for its mail is
kept). ``log_files`` rows no run refers to go when they are older than the cut too.
The cross-run ``error_entities`` are rebuilt from what is left. Error types and tests
imported from a JSONL file (never seen in a run) are kept.

Size cap: after the age cut, while the file is bigger than ``max_mb``, the oldest
quarter of what is left is pruned the same way and the file checkpointed (DuckDB then
gives the freed blocks back, and the file shrinks).

Example:
    with store.connect() as conn:
        counts = prune_store(conn, days=30, max_mb=512)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tokopt_pipeline.lib.store import RETENTION_DAYS, RETENTION_MAX_MB
from tokopt_pipeline.lib.store.db import Connection, Payload, begin_write, on_postgres, one_row, one_value, operation
from tokopt_pipeline.lib.store.records import RUN_TABLES, refresh_error_entities

__all__ = ["prune_store", "store_bytes", "DEFAULT_DAYS", "DEFAULT_MAX_MB"]

DEFAULT_DAYS = RETENTION_DAYS
DEFAULT_MAX_MB = RETENTION_MAX_MB
_HEADERS = 3 * 4096


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def store_bytes(conn: Connection) -> int:
    """The file's size as DuckDB counts it (headers and every block, free or used); on
    PostgreSQL, the database's size on the server."""
    if on_postgres(conn):
        return int(one_value(conn, "SELECT pg_database_size(current_database())"))
    blocks, block_size = one_row(conn, "SELECT total_blocks, block_size FROM pragma_database_size()")
    return _HEADERS + int(blocks or 0) * int(block_size or 0)


def _count(conn: Connection, sql: str, params: list[object]) -> int:
    return int(one_value(conn, sql, params))


@operation("prune")
def prune(conn: Connection, payload: Payload) -> None:
    """Delete what is older than ``days`` days, or than ``before`` (an ISO time, UTC)."""
    _prune(conn, payload)


def _prune(conn: Connection, payload: Payload) -> dict[str, int]:
    if payload.get("before"):
        cut = datetime.fromisoformat(str(payload["before"]))
        runs_old = "started_at < ?"
        runs_params: list[object] = [cut]
    else:
        days = int(payload["days"])
        cut = _utcnow() - timedelta(days=days)
        runs_old = "started_at < current_timestamp - ? * INTERVAL '1 day'"
        runs_params = [days]
    for table, columns in (("_gone_mem", "run_id VARCHAR, seq BIGINT"), ("_gone_usage", "run_id VARCHAR"),
                           ("_gone_runs", "run_id VARCHAR"), ("_touched", "entity VARCHAR")):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TEMP TABLE {table} ({columns})")
    conn.execute("INSERT INTO _gone_mem SELECT run_id, seq FROM mem_runs WHERE recorded_at < ?", [cut])
    conn.execute("INSERT INTO _gone_usage SELECT run_id FROM usage_ledger WHERE recorded_at < ?", [cut])
    conn.execute(
        f"INSERT INTO _gone_runs SELECT run_id FROM runs WHERE {runs_old} "
        "OR run_id IN (SELECT run_id FROM _gone_mem) OR run_id IN (SELECT run_id FROM _gone_usage)",
        runs_params,
    )
    counts = {
        "runs": _count(conn, "SELECT count(*) FROM _gone_runs", []),
        "memory_runs": _count(conn, "SELECT count(*) FROM _gone_mem", []),
        "usage_rows": _count(conn, "SELECT count(*) FROM usage_ledger WHERE run_id IN (SELECT run_id FROM _gone_usage) "
                                   "OR run_id IN (SELECT run_id FROM _gone_runs)", []),
    }
    # the runs and their rows
    for table in RUN_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM _gone_runs)")
    conn.execute("DELETE FROM runs WHERE run_id IN (SELECT run_id FROM _gone_runs)")
    conn.execute("DELETE FROM log_files WHERE registered_at < ? AND file_key NOT IN "
                 "(SELECT file_key FROM runs WHERE file_key IS NOT NULL)", [cut])
    # usage: the ledger rows of those runs and every older row; mailed alerts
    conn.execute("DELETE FROM usage_ledger WHERE run_id IN (SELECT run_id FROM _gone_usage) "
                 "OR run_id IN (SELECT run_id FROM _gone_runs)")
    conn.execute("DELETE FROM usage_alerts WHERE sent_at IS NOT NULL AND created_at < ?", [cut])
    # memory: the runs, what they observed, and what is left with nothing observed
    conn.execute("INSERT INTO _gone_mem SELECT run_id, seq FROM mem_runs WHERE run_id IN (SELECT run_id FROM _gone_runs) "
                 "AND run_id NOT IN (SELECT run_id FROM _gone_mem)")
    conn.execute("INSERT INTO _touched SELECT DISTINCT entity FROM mem_observations "
                 "WHERE run_id IN (SELECT run_id FROM _gone_mem)")
    conn.execute("DELETE FROM mem_results WHERE run_seq IN (SELECT seq FROM _gone_mem)")
    conn.execute("DELETE FROM mem_sightings WHERE run_id IN (SELECT run_id FROM _gone_mem)")
    conn.execute("DELETE FROM mem_observations WHERE run_id IN (SELECT run_id FROM _gone_mem)")
    conn.execute("DELETE FROM mem_entities WHERE entity_type = 'TestRun' AND name IN (SELECT run_id FROM _gone_mem)")
    conn.execute("DELETE FROM mem_entities WHERE name IN (SELECT entity FROM _touched) "
                 "AND name NOT IN (SELECT entity FROM mem_observations)")
    conn.execute("DELETE FROM mem_relations WHERE from_entity NOT IN (SELECT name FROM mem_entities) "
                 "OR to_entity NOT IN (SELECT name FROM mem_entities)")
    conn.execute("DELETE FROM mem_runs WHERE run_id IN (SELECT run_id FROM _gone_mem)")
    conn.execute("DELETE FROM mem_tests WHERE test_key NOT IN (SELECT test_key FROM mem_results)")
    refresh_error_entities(conn, {})
    for t in ("_gone_mem", "_gone_usage", "_gone_runs", "_touched"):
        conn.execute(f"DROP TABLE IF EXISTS {t}")
    return counts


def _oldest_quarter(conn: Connection) -> datetime | None:
    """The time before which the oldest quarter of the recorded runs lie (UTC)."""
    row = conn.execute(
        "SELECT percentile_disc(0.25) WITHIN GROUP (ORDER BY t), count(*) FROM (SELECT recorded_at AS t FROM mem_runs "
        "UNION ALL SELECT recorded_at FROM usage_ledger UNION ALL SELECT started_at FROM runs) AS recorded"
    ).fetchone()
    if row is None or not row[1]:
        return None
    cut: datetime = row[0]
    return cut


def prune_store(conn: Connection, days: int | None = DEFAULT_DAYS, max_mb: float | None = DEFAULT_MAX_MB) -> dict[str, int]:
    """Prune runs older than ``days`` (None: none by age), then the oldest runs while the
    file is over ``max_mb`` MB (None: no cap); each step in one transaction. Returns
    ``runs``, ``memory_runs`` and ``usage_rows`` pruned, and ``bytes_before`` /
    ``bytes_after`` of the file.

    On PostgreSQL the size cap is not applied: deleted rows give their space back only
    to the server's VACUUM, so the database's size would not tell when to stop (the
    server's size is its administrator's to manage); pruning by age is the same."""
    total = {"runs": 0, "memory_runs": 0, "usage_rows": 0}
    pg = on_postgres(conn)
    if pg:
        max_mb = None

    def step(payload: Payload) -> None:
        try:
            begin_write(conn)
            got = _prune(conn, payload)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        for k, v in got.items():
            total[k] += v
        if not pg:
            conn.execute("CHECKPOINT")

    if not pg:
        conn.execute("CHECKPOINT")
    before = store_bytes(conn)
    if days is not None:
        step({"days": days})
    if max_mb is not None:
        cap = int(max_mb * 1024 * 1024)
        for _ in range(64):  # each step prunes a quarter of what is left
            if store_bytes(conn) <= cap:
                break
            cut = _oldest_quarter(conn)
            if cut is None:
                break
            step({"before": (cut + timedelta(microseconds=1)).isoformat()})
    return {**total, "bytes_before": before, "bytes_after": store_bytes(conn)}
