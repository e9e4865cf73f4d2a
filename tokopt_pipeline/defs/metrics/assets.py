"""``token_usage_metrics``: tokens in and out, reduction and budget use, per day, per file
and over today, the last 7 days and all time."""


import dagster as dg

from tokopt_pipeline.defs.automation import CROSS_LOG_UPDATES
from tokopt_pipeline.defs.resources import TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib.usage import ledger as usage

DAYS_SHOWN = 14


@dg.asset(
    deps=[dg.AssetKey("budget_trimmed_summaries")],
    group_name="metrics",
    kinds={"duckdb"},
    pool=STORE_POOL,
    retry_policy=STORE_RETRY,
    automation_condition=CROSS_LOG_UPDATES,
)
def token_usage_metrics(context: dg.AssetExecutionContext, store: TokoptStore) -> dg.MaterializeResult:
    """Token usage rolled up from the usage ledger, which holds every recorded summary
    (Dagster runs and ``tokopt`` commands): per day (the view ``usage_daily``).
    Today's, the last 7 days' and all-time figures are plotted in the UI; the check
    ``token_usage_thresholds`` and the sensor ``usage_alert_sensor`` read
    ``budget_pct_max_today``. Updates after each new summary and every night, so the
    "today" figures start from zero on a day without logs (``automation.py``)."""
    with only_busy_retried(), store.connect() as conn:
        figures = usage.rollup_figures(conn)
        by_day = usage.rollup_markdown(conn, DAYS_SHOWN)
    return dg.MaterializeResult(metadata={**figures, "by_day": dg.MetadataValue.md(by_day)})
