"""Hostile or careless values in the mail path: refused at the option (exit 2) and never
stored; values an older version stored are skipped with a warning or shown escaped;
no header injection. Mail goes through a real SMTP server on loopback."""

from __future__ import annotations

from datetime import datetime

import pytest

from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.usage import alerts
from tokopt_pipeline.lib.usage import ledger as usage
from tokopt_pipeline_tests.conftest import tokopt
from tokopt_pipeline_tests.lib.usage.test_alerts import settings_for, smtp_server  # noqa: F401  (a fixture)
from tokopt_pipeline_tests.test_cli import APP_LOG

INJECTED = "ops@example.com\nBcc: evil@example.com"


@pytest.fixture
def env(tmp_path, monkeypatch):
    (tmp_path / "app.log").write_text(APP_LOG)
    monkeypatch.setenv("TOKOPT_SMTP_CONFIG", str(tmp_path / "no-smtp.toml"))
    for k in ("TOKOPT_SMTP_HOST", "TOKOPT_SMTP_PORT", "TOKOPT_LOCK_TIMEOUT"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path


@pytest.mark.parametrize(("args", "phrase"), [
    (["app.log", "--track-usage", "--suite", "nightly\nBcc: evil@example.com"], "'--suite': the name may not hold a control character (found U+000A"),
    (["app.log", "--track-usage", "--suite", "night\x1b[31mly"], "'--suite': the name may not hold a control character (found U+001B"),
    (["app.log", "--track-usage", "--enable-monitoring", "--alert-email", INJECTED], "'--alert-email': the address may not hold a control character"),
    (["usage", "monitor", "--alert-email", "ops@example.com, evil@example.com"], "takes one mail address, got 2"),
    (["usage", "monitor", "--alert-email", "not an address"], "is not a mail address"),
    (["usage", "monitor", "--alert-email", "ops@"], "is not a mail address"),
])
def test_a_bad_suite_or_address_is_refused_and_never_stored(env, args, phrase):
    done = tokopt(*args, cwd=env)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert phrase in err and "Traceback" not in err
    assert not (env / "logs").exists()  # refused before anything was done
    done = tokopt("app.log", "--track-usage", "--suite", "nightly", cwd=env)  # the next, innocent run
    assert done.returncode == 0 and "Traceback" not in done.stderr.decode()
    with Store.from_env().connect() as conn:
        assert conn.execute("SELECT component FROM usage_ledger WHERE tracked").fetchall() == [("nightly",)]
        assert conn.execute("SELECT count(*) FROM usage_monitor").fetchone()[0] == 0


@pytest.mark.slow  # a second or more on 2 cores
def test_an_address_an_old_version_stored_is_skipped_with_a_warning(env, smtp_server, monkeypatch):  # noqa: F811
    ctl, inbox, _ = smtp_server
    monkeypatch.setenv("TOKOPT_SMTP_HOST", ctl.hostname)
    monkeypatch.setenv("TOKOPT_SMTP_PORT", str(ctl.port))
    # What an older version stored from `--alert-email $'ops@example.com\nBcc: ...'`.
    Store.from_env().write("usage_monitor", {"enabled": True, "email": INJECTED, "warning": 50, "critical": 99})
    done = tokopt("app.log", "--track-usage", "--token-budget", "200", "--suite", "nightly", cwd=env)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "Traceback" not in err and "ValueError" not in err
    assert "tokopt: warning: usage alert" in err and "not mailed" in err and "tokopt usage monitor --alert-email ADDR" in err
    assert inbox.messages == []
    done = tokopt("app.log", "--track-usage", "--token-budget", "200", "--suite", "nightly", cwd=env)
    assert done.returncode == 0 and "warning" not in done.stderr.decode()  # said once
    # Fixed: the next crossing is mailed to the one good address.
    assert tokopt("usage", "monitor", "--alert-email", "ops@example.com", "--warning-threshold", "50", "--critical-threshold", "99", cwd=env).returncode == 0
    done = tokopt("app.log", "--track-usage", "--token-budget", "200", "--suite", "other", cwd=env)
    assert done.returncode == 0, done.stderr.decode()
    assert [(to, msg["To"]) for _, to, msg in inbox.messages] == [(["ops@example.com"], "ops@example.com")]


def test_a_suite_an_old_version_stored_cannot_add_a_header(tmp_path, smtp_server, monkeypatch):  # noqa: F811
    ctl, inbox, _ = smtp_server
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5)
    mon = usage.Monitor(email="ops@example.com", warning=80, critical=95)
    store.write("usage_record", {
        "run_id": "run-1", "recorded_at": datetime.utcnow().isoformat(), "log_path": "/ci/nightly.log",
        "component": "nightly\r\nBcc: evil@example.com\r\nX-Evil: 1", "tokens_in": 100_000, "tokens_in_exact": True,
        "tokens_out": 3900, "budget": 4000, "reduction_pct": 0.0, "budget_pct": 97.5, "sections": {}, "monitor": mon.__dict__,
    })
    assert alerts.deliver_pending(store, settings_for(ctl)) == 1
    (frm, to, msg), = inbox.messages
    assert to == ["ops@example.com"]
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "nightly\\r\\nBcc: evil@example.com" in msg["Subject"]


def test_the_sender_is_checked_too(tmp_path, smtp_server):  # noqa: F811
    ctl, inbox, _ = smtp_server
    store = Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5)
    mon = usage.Monitor(email="ops@example.com", warning=80, critical=95)
    store.write("usage_record", {
        "run_id": "run-1", "recorded_at": datetime.utcnow().isoformat(), "log_path": "/ci/x.log", "component": "x",
        "tokens_in": 10, "tokens_in_exact": True, "tokens_out": 3900, "budget": 4000, "reduction_pct": 0.0,
        "budget_pct": 97.5, "sections": {}, "monitor": mon.__dict__,
    })
    with pytest.raises(alerts.AlertError, match="TOKOPT_SMTP_FROM"):
        alerts.deliver_pending(store, settings_for(ctl, TOKOPT_SMTP_FROM="tokopt@ci.example\nBcc: evil@example.com"))
    assert inbox.messages == []
    with store.connect() as conn:
        assert len(usage.pending_alerts(conn)) == 1  # kept for when the sender is fixed


@pytest.mark.parametrize("value", ["ops@example.com", "On call <ops@example.com>", "ops@[10.0.0.1]", "ops@localhost"])
def test_good_addresses_pass(value):
    assert alerts.check_address(value).addr_spec.startswith("ops@")


@pytest.mark.parametrize("value", [INJECTED, "ops@example.com\r", "a@b\u2028Bcc: c@d", "", "ops", "@example.com", "a@b, c@d", "<>", "a b@c"])
def test_bad_addresses_fail(value):
    with pytest.raises(ValueError):
        alerts.check_address(value)


pytestmark = pytest.mark.usefixtures("backend")  # every test on DuckDB and on PostgreSQL
