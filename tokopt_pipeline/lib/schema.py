"""The DuckDB store's schema, as an ordered list of migrations.

A store records its version in ``schema_version``; :func:`tokopt_pipeline.lib.store.migrate`
applies every migration above it, each in one transaction, so an older file is
upgraded in place. Never edit a released migration: append a new one.

Version ranges by owner: 1-9 core (runs, summaries, templates, chunks, errors, tests),
10-19 memory (entities, relations, observations), 20-29 usage monitoring.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "core tables: log files, runs, chunks, templates, error groups, failing tests, summaries",
        """
        CREATE TABLE IF NOT EXISTS log_files (
            file_key      VARCHAR PRIMARY KEY,   -- partition key: path relative to the watched folder
            path          VARCHAR NOT NULL,
            size_bytes    BIGINT,
            sha256        VARCHAR,
            lines         BIGINT,
            profile       VARCHAR,
            first_ts      VARCHAR,
            last_ts       VARCHAR,
            registered_at TIMESTAMP DEFAULT current_timestamp
        );
        CREATE TABLE IF NOT EXISTS runs (
            run_id           VARCHAR PRIMARY KEY,
            file_key         VARCHAR,
            path             VARCHAR,
            source           VARCHAR,            -- cli | dagster | ci | api
            suite            VARCHAR,
            commit_sha       VARCHAR,
            started_at       TIMESTAMP DEFAULT current_timestamp,
            profile          VARCHAR,
            lines            BIGINT,
            bytes            BIGINT,
            tokens_in        BIGINT,
            tokens_in_exact  BOOLEAN,
            tokens_out       BIGINT,
            budget           BIGINT,
            reduction_pct    DOUBLE,
            budget_pct       DOUBLE,
            critical_events  BIGINT,
            critical_omitted BIGINT,
            failing_tests    INTEGER,
            error_groups     INTEGER,
            templates        INTEGER,
            summary_path     VARCHAR,
            summary_format   VARCHAR
        );
        CREATE TABLE IF NOT EXISTS chunks (
            run_id VARCHAR, chunk INTEGER, first_line BIGINT, last_line BIGINT, lines BIGINT, bytes BIGINT,
            critical BIGINT, high BIGINT, medium BIGINT, low BIGINT, verbose BIGINT, templates INTEGER,
            PRIMARY KEY (run_id, chunk)
        );
        CREATE TABLE IF NOT EXISTS templates (
            run_id VARCHAR, template_id BIGINT, level VARCHAR, count BIGINT, first_line BIGINT, last_line BIGINT,
            template VARCHAR, example VARCHAR,
            PRIMARY KEY (run_id, template_id)
        );
        CREATE TABLE IF NOT EXISTS error_groups (
            run_id VARCHAR, group_key VARCHAR, fingerprint VARCHAR, exc_type VARCHAR, message VARCHAR, level VARCHAR,
            count BIGINT, first_line BIGINT, last_line BIGINT, tests INTEGER, example VARCHAR,
            PRIMARY KEY (run_id, group_key)
        );
        CREATE TABLE IF NOT EXISTS failed_tests (
            run_id VARCHAR, test_id VARCHAR, name VARCHAR, file VARCHAR, kind VARCHAR, group_key VARCHAR, first_line BIGINT,
            PRIMARY KEY (run_id, test_id)
        );
        CREATE TABLE IF NOT EXISTS summaries (
            run_id VARCHAR, format VARCHAR, budget BIGINT, tokens_out BIGINT, text VARCHAR,
            created_at TIMESTAMP DEFAULT current_timestamp,
            PRIMARY KEY (run_id, format, budget)
        );
        """,
    ),
]


def latest_version() -> int:
    return max(v for v, _, _ in MIGRATIONS)
