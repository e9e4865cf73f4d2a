"""Invariants of each summary, checked against what was written.

Blocking (a failure stops the cross-log assets from using the run):
``summary_within_budget`` counts the summary file's tokens exactly again;
``critical_events_represented`` requires every critical event to be shown or counted.
Budget use: ``budget_use_warning`` warns at 80% (``TokoptSettings.warning_pct``),
``budget_use_critical`` is an error at 95% (``critical_pct``).
"""


from pathlib import Path

import dagster as dg

from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings
from tokopt_pipeline.lib.engine import tokens as tok

SUMMARY_KEY = dg.AssetKey("budget_trimmed_summaries")


def latest_metadata(context: dg.AssetCheckExecutionContext) -> dict:
    """The metadata of this partition's latest summary materialization."""
    result = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SUMMARY_KEY, asset_partitions=[context.partition_key]), limit=1
    )
    if not result.records:
        raise dg.Failure(description=f"no summary materialized for {context.partition_key!r}")
    return {k: v.value for k, v in result.records[0].asset_materialization.metadata.items()}


@dg.asset_check(asset=SUMMARY_KEY, blocking=True, partitions_def=log_files)
def summary_within_budget(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """The summary file, counted again with cl100k_base, is within the token budget."""
    md = latest_metadata(context)
    path = Path(md["path"])
    if not path.is_file():
        return dg.AssetCheckResult(passed=False, metadata={"path": str(path), "problem": "summary file missing"})
    tokens = tok.count(path.read_text(encoding="utf-8"))
    return dg.AssetCheckResult(
        passed=tokens <= md["budget"],
        metadata={"tokens_out": tokens, "budget": md["budget"], "over_by": max(0, tokens - md["budget"])},
    )


@dg.asset_check(asset=SUMMARY_KEY, blocking=True, partitions_def=log_files)
def critical_events_represented(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Every critical event (failing test, critical error, critical line) is shown or counted."""
    md = latest_metadata(context)
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
