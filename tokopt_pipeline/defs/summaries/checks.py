"""Invariants of each summary, checked against what was recorded.

Blocking (a failure stops the cross-log assets from using the run):
``summary_within_budget`` counts the tokens of the summary recorded in the store's
``summaries`` table exactly again; ``critical_events_represented`` requires every
critical event to be shown or counted. Both read the store (never the output folder,
which may be on another machine or an object store) and fail, with a ``problem`` in
their metadata, when the summary is not there.
Budget use: ``budget_use_warning`` warns at 80% (``TokoptSettings.warning_pct``),
``budget_use_critical`` is an error at 95% (``critical_pct``).
"""


import dagster as dg

from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.store import queries

SUMMARY_KEY = dg.AssetKey("budget_trimmed_summaries")


def latest_metadata(context: dg.AssetCheckExecutionContext) -> dict:
    """The metadata of this partition's latest summary materialization."""
    result = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SUMMARY_KEY, asset_partitions=[context.partition_key]), limit=1
    )
    if not result.records:
        raise dg.Failure(description=f"no summary materialized for {context.partition_key!r}")
    return {k: v.value for k, v in result.records[0].asset_materialization.metadata.items()}


def stored_summary(store: TokoptStore, md: dict) -> tuple[str | None, str]:
    """(text, "") of the summary the materialization recorded in the store, or (None, why it is not there)."""
    run_id = md.get("store_run")
    if not run_id:
        return None, "the materialization names no store run (store_run metadata missing): materialize the summary again"
    with only_busy_retried(), store.connect() as conn:
        row = queries.recorded_summary(conn, run_id, md["format"], md["budget"])
    if row is None:
        return None, f"summary missing from the store: no {md['format']} summary at budget {md['budget']} for run {run_id}"
    return row[0], ""


def missing_summary(md: dict, problem: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"store_run": str(md.get("store_run") or ""), "problem": problem})


@dg.asset_check(asset=SUMMARY_KEY, blocking=True, partitions_def=log_files, pool=STORE_POOL, retry_policy=STORE_RETRY)
def summary_within_budget(context: dg.AssetCheckExecutionContext, store: TokoptStore) -> dg.AssetCheckResult:
    """The summary recorded in the store, counted again with cl100k_base, is within the token budget."""
    md = latest_metadata(context)
    text, problem = stored_summary(store, md)
    if text is None:
        return missing_summary(md, problem)
    tokens = tok.count(text)
    return dg.AssetCheckResult(
        passed=tokens <= md["budget"],
        metadata={"tokens_out": tokens, "budget": md["budget"], "over_by": max(0, tokens - md["budget"])},
    )


@dg.asset_check(asset=SUMMARY_KEY, blocking=True, partitions_def=log_files, pool=STORE_POOL, retry_policy=STORE_RETRY)
def critical_events_represented(context: dg.AssetCheckExecutionContext, store: TokoptStore) -> dg.AssetCheckResult:
    """Every critical event (failing test, critical error, critical line) is shown or
    counted, in a summary that is recorded in the store."""
    md = latest_metadata(context)
    text, problem = stored_summary(store, md)
    if text is None:
        return missing_summary(md, problem)
    represented = md["critical_shown"] + md["critical_omitted"]
    return dg.AssetCheckResult(
        passed=represented >= md["critical_events"],
        metadata={
            "critical_events": md["critical_events"],
            "critical_shown": md["critical_shown"],
            "critical_counted": md["critical_omitted"],
            "missing": max(0, md["critical_events"] - represented),
        },
    )


def _budget_use(context, limit: float, severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    md = latest_metadata(context)
    return dg.AssetCheckResult(
        passed=md["budget_pct"] < limit,
        severity=severity,
        metadata={"budget_pct": md["budget_pct"], "threshold_pct": limit, "tokens_out": md["tokens_out"], "budget": md["budget"]},
    )


@dg.asset_check(asset=SUMMARY_KEY, partitions_def=log_files)
def budget_use_warning(context: dg.AssetCheckExecutionContext, settings: TokoptSettings) -> dg.AssetCheckResult:
    """Budget use is under the warning threshold (80% by default)."""
    return _budget_use(context, settings.warning_pct, dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset=SUMMARY_KEY, partitions_def=log_files)
def budget_use_critical(context: dg.AssetCheckExecutionContext, settings: TokoptSettings) -> dg.AssetCheckResult:
    """Budget use is under the critical threshold (95% by default)."""
    return _budget_use(context, settings.critical_pct, dg.AssetCheckSeverity.ERROR)
