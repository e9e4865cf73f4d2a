"""When a run's use of its token budget is worth a warning or an alarm.

One place for the thresholds every part applies: usage alerts (``--enable-monitoring``,
``--warning-threshold``, ``--critical-threshold``), the token-efficiency badge's colour,
``--check-usage`` and the Dagster budget-use checks.
"""

from __future__ import annotations

__all__ = ["WARNING_PCT", "CRITICAL_PCT", "budget_state"]

#: Budget use (percent) at which a run is a warning, and at which it is critical.
WARNING_PCT = 80.0
CRITICAL_PCT = 95.0


def budget_state(pct: float, warning: float = WARNING_PCT, critical: float = CRITICAL_PCT) -> str:
    """``"critical"``, ``"warning"`` or ``"ok"`` for a budget use of ``pct`` percent."""
    return "critical" if pct >= critical else "warning" if pct >= warning else "ok"
