"""The store's schema on PostgreSQL: the same versions, tables, columns and views as
:mod:`.schema`, in the server's dialect.

Most migrations read the same on both engines once DuckDB's type names are spelled as
PostgreSQL's (``DOUBLE`` -> ``DOUBLE PRECISION``, ``BLOB`` -> ``BYTEA``; ``VARCHAR[]``
is an array on both). The migrations that use DuckDB's functions are written out here
(:data:`REWRITTEN`). A released DuckDB migration is never edited; a new one gets its
PostgreSQL text here when the substitution does not give it.

Example:
    for version, description, sql in migrations():
        ...
"""

from __future__ import annotations

import re

from tokopt_pipeline.lib.store.schema import MIGRATIONS

__all__ = ["REWRITTEN", "migrations", "postgres_sql"]

_TYPES = [(re.compile(r"\bDOUBLE\b(?! PRECISION)"), "DOUBLE PRECISION"), (re.compile(r"\bBLOB\b"), "BYTEA")]

#: Migrations whose DuckDB text uses functions PostgreSQL does not have (a subquery
#: without an alias, ``arg_min``/``arg_max``, ``epoch``, ``regexp_extract``,
#: ``round(double, int)``), by version.
REWRITTEN: dict[int, str] = {
    11: """
        CREATE TABLE mem_tests (
            test_key INTEGER PRIMARY KEY,
            test_id  VARCHAR NOT NULL UNIQUE
        );
        INSERT INTO mem_tests
        SELECT row_number() OVER (ORDER BY test_id), test_id FROM (SELECT DISTINCT test_id FROM mem_test_results) AS d;
        CREATE TABLE mem_results (
            run_seq  BIGINT NOT NULL,
            test_key INTEGER NOT NULL,
            failed   BOOLEAN NOT NULL
        );
        INSERT INTO mem_results
        SELECT m.seq, t.test_key, r.outcome = 'failed'
        FROM mem_test_results r JOIN mem_runs m USING (run_id) JOIN mem_tests t USING (test_id)
        ORDER BY m.seq, t.test_key;
        DROP TABLE mem_test_results;
    """,
    21: """
        CREATE TABLE usage_ledger (
            run_id          VARCHAR PRIMARY KEY,
            recorded_at     TIMESTAMP NOT NULL,
            source          VARCHAR,
            file_key        VARCHAR,
            log_path        VARCHAR,
            component       VARCHAR,
            tokens_in       BIGINT,
            tokens_in_exact BOOLEAN,
            tokens_out      BIGINT,
            budget          BIGINT,
            reduction_pct   DOUBLE PRECISION,
            budget_pct      DOUBLE PRECISION,
            sections        VARCHAR,
            tracked         BOOLEAN NOT NULL DEFAULT false
        );
        CREATE TEMP TABLE _usage_pairs AS
        WITH cand AS (
            SELECT u.run_id AS uid, r.run_id AS rid,
                   abs(extract(epoch FROM u.recorded_at) - extract(epoch FROM r.started_at)) AS gap
            FROM usage_records u JOIN runs r
              ON r.tokens_in = u.tokens_in AND r.tokens_out = u.tokens_out AND r.budget = u.budget
             AND substring(coalesce(r.path, '') FROM '[^/]*$') = substring(coalesce(u.log_path, '') FROM '[^/]*$')
        ),
        best_u AS (SELECT uid, (array_agg(rid ORDER BY gap))[1] AS rid FROM cand GROUP BY uid),
        best_r AS (SELECT rid, (array_agg(uid ORDER BY gap))[1] AS uid FROM cand GROUP BY rid)
        SELECT b.uid, b.rid FROM best_u b JOIN best_r c ON b.uid = c.uid AND b.rid = c.rid;
        INSERT INTO usage_ledger
        SELECT r.run_id, coalesce(u.recorded_at, r.started_at), r.source, r.file_key, coalesce(u.log_path, r.path),
               coalesce(u.component, r.suite), r.tokens_in, r.tokens_in_exact, r.tokens_out, r.budget,
               r.reduction_pct, r.budget_pct, u.sections, u.run_id IS NOT NULL
        FROM runs r LEFT JOIN _usage_pairs p ON p.rid = r.run_id LEFT JOIN usage_records u ON u.run_id = p.uid
        WHERE r.tokens_out IS NOT NULL;
        INSERT INTO usage_ledger
        SELECT u.run_id, u.recorded_at, 'cli', NULL, u.log_path, u.component, u.tokens_in, u.tokens_in_exact,
               u.tokens_out, u.budget, u.reduction_pct, u.budget_pct, u.sections, true
        FROM usage_records u
        WHERE u.run_id NOT IN (SELECT uid FROM _usage_pairs) AND u.run_id NOT IN (SELECT run_id FROM usage_ledger);
        DROP TABLE _usage_pairs;
        DROP TABLE usage_records;
        DROP TABLE usage_daily;
        DROP TABLE usage_by_file;
        CREATE VIEW usage_daily AS
        SELECT CAST(recorded_at AS DATE) AS day, count(*) AS runs, sum(tokens_in) AS tokens_in,
               sum(tokens_out) AS tokens_out,
               CAST(round(100.0 * (1 - sum(tokens_out) / nullif(sum(tokens_in), 0)), 2) AS DOUBLE PRECISION) AS reduction_pct,
               CAST(round(CAST(avg(budget_pct) AS NUMERIC), 2) AS DOUBLE PRECISION) AS budget_pct_avg,
               max(budget_pct) AS budget_pct_max
        FROM usage_ledger GROUP BY 1;
        CREATE VIEW usage_by_file AS
        SELECT coalesce(file_key, log_path) AS file_key, count(*) AS runs, max(recorded_at) AS last_run_at,
               (array_agg(tokens_in ORDER BY recorded_at DESC))[1] AS tokens_in,
               (array_agg(tokens_out ORDER BY recorded_at DESC))[1] AS tokens_out,
               (array_agg(reduction_pct ORDER BY recorded_at DESC))[1] AS reduction_pct,
               (array_agg(budget_pct ORDER BY recorded_at DESC))[1] AS budget_pct
        FROM usage_ledger GROUP BY 1;
    """,
}


def postgres_sql(version: int, duckdb_sql: str) -> str:
    """The PostgreSQL text of migration ``version`` (DuckDB text ``duckdb_sql``)."""
    if version in REWRITTEN:
        return REWRITTEN[version]
    for pattern, name in _TYPES:
        duckdb_sql = pattern.sub(name, duckdb_sql)
    return duckdb_sql


def migrations() -> list[tuple[int, str, str]]:
    """:data:`.schema.MIGRATIONS` with each migration's PostgreSQL text."""
    return [(v, d, postgres_sql(v, sql)) for v, d, sql in MIGRATIONS]
