"""When the cross-log assets update: after each new summary, whichever log it was for."""

import dagster as dg

# eager() waits for every upstream partition to exist; with one partition per log a
# newly registered (or failed) log would hold the aggregates back, so that part is dropped.
AFTER_EACH_SUMMARY = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())

# Evaluates the conditions above; running from the start so no one has to switch it on.
cross_log_automation = dg.AutomationConditionSensorDefinition(
    "cross_log_automation",
    target=dg.AssetSelection.assets("error_entities", "token_usage_metrics"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
