"""``usage_alert_sensor``: mails an alert when today's budget use crosses a threshold.

Watches ``token_usage_metrics`` materializations (never opens the store). The alert
state lives in the sensor's cursor, so a mail goes out once per crossing, with the
same rule as ``tokopt --enable-monitoring`` (:func:`~tokopt_pipeline.lib.usage.ledger.next_state`):
up at once, back down only more than 10 points below the threshold.

Settings: ``TokoptSettings.alert_email`` (bound to ``TOKOPT_ALERT_EMAIL``; without it
the sensor skips), the thresholds of ``TokoptSettings``, and the SMTP settings of
:mod:`tokopt_pipeline.lib.usage.alerts`, read when the sensor runs. Off by default:
turn it on in the UI.
"""


import json
from datetime import UTC, datetime

import dagster as dg

from tokopt_pipeline.defs.metrics.checks import USAGE_KEY, latest_usage, peak_pct
from tokopt_pipeline.defs.resources import TokoptSettings
from tokopt_pipeline.lib.usage import alerts
from tokopt_pipeline.lib.usage import ledger as usage


@dg.sensor(
    name="usage_alert_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Emails a warning or critical alert once per crossing of the usage thresholds.",
)
def usage_alert_sensor(context: dg.SensorEvaluationContext, settings: TokoptSettings) -> dg.SkipReason:
    cursor = json.loads(context.cursor) if context.cursor else {"storage_id": 0, "state": "ok"}
    storage_id, md = latest_usage(context.instance)
    if storage_id is None or storage_id <= cursor["storage_id"]:
        return dg.SkipReason("no new token_usage_metrics materialization")
    pct = peak_pct(md)
    state, alert = usage.next_state(cursor["state"], pct, settings.warning_pct, settings.critical_pct)
    if alert:
        to = settings.alert_email
        if not to:
            context.update_cursor(json.dumps({"storage_id": storage_id, "state": state}))
            return dg.SkipReason(f"{alert} at {pct}% of the budget, but TOKOPT_ALERT_EMAIL is not set")
        try:
            alerts.check_address(to, "TOKOPT_ALERT_EMAIL")
        except ValueError as exc:
            context.update_cursor(json.dumps({"storage_id": storage_id, "state": state}))
            return dg.SkipReason(f"{alert} at {pct}% of the budget, not mailed: {exc}")
        smtp = alerts.load_settings()
        row = {
            "alert_id": f"dagster-{storage_id}", "level": alert, "component": "all components (today's peak run)",
            "budget_pct": pct, "threshold": settings.critical_pct if alert == "critical" else settings.warning_pct,
            "run_id": context.instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=USAGE_KEY), limit=1).records[0].run_id,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
        alerts.send(smtp, [alerts.build_message(row, smtp.sender, to)])  # raises: the cursor stays, the next tick retries
    context.update_cursor(json.dumps({"storage_id": storage_id, "state": state}))
    return dg.SkipReason(f"{alert} alert mailed at {pct}% of the budget" if alert else f"budget use {pct}%: state {state}, no new crossing")
