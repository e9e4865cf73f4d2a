"""The usage threshold check and the alert sensor, against real DuckDB stores in tmp_path
and a real SMTP server on loopback (aiosmtpd).

Each state is a store whose busiest summary today used a given share of its budget,
recorded through the same ``record_run`` operation the command and the assets use;
``token_usage_metrics`` is materialized from it and the check and the sensor read that
materialization, as they do in a deployment.
"""

import json
import os

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from tokopt_pipeline.defs.metrics.checks import token_usage_thresholds
from tokopt_pipeline.defs.metrics.sensors import usage_alert_sensor
from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.usage import alerts
from tokopt_pipeline_tests.lib.usage.test_alerts import Inbox, _free_port

from .helpers import definitions, metadata

pytestmark = pytest.mark.slow  # Dagster materializations and sensor ticks (14 s in all)

BUDGET = 4000


def usage_at(pipeline, pct: float, name: str) -> TokoptStore:
    """A fresh store in which one summary used ``pct`` % of a 4,000-token budget today."""
    db = pipeline.root / "stores" / f"{name}.duckdb"
    tokens_out = round(BUDGET * pct / 100)
    Store(db, pipeline.root / "stores" / f"{name}-pending", lock_timeout=30).write("record_run", {"run": {
        "run_id": f"cli-{name}", "file_key": f"{name}.log", "path": str(pipeline.log_dir / f"{name}.log"), "source": "cli",
        "lines": 5000, "bytes": 400_000, "tokens_in": 100_000, "tokens_out": tokens_out, "budget": BUDGET,
        "reduction_pct": round(100 * (1 - tokens_out / 100_000), 2), "budget_pct": float(pct),
    }})
    return TokoptStore(path=str(db), pending_dir=str(db.with_suffix(".pending")), lock_timeout=30)


def materialize_usage(pipeline, store: TokoptStore, with_check: bool = False):
    assets = [definitions().get_assets_def("token_usage_metrics")] + ([token_usage_thresholds] if with_check else [])
    return dg.materialize(assets, instance=pipeline.instance, resources={"store": store, "settings": TokoptSettings()})


@pytest.mark.parametrize(
    ("pct", "passed", "severity", "level"),
    [
        (50.0, True, dg.AssetCheckSeverity.ERROR, "ok"),  # a passed check carries the default severity
        (85.0, False, dg.AssetCheckSeverity.WARN, "warning"),
        (97.5, False, dg.AssetCheckSeverity.ERROR, "critical"),
    ],
)
def test_the_threshold_check_reports_todays_peak_use(pipeline, pct, passed, severity, level):
    result = materialize_usage(pipeline, usage_at(pipeline, pct, level), with_check=True)
    assert result.success  # not blocking: usage over a threshold does not fail the run
    md = metadata(result, "token_usage_metrics")
    assert md["budget_pct_max_today"] == pct and md["runs_today"] == 1
    assert md["tokens_out_today"] == round(BUDGET * pct / 100) and md["tokens_in_today"] == 100_000
    assert md["tokens_out_7d"] == md["tokens_out_total"] == md["tokens_out_today"]
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "token_usage_thresholds"
    assert check.passed is passed
    assert check.severity == severity
    shown = {k: v.value for k, v in check.metadata.items()}
    assert shown["level"] == level and shown["budget_pct_max_today"] == pct
    assert (shown["warning_pct"], shown["critical_pct"]) == (80.0, 95.0)


@pytest.fixture
def smtp(monkeypatch, tmp_path):
    inbox = Inbox()
    inbox.port = _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    ctl.start()
    monkeypatch.setenv("TOKOPT_SMTP_CONFIG", str(tmp_path / "no-smtp.toml"))
    monkeypatch.setenv("TOKOPT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TOKOPT_SMTP_PORT", str(inbox.port))
    monkeypatch.setenv("TOKOPT_SMTP_FROM", "tokopt@ci.example")
    monkeypatch.setenv("TOKOPT_ALERT_EMAIL", "oncall@example.com")
    try:
        yield inbox
    finally:
        ctl.stop()


class Ticks:
    """The sensor evaluated tick after tick, its cursor carried from one to the next."""

    def __init__(self, instance):
        self.instance = instance
        self.cursor = None

    def __call__(self):
        with dg.build_sensor_context(instance=self.instance, cursor=self.cursor, resources={"settings": TokoptSettings(alert_email=os.environ.get("TOKOPT_ALERT_EMAIL"))}) as ctx:
            result = usage_alert_sensor(ctx)
            self.cursor = ctx.cursor
        return result


def subjects(inbox) -> list[str]:
    return [msg["Subject"] for _, _, msg in inbox.messages]


def test_the_alert_sensor_mails_once_per_crossing(pipeline, smtp):
    tick = Ticks(pipeline.instance)
    assert "no new token_usage_metrics materialization" in tick().skip_message  # nothing materialized yet

    # (budget use of today's busiest summary, mails expected so far)
    steps = [
        (50.0, 0),   # under the warning threshold
        (85.0, 1),   # crosses 80%: one warning
        (88.0, 1),   # still over 80%: no new crossing
        (97.0, 2),   # crosses 95%: one critical alert
        (90.0, 2),   # under 95%, but not 10 points under: still critical, no mail
        (60.0, 2),   # well under both: the alert re-arms, no mail
        (82.0, 3),   # crosses 80% again: one warning
    ]
    for i, (pct, mails) in enumerate(steps):
        materialize_usage(pipeline, usage_at(pipeline, pct, f"step{i}"))
        tick()
        assert len(smtp.messages) == mails, (pct, subjects(smtp))
        assert "no new token_usage_metrics materialization" in tick().skip_message  # the same materialization twice
        assert len(smtp.messages) == mails
    assert json.loads(tick.cursor)["state"] == "warning"

    warning, critical, again = subjects(smtp)
    assert warning.startswith("[tokopt] WARNING:") and "used 85.0% of its token budget (threshold 80%)" in warning
    assert critical.startswith("[tokopt] CRITICAL:") and "used 97.0% of its token budget (threshold 95%)" in critical
    assert again.startswith("[tokopt] WARNING:") and "82.0%" in again
    for sender, rcpts, msg in smtp.messages:
        assert sender == "tokopt@ci.example" and rcpts == ["oncall@example.com"]
        assert "sent once per crossing" in msg.get_content()


def test_a_mail_that_fails_is_sent_on_the_next_tick(pipeline, smtp, monkeypatch):
    tick = Ticks(pipeline.instance)
    materialize_usage(pipeline, usage_at(pipeline, 96.0, "over"))
    server_port, dead_port = smtp.port, str(_free_port())  # nothing listens on the second
    monkeypatch.setenv("TOKOPT_SMTP_PORT", dead_port)
    with pytest.raises(alerts.AlertError, match=f"127.0.0.1:{dead_port}"):
        tick()
    assert tick.cursor is None  # the crossing is not used up by a mail that did not go
    monkeypatch.setenv("TOKOPT_SMTP_PORT", str(server_port))
    assert "critical alert mailed at 96.0%" in tick().skip_message
    tick()
    assert [s.split(":")[0] for s in subjects(smtp)] == ["[tokopt] CRITICAL"]


def test_without_an_address_the_sensor_mails_nothing_and_says_why(pipeline, smtp, monkeypatch):
    monkeypatch.delenv("TOKOPT_ALERT_EMAIL")
    tick = Ticks(pipeline.instance)
    materialize_usage(pipeline, usage_at(pipeline, 99.0, "over"))
    assert "TOKOPT_ALERT_EMAIL is not set" in tick().skip_message
    assert smtp.messages == []
