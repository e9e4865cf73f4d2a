"""When the cross-log assets update: after each new summary, whichever log it was for,
and every night at 00:15 UTC.

This condition is their only automation (no schedule targets them as well). The nightly
part rolls ``token_usage_metrics`` and ``error_entities`` over to the new day even when
no log arrives: their "today" figures (``budget_pct_max_today``, which the usage check
and the alert sensor read, ``runs_today``, ``new_today``) start again from zero.
"""

import dagster as dg

NIGHTLY = "15 0 * * *"

# eager() waits for every upstream partition to exist; with one partition per log a
# newly registered (or failed) log would hold the aggregates back, so that part is dropped.
AFTER_EACH_SUMMARY = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())

EVERY_NIGHT = (dg.AutomationCondition.cron_tick_passed(NIGHTLY) & ~dg.AutomationCondition.in_progress()).with_label(
    "every night at 00:15 UTC"
)

CROSS_LOG_UPDATES = AFTER_EACH_SUMMARY | EVERY_NIGHT

# Evaluates the conditions above; running from the start so no one has to switch it on.
cross_log_automation = dg.AutomationConditionSensorDefinition(
    "cross_log_automation",
    target=dg.AssetSelection.assets("error_entities", "token_usage_metrics"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
