"""Materializing the real assets for one log file, as the sensors' runs do."""

import dagster as dg

from tokopt_pipeline.definitions import defs as load_defs
from tokopt_pipeline.defs.ingest.logfile import TAG_PATH, TAG_SOURCE
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.lib.logfiles import partition_key

LOG_ASSETS = ["raw_logs", "priority_chunks", "budget_trimmed_summaries"]
CROSS_LOG_ASSETS = ["error_entities", "token_usage_metrics"]


def definitions() -> dg.Definitions:
    return load_defs()


def materialize_log(pipeline, path, budget: int | None = None, raise_on_error: bool = True):
    """Run raw_logs -> priority_chunks -> budget_trimmed_summaries (+ checks) for ``path``."""
    d = definitions()
    key = partition_key(path, pipeline.log_dir)
    pipeline.instance.add_dynamic_partitions(log_files.name, [key])
    run_config = {"ops": {"budget_trimmed_summaries": {"config": {"token_budget": budget}}}} if budget else None
    result = dg.materialize(
        [*(d.get_assets_def(k) for k in LOG_ASSETS), *d.asset_checks],
        partition_key=key,
        instance=pipeline.instance,
        resources=pipeline.resources,
        tags={TAG_PATH: path.as_uri(), TAG_SOURCE: "folder"},
        run_config=run_config,
        selection=LOG_ASSETS,
        raise_on_error=raise_on_error,
    )
    return key, result


def materialize_cross_log(pipeline):
    d = definitions()
    return dg.materialize(
        [d.get_assets_def(k) for k in CROSS_LOG_ASSETS],
        instance=pipeline.instance,
        resources=pipeline.resources,
        selection=CROSS_LOG_ASSETS,
    )


def metadata(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key == dg.AssetKey(asset):
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"{asset} was not materialized")


def checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
