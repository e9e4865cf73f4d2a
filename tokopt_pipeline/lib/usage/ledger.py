"""Token usage: one ledger of every recorded summary, reports per period and component,
threshold alerts.

One concept (over 400 lines): the ledger, the figures read from it and the alerts
that watch them.

The ledger (table ``usage_ledger``) holds one row per recorded summary: its tokens in
(the raw log), tokens out (the summary), the budget, the reduction and the share of the
budget the summary used, when and where it was made, and the *component* that spent
the tokens: the suite or job (``--suite``, else derived from the log's name like the
memory's suite). Every ``record_run`` of a rendered summary enters its row
(:func:`enter_run`, in the same transaction); ``--track-usage`` (store operation
``usage_record``) marks the row *tracked* and checks it against the alert thresholds.

Two readers, one table:

* :func:`usage_report` (``tokopt usage check`` / ``--check-usage``, ``tokopt report``)
  sums the tracked rows for today (UTC), the last 7 days and all time, overall and per
  component: use against budget is ``tokens out / budget`` summed over the period's runs;
* :func:`rollup_figures` (the Dagster asset ``token_usage_metrics``) sums every row.

Alerts (``--enable-monitoring``): each tracked run's budget use is compared with the
warning and critical thresholds (80% and 95% by default). An alert is raised once per
crossing: when a component's use rises into a higher level than its current alert
state. The state only falls back (re-arming the alert) when use drops more than
:data:`REARM_MARGIN` points below the threshold, so use that hovers around a threshold
raises one alert, not one per run. Alerts are rows in ``usage_alerts`` until
:mod:`.alerts` has mailed them.

One concept (over 400 lines): the usage ledger, its rows in and its reports out.

Example:
    store.write("usage_record", usage_payload(summary, log_path="ci.log", component="unit"))
    with store.connect() as conn:
        print(format_report(usage_report(conn)))
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NotRequired, Protocol, TypedDict

from tokopt_pipeline.lib.store.db import Connection, Payload, one_row, one_value, operation
from tokopt_pipeline.lib.usage.thresholds import CRITICAL_PCT, WARNING_PCT, budget_state

__all__ = [
    "enter_run",
    "DEFAULT_CRITICAL",
    "DEFAULT_WARNING",
    "LEVELS",
    "REARM_MARGIN",
    "Alert",
    "Monitor",
    "UsageEntry",
    "UsageFigures",
    "UsageReport",
    "format_report",
    "next_state",
    "pending_alerts",
    "rollup_figures",
    "rollup_markdown",
    "usage_history",
    "usage_payload",
    "usage_report",
]

DEFAULT_WARNING = WARNING_PCT
DEFAULT_CRITICAL = CRITICAL_PCT
REARM_MARGIN = 10.0
LEVELS = ("ok", "warning", "critical")


@dataclass
class Monitor:
    """Saved ``--enable-monitoring`` settings."""

    email: str | None
    warning: float = DEFAULT_WARNING
    critical: float = DEFAULT_CRITICAL
    enabled: bool = True


class UsageFigures(Protocol):
    """What a usage record is made of: a rendered :class:`~.render.Summary`, or the
    same figures of a summary made elsewhere (the Python API's ``track_usage``)."""

    @property
    def tokens_in(self) -> int: ...
    @property
    def tokens_in_exact(self) -> bool: ...
    @property
    def tokens_out(self) -> int: ...
    @property
    def budget(self) -> int: ...
    @property
    def reduction_pct(self) -> float: ...
    @property
    def budget_pct(self) -> float: ...
    @property
    def shown(self) -> Mapping[str, int]: ...


class UsageEntry(TypedDict):
    """One line of :func:`usage_report`: a period's tracked runs, overall
    (``component`` None) or of one component."""

    component: str | None
    runs: int
    tokens_in: int
    tokens_out: int
    budget: int
    use_pct: float
    reduction_pct: float
    peak_pct: float


class UsageReport(TypedDict):
    """:func:`usage_report`: the entries of each period (``today``, ``7 days``,
    ``all time``; the overall entry first), the saved monitoring settings (None when
    off) and, when monitoring, each component's alert state."""

    periods: dict[str, list[UsageEntry]]
    monitor: dict[str, Any] | None
    alert_state: NotRequired[dict[str, str]]


class Alert(TypedDict):
    """A row of ``usage_alerts`` not yet mailed (:func:`pending_alerts`)."""

    alert_id: str
    created_at: datetime
    component: str
    level: str
    budget_pct: float
    threshold: float
    run_id: str
    email: str | None
    error: str | None


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def usage_payload(summary: UsageFigures, log_path: str, component: str, run_id: str | None = None,
                  monitor: Monitor | None = None, recorded_at: datetime | None = None) -> Payload:
    """The ``usage_record`` payload of a rendered :class:`~.render.Summary`."""
    return {
        "run_id": run_id or f"usage-{uuid.uuid4().hex[:12]}",
        "recorded_at": (recorded_at or _utcnow()).isoformat(timespec="microseconds"),
        "log_path": str(log_path),
        "component": component,
        "tokens_in": int(summary.tokens_in),
        "tokens_in_exact": bool(summary.tokens_in_exact),
        "tokens_out": int(summary.tokens_out),
        "budget": int(summary.budget),
        "reduction_pct": float(summary.reduction_pct),
        "budget_pct": float(summary.budget_pct),
        "sections": {k: v for k, v in summary.shown.items() if v},
        "monitor": monitor.__dict__ if monitor else None,
    }


def next_state(state: str, pct: float, warning: float, critical: float, margin: float = REARM_MARGIN) -> tuple[str, str | None]:
    """The alert state after a run at ``pct`` % of its budget, and the alert to raise.

    Rises at once (raising an alert for the level reached); falls back only when
    ``pct`` is more than ``margin`` points below the threshold of the current level.
    """
    level = budget_state(pct, warning, critical)
    cur = LEVELS.index(state) if state in LEVELS else 0
    new = LEVELS.index(level)
    if new > cur:
        return level, level
    if new < cur:
        thr = critical if state == "critical" else warning
        if pct < thr - margin:
            # Fall to the level the use is now at, but not below warning while near it.
            if state == "critical" and level == "ok" and pct >= warning - margin:
                return "warning", None
            return level, None
    return state, None


def _saved_monitor(conn: Connection) -> Monitor | None:
    row = conn.execute("SELECT enabled, email, warning, critical FROM usage_monitor WHERE id = 1").fetchone()
    if not row or not row[0]:
        return None
    return Monitor(email=row[1], warning=row[2], critical=row[3], enabled=True)


@operation("usage_monitor")
def save_monitor(conn: Connection, payload: Payload) -> None:
    """Save (or turn off, with ``enabled: false``) the monitoring settings."""
    conn.execute("DELETE FROM usage_monitor WHERE id = 1")
    conn.execute(
        "INSERT INTO usage_monitor (id, enabled, email, warning, critical) VALUES (1, ?, ?, ?, ?)",
        [bool(payload.get("enabled", True)), payload.get("email"), float(payload.get("warning", DEFAULT_WARNING)), float(payload.get("critical", DEFAULT_CRITICAL))],
    )


_LEDGER_COLUMNS = (
    "run_id", "recorded_at", "source", "file_key", "log_path", "component", "tokens_in", "tokens_in_exact",
    "tokens_out", "budget", "reduction_pct", "budget_pct", "sections", "tracked",
)
_FIGURES = ("tokens_in", "tokens_in_exact", "tokens_out", "budget", "reduction_pct", "budget_pct")


def enter_run(conn: Connection, run_id: str, usage: Mapping[str, Any] | None = None) -> None:
    """Enter (or update) the ledger row of run ``run_id`` from its ``runs`` row, when the
    run has a rendered summary. ``usage`` may give ``component``, ``recorded_at`` (UTC)
    and ``sections``; a rendered-again summary keeps its row's time and tracking."""
    row = conn.execute(
        "SELECT source, file_key, path, suite, profile, tokens_in, tokens_in_exact, tokens_out, budget, reduction_pct, "
        "budget_pct FROM runs WHERE run_id = ? AND tokens_out IS NOT NULL",
        [run_id],
    ).fetchone()
    if row is None:
        return
    source, file_key, path, suite, profile, *figures = row
    usage = usage or {}
    component = usage.get("component") or suite
    if not component:
        from tokopt_pipeline.lib.memory.runs import derive_suite

        component = derive_suite(path or file_key or "-", profile or "")
    values = {
        "run_id": run_id, "recorded_at": usage.get("recorded_at") or _utcnow().isoformat(timespec="microseconds"),
        "source": source, "file_key": file_key, "log_path": path, "component": component,
        **dict(zip(_FIGURES, figures, strict=True)),
        "sections": json.dumps(usage.get("sections") or {}), "tracked": False,
    }
    updates = ", ".join(f"{c} = excluded.{c}" for c in _FIGURES)
    if usage.get("component"):
        updates += ", component = excluded.component"
    if usage.get("sections"):
        updates += ", sections = excluded.sections"
    conn.execute(
        f"INSERT INTO usage_ledger ({', '.join(_LEDGER_COLUMNS)}) VALUES ({', '.join('?' for _ in _LEDGER_COLUMNS)}) "
        f"ON CONFLICT (run_id) DO UPDATE SET {updates}",
        [values[c] for c in _LEDGER_COLUMNS],
    )


@operation("usage_record")
def record_usage(conn: Connection, p: Payload) -> None:
    """Track one run's usage (idempotent by run id): its ledger row, entered now or by
    ``record_run`` before, is marked tracked; then an alert is raised on a crossing."""
    row = conn.execute("SELECT tracked FROM usage_ledger WHERE run_id = ?", [p["run_id"]]).fetchone()
    if row is not None and row[0]:
        return
    if row is not None:
        conn.execute(
            "UPDATE usage_ledger SET tracked = true, component = ?, sections = ? WHERE run_id = ?",
            [p["component"], json.dumps(p.get("sections") or {}), p["run_id"]],
        )
    else:
        conn.execute(
            f"INSERT INTO usage_ledger ({', '.join(_LEDGER_COLUMNS)}) VALUES (?, ?::TIMESTAMP, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, true)",
            [p["run_id"], p["recorded_at"], p.get("source") or "cli", p.get("log_path"), p["component"], p["tokens_in"],
             p.get("tokens_in_exact"), p["tokens_out"], p["budget"], p.get("reduction_pct"), p.get("budget_pct"),
             json.dumps(p.get("sections") or {})],
        )
    mon = Monitor(**p["monitor"]) if p.get("monitor") else _saved_monitor(conn)
    if mon is None or not mon.enabled:
        return
    row = conn.execute("SELECT level FROM usage_alert_state WHERE component = ?", [p["component"]]).fetchone()
    state = row[0] if row else "ok"
    pct = float(p.get("budget_pct") or 0.0)
    new_state, alert = next_state(state, pct, mon.warning, mon.critical)
    if new_state != state:
        conn.execute("DELETE FROM usage_alert_state WHERE component = ?", [p["component"]])
        conn.execute("INSERT INTO usage_alert_state VALUES (?, ?)", [p["component"], new_state])
    if alert:
        conn.execute(
            "INSERT INTO usage_alerts (alert_id, created_at, component, level, budget_pct, threshold, run_id, email) VALUES (?, ?::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
            [f"alert-{uuid.uuid4().hex[:12]}", p["recorded_at"], p["component"], alert, pct,
             mon.critical if alert == "critical" else mon.warning, p["run_id"], mon.email],
        )


@operation("usage_alert_sent")
def mark_sent(conn: Connection, payload: Payload) -> None:
    """Mark alerts mailed (``error`` set: the attempt failed and stays pending)."""
    if payload.get("error"):
        conn.execute("UPDATE usage_alerts SET error = ? WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))", [payload["error"], payload["alert_ids"]])
    else:
        conn.execute("UPDATE usage_alerts SET sent_at = ?::TIMESTAMP, error = NULL WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))",
                     [payload.get("sent_at") or _utcnow().isoformat(), payload["alert_ids"]])


def pending_alerts(conn: Connection) -> list[Alert]:
    """Alerts raised but not yet mailed, oldest first."""
    rows = conn.execute(
        "SELECT alert_id, created_at, component, level, budget_pct, threshold, run_id, email, error FROM usage_alerts WHERE sent_at IS NULL ORDER BY created_at, alert_id"
    ).fetchall()
    return [
        Alert(alert_id=r[0], created_at=r[1], component=r[2], level=r[3], budget_pct=r[4], threshold=r[5], run_id=r[6],
              email=r[7], error=r[8])
        for r in rows
    ]


def usage_report(conn: Connection, now: datetime | None = None) -> UsageReport:
    """Use against budget for today (UTC), the last 7 days and all time, overall and per component."""
    now = now or _utcnow()
    today = datetime(now.year, now.month, now.day)
    periods = {"today": today, "7 days": now - timedelta(days=7), "all time": datetime(1970, 1, 1)}
    periods_out: dict[str, list[UsageEntry]] = {}
    out: UsageReport = {"periods": periods_out, "monitor": None}
    for name, start in periods.items():
        rows = conn.execute(
            """
            SELECT coalesce(component, '(all)'), count(*), sum(tokens_in), sum(tokens_out), sum(budget), max(budget_pct)
            FROM usage_ledger WHERE tracked AND recorded_at >= ?
            GROUP BY GROUPING SETS ((), (component)) ORDER BY component NULLS FIRST
            """,
            [start],
        ).fetchall()
        entries: list[UsageEntry] = []
        for comp, n, tin_sum, tout_sum, budget_sum, peak in rows:
            if not n:
                continue
            tin, tout, budget = int(tin_sum or 0), int(tout_sum or 0), int(budget_sum or 0)  # sums: numeric on PostgreSQL
            entries.append({
                "component": comp if comp != "(all)" else None, "runs": int(n), "tokens_in": int(tin or 0), "tokens_out": int(tout or 0),
                "budget": int(budget or 0), "use_pct": round(100.0 * (tout or 0) / budget, 2) if budget else 0.0,
                "reduction_pct": round(100.0 * (1 - (tout or 0) / tin), 2) if tin else 0.0, "peak_pct": float(peak or 0.0),
            })
        periods_out[name] = entries
    mon = _saved_monitor(conn)
    if mon:
        out["monitor"] = mon.__dict__
        out["alert_state"] = dict(conn.execute("SELECT component, level FROM usage_alert_state ORDER BY 1").fetchall())
    return out


def format_report(report: UsageReport) -> str:
    lines = ["token usage (use = tokens out / budget):"]
    for period, entries in report["periods"].items():
        if not entries:
            lines.append(f"  {period}: no runs")
            continue
        total = entries[0]
        lines.append(
            f"  {period}: {total['runs']} runs, {total['tokens_in']:,} tokens in -> {total['tokens_out']:,} out of "
            f"{total['budget']:,} budget ({total['use_pct']}% used, peak run {total['peak_pct']}%), reduction {total['reduction_pct']}%"
        )
        for e in entries[1:]:
            lines.append(f"    {e['component']}: {e['runs']} runs, {e['tokens_out']:,}/{e['budget']:,} ({e['use_pct']}%), peak {e['peak_pct']}%, reduction {e['reduction_pct']}%")
    mon = report.get("monitor")
    if mon:
        states = ", ".join(f"{c} {lv}" for c, lv in report.get("alert_state", {}).items()) or "no alerts"
        lines.append(f"  monitoring: warning {mon['warning']:g}%, critical {mon['critical']:g}%, alerts to {mon['email'] or '(no address)'}; state: {states}")
    return "\n".join(lines)


def usage_history(conn: Connection, limit: int = 500) -> list[dict[str, Any]]:
    """Tracked usage rows oldest first (for charts)."""
    rows = conn.execute(
        "SELECT recorded_at, component, tokens_in, tokens_out, budget, budget_pct "
        "FROM (SELECT * FROM usage_ledger WHERE tracked ORDER BY recorded_at DESC LIMIT ?) AS latest ORDER BY recorded_at",
        [limit],
    ).fetchall()
    keys = ["recorded_at", "component", "tokens_in", "tokens_out", "budget", "budget_pct"]
    return [dict(zip(keys, r, strict=False)) for r in rows]


def rollup_figures(conn: Connection, now: datetime | None = None) -> dict[str, int | float]:
    """Every recorded summary's usage (every row of the ledger: the Dagster runs and
    every ``tokopt`` command that records) under the stable names the Dagster UI plots.

    Today (UTC): ``runs_today``, ``tokens_in_today``, ``tokens_out_today``,
    ``reduction_pct_today``, ``budget_pct_avg_today``, ``budget_pct_max_today`` (the
    highest share of its budget one summary used). The last 7 days, today included:
    ``runs_7d``, ``tokens_in_7d``, ``tokens_out_7d``, ``budget_pct_max_7d``. All time:
    ``runs_total``, ``tokens_in_total``, ``tokens_out_total``, ``files``. And
    ``alerts_pending``: ``--enable-monitoring`` alerts raised and not yet mailed.
    """
    now = now or _utcnow()
    today = datetime(now.year, now.month, now.day)

    def period(start: datetime) -> tuple[Any, ...]:
        runs, tin, tout, avg, peak = one_row(
            conn,
            "SELECT count(*), coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0), avg(budget_pct), "
            "coalesce(max(budget_pct), 0) FROM usage_ledger WHERE recorded_at >= ?",
            [start],
        )
        reduction = round(100.0 * (1 - float(tout) / float(tin)), 2) if tin else 0.0
        return runs, tin, tout, reduction, round(float(avg), 2) if avg is not None else 0.0, peak

    t_runs, t_in, t_out, t_red, t_avg, t_max = period(today)
    w_runs, w_in, w_out, _, _, w_max = period(today - timedelta(days=6))
    a_runs, a_in, a_out, _, _, _ = period(datetime(1970, 1, 1))
    files = one_value(conn, "SELECT count(DISTINCT coalesce(file_key, log_path)) FROM usage_ledger")
    pending = one_value(conn, "SELECT count(*) FROM usage_alerts WHERE sent_at IS NULL")
    return {
        "runs_today": int(t_runs), "tokens_in_today": int(t_in), "tokens_out_today": int(t_out),
        "reduction_pct_today": float(t_red), "budget_pct_avg_today": float(t_avg), "budget_pct_max_today": float(t_max),
        "runs_7d": int(w_runs), "tokens_in_7d": int(w_in), "tokens_out_7d": int(w_out), "budget_pct_max_7d": float(w_max),
        "runs_total": int(a_runs), "tokens_in_total": int(a_in), "tokens_out_total": int(a_out), "files": int(files),
        "alerts_pending": int(pending),
    }


def rollup_markdown(conn: Connection, days: int = 14) -> str:
    """The last ``days`` days of the ledger (view ``usage_daily``, days in UTC) as a
    Markdown table, newest first."""
    rows = conn.execute(
        "SELECT day, runs, tokens_in, tokens_out, reduction_pct, budget_pct_max FROM usage_daily ORDER BY day DESC LIMIT ?", [days]
    ).fetchall()
    table = ["| day | runs | tokens in | tokens out | reduction | max budget use |", "|---|---:|---:|---:|---:|---:|"]
    table += [f"| {d} | {r} | {ti:,} | {to:,} | {red}% | {bm}% |" for d, r, ti, to, red, bm in rows]
    return "\n".join(table)
