"""The DuckDB store's schema, as an ordered list of migrations.

A store records its version in ``schema_version``; :func:`tokopt_pipeline.lib.store.db.migrate`
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
            critical BIGINT, high BIGINT, medium BIGINT, low BIGINT, "verbose" BIGINT, templates INTEGER,
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
    (
        2,
        "analyses: the compact analysis of a run, so a summary can be re-rendered at another budget",
        """
        CREATE TABLE IF NOT EXISTS analyses (
            run_id   VARCHAR PRIMARY KEY,
            analysis VARCHAR NOT NULL           -- JSON of lib.analysis.Analysis (aggregates only)
        );
        """,
    ),
    (
        3,
        "cross-run aggregates: error entities, usage per day and per file",
        """
        CREATE TABLE IF NOT EXISTS error_entities (
            group_key   VARCHAR PRIMARY KEY,    -- exception type | normalized message
            exc_type    VARCHAR,
            message     VARCHAR,
            level       VARCHAR,
            occurrences BIGINT,                 -- sum of counts over every run
            runs        BIGINT,
            files       VARCHAR[],              -- file keys it appeared in
            first_seen  TIMESTAMP,
            last_seen   TIMESTAMP,
            example     VARCHAR
        );
        CREATE TABLE IF NOT EXISTS usage_daily (
            day             DATE PRIMARY KEY,
            runs            BIGINT,
            tokens_in       BIGINT,
            tokens_out      BIGINT,
            reduction_pct   DOUBLE,             -- 100 * (1 - tokens_out / tokens_in) over the day
            budget_pct_avg  DOUBLE,
            budget_pct_max  DOUBLE
        );
        CREATE TABLE IF NOT EXISTS usage_by_file (
            file_key        VARCHAR PRIMARY KEY,
            runs            BIGINT,
            last_run_at     TIMESTAMP,
            tokens_in       BIGINT,             -- of the latest run
            tokens_out      BIGINT,
            reduction_pct   DOUBLE,
            budget_pct      DOUBLE
        );
        """,
    ),
]


# -- memory (10-19) and usage monitoring (20-29) ----------------------------------
MIGRATIONS += [
    (
        10,
        "memory: knowledge graph of runs, error types and tests; per-run sightings and test results",
        """
        CREATE TABLE IF NOT EXISTS mem_entities (
            name        VARCHAR PRIMARY KEY,
            entity_type VARCHAR NOT NULL,     -- TestRun | ErrorType | Test | anything imported
            fingerprint VARCHAR,              -- ErrorType: the error group's fingerprint
            flaky       BOOLEAN DEFAULT false,
            created_at  TIMESTAMP DEFAULT current_timestamp
        );
        CREATE TABLE IF NOT EXISTS mem_observations (
            entity     VARCHAR NOT NULL,
            seq        BIGINT NOT NULL,       -- order of the entity's observations
            text       VARCHAR NOT NULL,
            run_id     VARCHAR,
            created_at TIMESTAMP DEFAULT current_timestamp,
            PRIMARY KEY (entity, seq)
        );
        CREATE TABLE IF NOT EXISTS mem_relations (
            from_entity   VARCHAR NOT NULL,
            to_entity     VARCHAR NOT NULL,
            relation_type VARCHAR NOT NULL,
            PRIMARY KEY (from_entity, to_entity, relation_type)
        );
        CREATE TABLE IF NOT EXISTS mem_runs (
            run_id        VARCHAR PRIMARY KEY,
            seq           BIGINT,
            suite         VARCHAR,
            commit_sha    VARCHAR,
            log_path      VARCHAR,
            summary_path  VARCHAR,
            recorded_at   TIMESTAMP,
            lines         BIGINT,
            failing_tests INTEGER,
            error_types   INTEGER,
            new_errors    INTEGER,
            passes_known  BOOLEAN,
            totals        VARCHAR
        );
        CREATE TABLE IF NOT EXISTS mem_sightings (
            fingerprint VARCHAR, run_id VARCHAR, entity VARCHAR, count BIGINT, first_line BIGINT, last_line BIGINT,
            PRIMARY KEY (fingerprint, run_id)
        );
        CREATE TABLE IF NOT EXISTS mem_test_results (
            run_id VARCHAR, test_id VARCHAR, outcome VARCHAR,   -- failed | passed
            PRIMARY KEY (run_id, test_id)
        );
        """,
    ),
    (
        20,
        "usage monitoring: per-run token usage, alert thresholds and alert state",
        """
        CREATE TABLE IF NOT EXISTS usage_records (
            run_id          VARCHAR PRIMARY KEY,
            recorded_at     TIMESTAMP NOT NULL,
            log_path        VARCHAR,
            component       VARCHAR NOT NULL,
            tokens_in       BIGINT,
            tokens_in_exact BOOLEAN,
            tokens_out      BIGINT,
            budget          BIGINT,
            reduction_pct   DOUBLE,
            budget_pct      DOUBLE,
            sections        VARCHAR           -- JSON: items shown per summary section
        );
        CREATE TABLE IF NOT EXISTS usage_monitor (
            id         INTEGER PRIMARY KEY,   -- always 1: the saved --enable-monitoring settings
            enabled    BOOLEAN,
            email      VARCHAR,
            warning    DOUBLE,
            critical   DOUBLE,
            updated_at TIMESTAMP DEFAULT current_timestamp
        );
        CREATE TABLE IF NOT EXISTS usage_alert_state (
            component VARCHAR PRIMARY KEY,
            level     VARCHAR NOT NULL       -- ok | warning | critical
        );
        CREATE TABLE IF NOT EXISTS usage_alerts (
            alert_id   VARCHAR PRIMARY KEY,
            created_at TIMESTAMP NOT NULL,
            component  VARCHAR,
            level      VARCHAR,
            budget_pct DOUBLE,
            threshold  DOUBLE,
            run_id     VARCHAR,
            email      VARCHAR,
            sent_at    TIMESTAMP,
            error      VARCHAR
        );
        """,
    ),
]

# -- baselines: what the last green run of a suite had (22) --------------------------
MIGRATIONS += [
    (
        22,
        "memory: the baseline of each passing run (template and error fingerprints), to demote what a later run shares with it",
        """
        CREATE TABLE IF NOT EXISTS mem_baselines (
            run_id       VARCHAR PRIMARY KEY,   -- a mem_runs run that passed
            suite        VARCHAR NOT NULL,
            recorded_at  TIMESTAMP,
            n            INTEGER,               -- fingerprints held
            fingerprints BLOB,                  -- 64-bit little-endian integers (lib.engine.baseline.fingerprint)
            shapes       VARCHAR[]              -- its templates' shapes: "tokens:wildcard positions"
        );
        """,
    ),
]


def latest_version() -> int:
    return max(v for v, _, _ in MIGRATIONS)
