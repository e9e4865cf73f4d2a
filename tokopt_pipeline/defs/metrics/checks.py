"""``token_usage_thresholds``: today's budget use against the warning and critical thresholds.

Reads the latest ``token_usage_metrics`` materialization (``budget_pct_max_today``:
the highest share of its budget any run used today) and fails with severity WARN at
``TokoptSettings.warning_pct`` (80%) and ERROR at ``critical_pct`` (95%). Not
blocking: usage is reported, it does not stop the pipeline.
"""


import dagster as dg

from tokopt_pipeline.defs.resources import TokoptSettings
from tokopt_pipeline.lib.usage.thresholds import budget_state

USAGE_KEY = dg.AssetKey("token_usage_metrics")


def latest_usage(instance) -> tuple[int | None, dict]:
    """(storage id, metadata) of the latest ``token_usage_metrics`` materialization."""
    result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=USAGE_KEY), limit=1)
    if not result.records:
        return None, {}
    rec = result.records[0]
    return rec.storage_id, {k: v.value for k, v in rec.asset_materialization.metadata.items()}


def peak_pct(metadata: dict) -> float:
    """Today's highest budget use in a ``token_usage_metrics`` materialization's metadata
    (``budget_pct_max`` in materializations from before the key was renamed)."""
    value = metadata.get("budget_pct_max_today", metadata.get("budget_pct_max"))
    return float(value or 0.0)


@dg.asset_check(asset=USAGE_KEY, blocking=False)
def token_usage_thresholds(context: dg.AssetCheckExecutionContext, settings: TokoptSettings) -> dg.AssetCheckResult:
    """Today's highest budget use is under the warning (80%) and critical (95%) thresholds."""
    _, md = latest_usage(context.instance)
    pct = peak_pct(md)
    meta = {"budget_pct_max_today": pct, "warning_pct": settings.warning_pct, "critical_pct": settings.critical_pct}
    level = budget_state(pct, settings.warning_pct, settings.critical_pct)
    if level == "ok":
        return dg.AssetCheckResult(passed=True, metadata={**meta, "level": level})
    severity = dg.AssetCheckSeverity.ERROR if level == "critical" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(passed=False, severity=severity, metadata={**meta, "level": level})
