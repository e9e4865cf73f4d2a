"""Usage records, the today / 7 days / all-time report, and the alert state machine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.usage import ledger as usage


def store_at(tmp_path) -> Store:
    return Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5)


def record(store, component, tokens_out, budget=1000, tokens_in=20_000, when=None, monitor=None, run_id=None):
    pct = round(100.0 * tokens_out / budget, 2)
    payload = {
        "run_id": run_id or f"r-{component}-{tokens_out}-{when or 'now'}",
        "recorded_at": (when or datetime.utcnow()).isoformat(),
        "log_path": f"/ci/{component}.log", "component": component,
        "tokens_in": tokens_in, "tokens_in_exact": True, "tokens_out": tokens_out, "budget": budget,
        "reduction_pct": round(100.0 * (1 - tokens_out / tokens_in), 2), "budget_pct": pct, "sections": {},
        "monitor": monitor.__dict__ if monitor else None,
    }
    assert store.write("usage_record", payload) == "applied"


def test_report_by_period_and_component(tmp_path):
    store = store_at(tmp_path)
    now = datetime.utcnow()
    record(store, "unit", 500, when=now)
    record(store, "unit", 300, when=now - timedelta(days=3))
    record(store, "e2e", 900, budget=1000, when=now)
    record(store, "e2e", 100, when=now - timedelta(days=30))
    with store.connect() as conn:
        rep = usage.usage_report(conn, now=now + timedelta(seconds=1))
    today = {e["component"]: e for e in rep["periods"]["today"]}
    week = {e["component"]: e for e in rep["periods"]["7 days"]}
    ever = {e["component"]: e for e in rep["periods"]["all time"]}
    assert today[None]["runs"] == 2 and today[None]["tokens_out"] == 1400 and today[None]["use_pct"] == 70.0
    assert today["e2e"]["use_pct"] == 90.0 and today["unit"]["tokens_out"] == 500
    assert week[None]["runs"] == 3 and week["unit"]["runs"] == 2 and week["unit"]["use_pct"] == 40.0
    assert ever[None]["runs"] == 4 and ever["e2e"]["runs"] == 2 and ever[None]["reduction_pct"] == round(100 * (1 - 1800 / 80_000), 2)
    text = usage.format_report(rep)
    assert "today: 2 runs" in text and "7 days: 3 runs" in text and "all time: 4 runs" in text
    assert "    e2e: 1 runs, 900/1,000 (90.0%)" in text


def test_a_run_recorded_twice_counts_once(tmp_path):
    store = store_at(tmp_path)
    record(store, "unit", 500, run_id="same")
    record(store, "unit", 500, run_id="same")
    with store.connect() as conn:
        assert usage.usage_report(conn)["periods"]["all time"][0]["runs"] == 1


def _alerts(seq, warning=80, critical=95):
    state, out = "ok", []
    for pct in seq:
        state, alert = usage.next_state(state, pct, warning, critical)
        out.append(alert)
    return [a for a in out if a]


@pytest.mark.parametrize(
    "seq, expected",
    [
        ([50, 85, 79, 83, 76, 81, 97, 93, 99, 90, 96], ["warning", "critical"]),  # hovering: one each
        ([50, 99], ["critical"]),                                                # straight to critical
        ([85, 40, 85], ["warning", "warning"]),                                  # fell back well below: a new crossing
        ([96, 60, 96], ["critical", "critical"]),
        ([96, 82, 96], ["critical", "critical"]),                                # fell to warning, crossed critical again
        ([96, 88, 96], ["critical"]),                                            # never left critical's margin
        ([10, 20, 79.9], []),
    ],
)
def test_alert_once_per_crossing(seq, expected):
    assert _alerts(seq) == expected


def test_alert_state_is_per_component(tmp_path):
    store = store_at(tmp_path)
    mon = usage.Monitor(email="ops@example.com", warning=80, critical=95)
    for comp, out in [("unit", 850), ("e2e", 860), ("unit", 870), ("e2e", 990)]:
        record(store, comp, out, monitor=mon)
    with store.connect() as conn:
        pending = usage.pending_alerts(conn)
    assert [(a["component"], a["level"]) for a in pending] == [("unit", "warning"), ("e2e", "warning"), ("e2e", "critical")]
    assert pending[0]["email"] == "ops@example.com" and pending[0]["threshold"] == 80


def test_saved_monitor_applies_to_later_runs_until_turned_off(tmp_path):
    store = store_at(tmp_path)
    record(store, "unit", 990)
    store.write("usage_monitor", {"enabled": True, "email": "ops@example.com", "warning": 50, "critical": 90})
    record(store, "unit", 600)
    store.write("usage_monitor", {"enabled": False})
    record(store, "unit", 999)
    with store.connect() as conn:
        assert [a["level"] for a in usage.pending_alerts(conn)] == ["warning"]


pytestmark = pytest.mark.usefixtures("backend")  # every test on DuckDB and on PostgreSQL
