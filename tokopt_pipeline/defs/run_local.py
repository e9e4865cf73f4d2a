"""``make run``: the whole pipeline on one log, in-process, no server needed.

    python -m tokopt_pipeline.defs.run_local examples/numpy_pytest.log --token-budget 4000

Every asset is materialized into the embedded store and recorded in the Dagster
instance of ``DAGSTER_HOME`` (``make`` points it at ``.dagster_home``), so ``make dev``
shows the same runs, materializations and checks in the UI.
"""

import argparse
import sys
from pathlib import Path

from tokopt_pipeline.lib.usage.thresholds import CRITICAL_PCT, WARNING_PCT

LOG_ASSETS = ("raw_logs", "priority_chunks", "budget_trimmed_summaries")
CROSS_LOG_ASSETS = ("error_entities", "token_usage_metrics")
# Step-by-step logs stay in the instance (the UI shows them); the terminal gets the figures.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def materialize_log(log: str, token_budget: int, instance=None, resources: dict | None = None):
    """Materialize every asset for ``log``; returns (summary metadata, check results, the
    store's place: its file, or its URL without the password)."""
    import dagster as dg

    from tokopt_pipeline.definitions import defs as load_defs
    from tokopt_pipeline.defs.files import to_uri
    from tokopt_pipeline.defs.ingest.logfile import TAG_PATH, TAG_SOURCE
    from tokopt_pipeline.defs.partitions import log_files
    from tokopt_pipeline.defs.resources import TokoptSettings
    from tokopt_pipeline.lib.logfiles import partition_key

    defs = load_defs()
    resources = resources or defs.resources
    settings: TokoptSettings = resources["settings"]
    path = Path(log).absolute()
    key = partition_key(path, settings.log_folder())
    instance = instance or dg.DagsterInstance.get()
    instance.add_dynamic_partitions(log_files.name, [key])
    assets = [defs.get_assets_def(k) for k in LOG_ASSETS]
    checks = [c for c in defs.asset_checks or []]
    result = dg.materialize(
        [*assets, *checks],
        partition_key=key,
        instance=instance,
        resources=resources,
        tags={TAG_PATH: to_uri(path), TAG_SOURCE: "local"},
        run_config={"ops": {"budget_trimmed_summaries": {"config": {"token_budget": token_budget}}}, **QUIET},
        selection=[*LOG_ASSETS],
    )
    summary_md = {}
    for event in result.get_asset_materialization_events():
        if event.asset_key == dg.AssetKey("budget_trimmed_summaries"):
            summary_md = {k: v.value for k, v in event.materialization.metadata.items()}
    check_results = {e.check_name: (e.passed, e.severity.value) for e in result.get_asset_check_evaluations()}
    dg.materialize(
        [defs.get_assets_def(k) for k in CROSS_LOG_ASSETS],
        instance=instance,
        resources=resources,
        selection=[*CROSS_LOG_ASSETS],
        run_config=QUIET,
    )
    store = resources["store"].store()
    return summary_md, check_results, store.where if store.postgres else str(Path(store.path).absolute())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tokopt_pipeline.defs.run_local", description=__doc__.splitlines()[0])
    p.add_argument("log")
    p.add_argument("--token-budget", type=int, default=76659)
    args = p.parse_args(argv)
    md, checks, store_place = materialize_log(args.log, args.token_budget)
    est = "" if md["tokens_in_exact"] else "≈"
    print(
        f"summary: {md['path']}\n"
        f"  {md['lines']:,} lines, {md['bytes']:,} bytes\n"
        f"  tokens {est}{md['tokens_in']:,} in -> {md['tokens_out']:,} out ({md['budget_pct']}% of {md['budget']:,}), reduction {md['reduction_pct']}%\n"
        f"  {md['failing_tests']} failing tests, {md['error_groups']} distinct errors, {md['critical_events']} critical events"
    )
    def status(name: str) -> str:
        return "passed" if checks.get(name, (False,))[0] else "FAILED"

    print(f"  checks: within budget {status('summary_within_budget')}, every critical event represented {status('critical_events_represented')}")
    over = [f"{lim} {label}" for name, lim, label in (("budget_use_warning", f"{WARNING_PCT:g}%", "warning"), ("budget_use_critical", f"{CRITICAL_PCT:g}%", "critical"))
            if not checks.get(name, (True,))[0]]
    if over:
        print(f"  budget use {md['budget_pct']}% is over the {' and '.join(over)} threshold (flagged by the budget-use checks)")
    print(f"store: {store_place} (every asset materialized)")
    print("UI: `make dev`, then http://127.0.0.1:3000 shows these runs, materializations and checks")
    blocking_failed = [n for n in ("summary_within_budget", "critical_events_represented") if not checks.get(n, (False,))[0]]
    return 1 if blocking_failed else 0


if __name__ == "__main__":
    sys.exit(main())
