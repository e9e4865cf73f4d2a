"""The DuckDB store's schema, as an ordered list of migrations.

A store records its version in ``schema_version``; :func:`tokopt_pipeline.lib.store.db.migrate`
applies every migration above it, each in one transaction, so an older file is
upgraded in place. Never edit a released migration: append a new one.

Version ranges by owner: 1-9 core (runs, summaries, templates, chunks, errors, tests),
10-19 memory (entities, relations, observations), 20-29 usage monitoring. Migrations
are applied in version order, so a store at 20 that needs 11 gets it (each number once).
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

# -- compact test history (11) and one usage ledger (21) -----------------------------
MIGRATIONS += [
    (
        11,
        "memory: test results as integer keys (a dictionary of test ids), without a per-row index",
        """
        CREATE TABLE mem_tests (
            test_key INTEGER PRIMARY KEY,
            test_id  VARCHAR NOT NULL UNIQUE
        );
        INSERT INTO mem_tests
        SELECT row_number() OVER (ORDER BY test_id), test_id FROM (SELECT DISTINCT test_id FROM mem_test_results);
        CREATE TABLE mem_results (
            run_seq  BIGINT NOT NULL,         -- mem_runs.seq
            test_key INTEGER NOT NULL,        -- mem_tests.test_key
            failed   BOOLEAN NOT NULL         -- false: passed
        );
        INSERT INTO mem_results
        SELECT m.seq, t.test_key, r.outcome = 'failed'
        FROM mem_test_results r JOIN mem_runs m USING (run_id) JOIN mem_tests t USING (test_id)
        ORDER BY m.seq, t.test_key;
        DROP TABLE mem_test_results;
        """,
    ),
    (
        21,
        "one usage ledger: a row per recorded summary (usage_records and the runs' usage merged); "
        "usage_daily and usage_by_file become views of it",
        """
        CREATE TABLE usage_ledger (
            run_id          VARCHAR PRIMARY KEY,  -- runs.run_id when the summary was recorded there
            recorded_at     TIMESTAMP NOT NULL,   -- UTC
            source          VARCHAR,              -- cli | dagster | api | ci
            file_key        VARCHAR,
            log_path        VARCHAR,
            component       VARCHAR,              -- the suite or job that spent the tokens
            tokens_in       BIGINT,
            tokens_in_exact BOOLEAN,
            tokens_out      BIGINT,
            budget          BIGINT,
            reduction_pct   DOUBLE,
            budget_pct      DOUBLE,
            sections        VARCHAR,              -- JSON: items shown per summary section
            tracked         BOOLEAN NOT NULL DEFAULT false  -- recorded with --track-usage
        );
        -- A tracked summary was in both old tables, under two ids: pair each usage record
        -- with the run of the same log and figures nearest in time.
        CREATE TEMP TABLE _usage_pairs AS
        WITH cand AS (
            SELECT u.run_id AS uid, r.run_id AS rid,
                   abs(epoch(u.recorded_at) - epoch(r.started_at)) AS gap
            FROM usage_records u JOIN runs r
              ON r.tokens_in = u.tokens_in AND r.tokens_out = u.tokens_out AND r.budget = u.budget
             AND regexp_extract(coalesce(r.path, ''), '[^/]*$') = regexp_extract(coalesce(u.log_path, ''), '[^/]*$')
        ),
        best_u AS (SELECT uid, arg_min(rid, gap) AS rid FROM cand GROUP BY uid),
        best_r AS (SELECT rid, arg_min(uid, gap) AS uid FROM cand GROUP BY rid)
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
               round(100.0 * (1 - sum(tokens_out) / nullif(sum(tokens_in), 0)), 2) AS reduction_pct,
               round(avg(budget_pct), 2) AS budget_pct_avg, max(budget_pct) AS budget_pct_max
        FROM usage_ledger GROUP BY 1;
        CREATE VIEW usage_by_file AS
        SELECT coalesce(file_key, log_path) AS file_key, count(*) AS runs, max(recorded_at) AS last_run_at,
               arg_max(tokens_in, recorded_at) AS tokens_in, arg_max(tokens_out, recorded_at) AS tokens_out,
               arg_max(reduction_pct, recorded_at) AS reduction_pct, arg_max(budget_pct, recorded_at) AS budget_pct
        FROM usage_ledger GROUP BY 1;
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
