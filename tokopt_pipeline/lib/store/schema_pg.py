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
#: ``round(double, int)``), by version. The PostgreSQL store came with schema 22, so
#: every server store is created by running them all on empty tables: these create the
#: same tables and views, without the DuckDB text's copying of old rows into new tables.
REWRITTEN: dict[int, str] = {
    11: """
        CREATE TABLE mem_tests (
            test_key INTEGER PRIMARY KEY,
            test_id  VARCHAR NOT NULL UNIQUE
        );
        CREATE TABLE mem_results (
            run_seq  BIGINT NOT NULL,
            test_key INTEGER NOT NULL,
            failed   BOOLEAN NOT NULL
        );
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
