"""The real Definitions: they load, validate, and hold what the UI is expected to show."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from tokopt_pipeline.definitions import defs as load_defs

ASSETS = {"raw_logs", "priority_chunks", "budget_trimmed_summaries", "error_entities", "token_usage_metrics", "ci_logs"}


def test_definitions_load_and_validate():
    d = load_defs()
    dg.Definitions.validate_loadable(d)
    graph = d.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    assert {s.name for s in d.sensors} >= {"new_log_sensor", "ci_log_sensor"}
    assert {s.name for s in d.schedules} >= {"nightly_retention"}
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == dg.AssetKey("budget_trimmed_summaries")}
    assert checks >= {"summary_within_budget", "critical_events_represented", "budget_use_warning", "budget_use_critical"}
    assert dg.AssetCheckKey(dg.AssetKey("priority_chunks"), "chunks_cover_log") in graph.asset_check_keys
    assert d.executor is dg.in_process_executor


def test_every_asset_that_writes_the_store_is_in_the_store_pool():
    d = load_defs()
    for key in ASSETS - {"ci_logs"}:
        node = d.get_assets_def(key)
        assert node.op.pool == "tokopt_store", key
        assert "duckdb" in node.specs_by_key[dg.AssetKey(key)].kinds


CROSS_LOG = [dg.AssetKey("error_entities"), dg.AssetKey("token_usage_metrics")]


def test_the_cross_log_assets_update_after_each_summary():
    d = load_defs()
    for key in CROSS_LOG:
        spec = d.get_assets_def(key).specs_by_key[key]
        assert spec.automation_condition is not None
        assert dg.AssetKey("budget_trimmed_summaries") in {dep.asset_key for dep in spec.deps}


@pytest.mark.slow
def test_the_cross_log_assets_have_one_automation_after_each_summary_and_every_night():
    d = load_defs()
    for schedule in d.schedules:  # no schedule competes with their automation condition
        job = d.resolve_job_def(d.resolve_schedule_def(schedule.name).job_name)
        assert not set(CROSS_LOG) & job.asset_layer.selected_asset_keys, schedule.name

    def requested(when, cursor):
        result = dg.evaluate_automation_conditions(
            defs=d, instance=instance, asset_selection=dg.AssetSelection.assets(*CROSS_LOG), evaluation_time=when, cursor=cursor
        )
        return {k for k in CROSS_LOG if result.get_requested_partitions(k)}, result.cursor

    day = datetime(2026, 3, 2, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        _, cursor = requested(day - timedelta(minutes=10), None)  # the first evaluation (may ask for the missing assets)
        before, cursor = requested(day + timedelta(minutes=5), cursor)
        assert before == set()  # nothing new, 00:15 not passed yet
        nightly, cursor = requested(day + timedelta(minutes=16), cursor)
        assert nightly == set(CROSS_LOG)  # 00:15 passed: both roll over to the new day without any new log
        quiet, cursor = requested(day + timedelta(minutes=17), cursor)
        assert quiet == set()  # once a night
        instance.add_dynamic_partitions("log_files", ["build.log"])
        instance.report_runless_asset_event(dg.AssetMaterialization("budget_trimmed_summaries", partition="build.log"))
        after_summary, _ = requested(day + timedelta(minutes=18), cursor)
        assert after_summary == set(CROSS_LOG)  # and after each new summary


# Run in a fresh interpreter: os.environ is replaced by a mapping that notes every TOKOPT_
# variable looked at, then the package's Dagster modules are imported and the definitions loaded.
ENV_PROBE = r"""
import importlib, json, os, pkgutil

class Recording(dict):
    def __init__(self, env):
        super().__init__(env)
        self.seen = []
    def _note(self, how, key):
        if isinstance(key, str) and key.startswith("TOKOPT_"):
            self.seen.append([how, key])
    def __getitem__(self, key):
        self._note("value", key)
        return super().__getitem__(key)
    def get(self, key, default=None):
        self._note("value", key)
        return super().get(key, default)
    def __contains__(self, key):
        self._note("presence", key)
        return super().__contains__(key)

os.environ = Recording(os.environ)
import dagster as dg
import tokopt_pipeline.defs as pkg
import tokopt_pipeline.definitions as definitions
for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
    importlib.import_module(mod.name)
at_import, os.environ.seen = os.environ.seen, []
d = definitions.defs()
dg.Definitions.validate_loadable(d)
print(json.dumps({"import": at_import, "load": os.environ.seen,
                  "intervals": {s.name: s.minimum_interval_seconds for s in d.sensors}}))
"""


# The variables that pick the executor (read when the code location loads) rather than configure a run.
EXECUTOR = {"TOKOPT_EXECUTOR", "TOKOPT_MAX_CONCURRENT"}


@pytest.mark.slow
def test_importing_and_loading_the_definitions_reads_no_variable(tmp_path):
    import json
    import os
    import subprocess
    import sys

    garbage = {name: "not a number" for name in ("TOKOPT_SENSOR_INTERVAL", "TOKOPT_LOCK_TIMEOUT", "TOKOPT_SMTP_PORT")}
    garbage |= {name: str(tmp_path / "nowhere") for name in ("TOKOPT_LOG_DIR", "TOKOPT_OUTPUT_DIR", "TOKOPT_DUCKDB_PATH")}
    done = subprocess.run([sys.executable, "-c", ENV_PROBE], env={**os.environ, **garbage}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["import"] == []  # nothing read when the modules are imported
    # Loading only asks which variables are set (to bind them with dg.EnvVar); no value is
    # read but the executor's, which Dagster fixes when the code location loads.
    assert {how for how, key in seen["load"] if key not in EXECUTOR} <= {"presence"}
    # The sensors' tick is fixed; their pace comes from the settings when they run.
    assert seen["intervals"]["new_log_sensor"] == seen["intervals"]["ci_log_sensor"] == 5
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.slow
def test_the_resources_take_their_variables_values_when_a_run_starts(tmp_path, monkeypatch):
    from tokopt_pipeline.defs.ingest.sensors import new_log_sensor
    from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore

    monkeypatch.setenv("TOKOPT_OUTPUT_DIR", str(tmp_path / "set-at-load"))
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "set-at-load.duckdb"))
    monkeypatch.setenv("TOKOPT_SENSOR_INTERVAL", "7")
    monkeypatch.delenv("TOKOPT_LOG_DIR", raising=False)
    d = load_defs()
    settings, store = d.resources["settings"], d.resources["store"]
    # Bound to the variables (the UI shows their names, not their values); unset: the default.
    assert settings.output_dir.env_var_name == "TOKOPT_OUTPUT_DIR" and store.path.env_var_name == "TOKOPT_DUCKDB_PATH"
    assert settings.sensor_interval.name == "TOKOPT_SENSOR_INTERVAL" and settings.log_dir is None

    monkeypatch.setenv("TOKOPT_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("TOKOPT_SENSOR_INTERVAL", "12")

    @dg.asset
    def probe(settings: TokoptSettings, store: TokoptStore) -> dict:
        return {"out": settings.output_folder(), "logs": settings.log_folder(), "db": store.store().path}

    result = dg.materialize([probe], resources=d.resources)
    assert result.output_for_node("probe") == {
        "out": tmp_path / "out", "logs": (Path("logs") / "incoming").absolute(), "db": tmp_path / "store.duckdb",
    }
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources={"settings": settings}) as ctx:
            first = new_log_sensor(ctx)
        with dg.build_sensor_context(instance=instance, cursor=first.cursor, resources={"settings": settings}) as ctx:
            paced = new_log_sensor(ctx)
    assert "every 12 s" in paced.skip_message  # the interval as it is when the sensor runs

    monkeypatch.setenv("TOKOPT_SENSOR_INTERVAL", "soon")
    with dg.instance_for_test() as instance, pytest.raises(dg.DagsterInvalidConfigError, match="TOKOPT_SENSOR_INTERVAL"):
        with dg.build_sensor_context(instance=instance, resources={"settings": settings}) as ctx:
            new_log_sensor(ctx)
