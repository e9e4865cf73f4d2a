"""Alert mails through a real SMTP server started on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.usage import alerts
from tokopt_pipeline.lib.usage import ledger as usage


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"alerts" and auth_data.password == b"s3cret"
        logins.append(auth_data.login)
        return AuthResult(success=ok)

    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=authenticator, auth_require_tls=False)
    ctl.start()
    try:
        yield ctl, inbox, logins
    finally:
        ctl.stop()


def store_at(tmp_path) -> Store:
    return Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5)


def settings_for(ctl, **kw) -> alerts.SmtpSettings:
    env = {"TOKOPT_SMTP_HOST": ctl.hostname, "TOKOPT_SMTP_PORT": str(ctl.port), "TOKOPT_SMTP_FROM": "tokopt@ci.example"}
    env.update(kw)
    return alerts.load_settings(env=env)


@pytest.mark.slow
def test_one_warning_and_one_critical_mail_over_many_crossings(tmp_path, smtp_server, monkeypatch):
    ctl, inbox, _ = smtp_server
    monkeypatch.chdir(tmp_path)  # no .tokopt/smtp.toml here
    store = store_at(tmp_path)
    settings = settings_for(ctl)
    mon = usage.Monitor(email="oncall@example.com", warning=80, critical=95)
    t0 = datetime.utcnow()
    # Use of the budget per run: crosses 80% five times and 95% three times.
    for i, pct in enumerate([40, 85, 78, 84, 77, 82, 96, 92, 97, 91, 99, 86]):
        store.write("usage_record", {
            "run_id": f"run-{i}", "recorded_at": (t0 + timedelta(seconds=i)).isoformat(), "log_path": "/ci/nightly.log",
            "component": "nightly", "tokens_in": 100_000, "tokens_in_exact": True, "tokens_out": pct * 40, "budget": 4000,
            "reduction_pct": 0.0, "budget_pct": float(pct), "sections": {}, "monitor": mon.__dict__,
        })
        alerts.deliver_pending(store, settings)
    assert len(inbox.messages) == 2
    (frm1, to1, warn), (frm2, to2, crit) = inbox.messages
    assert to1 == to2 == ["oncall@example.com"] and frm1 == "tokopt@ci.example"
    assert warn["Subject"].strip() == "[tokopt] WARNING: nightly used 85.0% of its token budget (threshold 80%)"
    assert crit["Subject"].strip() == "[tokopt] CRITICAL: nightly used 96.0% of its token budget (threshold 95%)"
    assert "run:        run-6" in crit.get_content()
    with store.connect() as conn:
        assert usage.pending_alerts(conn) == []


def test_login_and_failed_delivery_keeps_the_alert(tmp_path, smtp_server, monkeypatch):
    ctl, inbox, logins = smtp_server
    monkeypatch.chdir(tmp_path)
    store = store_at(tmp_path)
    store.write("usage_monitor", {"enabled": True, "email": "oncall@example.com", "warning": 80, "critical": 95})
    store.write("usage_record", {
        "run_id": "r1", "recorded_at": datetime.utcnow().isoformat(), "log_path": "x.log", "component": "unit",
        "tokens_in": 10, "tokens_in_exact": True, "tokens_out": 99, "budget": 100, "reduction_pct": 0.0,
        "budget_pct": 99.0, "sections": {},
    })
    wrong = settings_for(ctl, TOKOPT_SMTP_PORT=str(_free_port()))  # nothing listens there
    with pytest.raises(alerts.AlertError, match="could not send the alert mail"):
        alerts.deliver_pending(store, wrong)
    assert inbox.messages == []
    with store.connect() as conn:
        (pending,) = usage.pending_alerts(conn)
    assert "could not send" in pending["error"]
    right = settings_for(ctl, TOKOPT_SMTP_USER="alerts", TOKOPT_SMTP_PASSWORD="s3cret")
    assert alerts.deliver_pending(store, right) == 1
    assert logins == [b"alerts"]
    assert inbox.messages[0][2]["Subject"].strip().startswith("[tokopt] CRITICAL: unit used 99.0%")


def test_settings_from_file_and_environment(tmp_path):
    cfg = tmp_path / "smtp.toml"
    cfg.write_text('[smtp]\nhost = "mail.internal"\nstarttls = true\nfrom = "ci@example.com"\nuser = "bot"\n')
    s = alerts.load_settings(config=cfg, env={"TOKOPT_SMTP_PASSWORD": "pw"})
    assert (s.host, s.port, s.starttls, s.sender, s.user, s.password) == ("mail.internal", 587, True, "ci@example.com", "bot", "pw")
    s = alerts.load_settings(config=cfg, env={"TOKOPT_SMTP_HOST": "other", "TOKOPT_SMTP_PORT": "2525", "TOKOPT_SMTP_STARTTLS": "0"})
    assert (s.host, s.port, s.starttls) == ("other", 2525, False)
    with pytest.raises(alerts.AlertError, match="no SMTP server configured: set TOKOPT_SMTP_HOST"):
        alerts.load_settings(config=None, env={"TOKOPT_SMTP_CONFIG": str(tmp_path / "absent.toml")})
    with pytest.raises(alerts.AlertError, match="SMTP port must be a number"):
        alerts.load_settings(env={"TOKOPT_SMTP_HOST": "h", "TOKOPT_SMTP_PORT": "smtp", "TOKOPT_SMTP_CONFIG": str(tmp_path / "absent.toml")})


pytestmark = pytest.mark.usefixtures("backend")  # every test on DuckDB and on PostgreSQL
