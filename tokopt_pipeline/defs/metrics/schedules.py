"""The daily usage roll-up (the cross-log assets also update after each summary)."""

import dagster as dg

daily_usage_rollup = dg.ScheduleDefinition(
    name="daily_usage_rollup",
    cron_schedule="15 0 * * *",
    target=dg.AssetSelection.assets("token_usage_metrics", "error_entities"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Roll token usage and error entities up every night, so a day without new logs still gets its row.",
)
