"""Dagster objects, one folder per domain; each asset is a thin adapter over ``lib/``.

ingest/     raw_logs, new_log_sensor (the watched folder)
chunks/     priority_chunks (the streamed analysis, persisted to DuckDB)
summaries/  budget_trimmed_summaries, its checks, nightly retention
errors/     error_entities (errors deduplicated across every log)
metrics/    token_usage_metrics, its threshold check, the usage alert sensor
automation  when error_entities and token_usage_metrics update (after each summary, nightly)
ci/         ci_logs (reported by CI through the REST API) and ci_log_sensor
"""
