"""The real Definitions: they load, validate, and hold what the UI is expected to show."""

import dagster as dg

from tokopt_pipeline.definitions import defs as load_defs

ASSETS = {"raw_logs", "priority_chunks", "budget_trimmed_summaries", "error_entities", "token_usage_metrics", "ci_logs"}


def test_definitions_load_and_validate():
    d = load_defs()
    dg.Definitions.validate_loadable(d)
    graph = d.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    assert {s.name for s in d.sensors} >= {"new_log_sensor", "ci_log_sensor"}
    assert {s.name for s in d.schedules} >= {"nightly_retention", "daily_usage_rollup"}
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == dg.AssetKey("budget_trimmed_summaries")}
    assert checks >= {"summary_within_budget", "critical_events_represented", "budget_use_warning", "budget_use_critical"}
    assert dg.AssetCheckKey(dg.AssetKey("priority_chunks"), "chunks_cover_log") in graph.asset_check_keys
    assert d.executor is dg.in_process_executor


def test_every_asset_that_writes_the_store_is_in_the_duckdb_pool():
    d = load_defs()
    for key in ASSETS - {"ci_logs"}:
        node = d.get_assets_def(key)
        assert node.op.pool == "duckdb", key
        assert "duckdb" in node.specs_by_key[dg.AssetKey(key)].kinds


def test_the_cross_log_assets_update_after_each_summary():
    d = load_defs()
    for key in ("error_entities", "token_usage_metrics"):
        spec = d.get_assets_def(key).specs_by_key[dg.AssetKey(key)]
        assert spec.automation_condition is not None
        assert dg.AssetKey("budget_trimmed_summaries") in {dep.asset_key for dep in spec.deps}
