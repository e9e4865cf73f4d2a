"""The memory's baselines: the fingerprints of each passing run (table ``mem_baselines``),
and the last passing run of a suite, which a new run of that suite is compared with
(:mod:`tokopt_pipeline.lib.engine.baseline`).

A run is recorded as passing when the command it wrapped exited 0 (``tokopt run``), or,
when no exit code is known, when its log shows no failing test, no failing run totals,
no failing CI step and no critical line or error (:func:`~.baseline.passed`). Only
passing runs keep a baseline: their fingerprints, packed as little-endian 64-bit
integers, and their template shapes.
"""

from __future__ import annotations

import sys
from array import array
from typing import Any

from tokopt_pipeline.lib.engine.baseline import Baseline

__all__ = ["record_baseline", "last_passing"]


def record_baseline(conn: Any, run: dict[str, Any]) -> None:
    """Keep the baseline of ``run`` (a ``memory_record_run`` payload) when it passed."""
    b = run.get("baseline")
    if not run.get("green") or not isinstance(b, dict):
        return
    fps = array("q", (int(x) for x in b.get("fingerprints") or []))
    if sys.byteorder != "little":
        fps.byteswap()
    conn.execute(
        "INSERT INTO mem_baselines VALUES (?, ?, ?::TIMESTAMP, ?, ?, ?) ON CONFLICT DO NOTHING",
        [run["run_id"], run["suite"], run["recorded_at"], len(fps), fps.tobytes(), list(b.get("shapes") or [])],
    )


def last_passing(conn: Any, suite: str, earlier_sql: str, params: list[Any]) -> Baseline | None:
    """The baseline of the last passing run of ``suite`` among the runs ``earlier_sql``
    selects (its ids), or None."""
    row = conn.execute(
        f"SELECT run_id, fingerprints, shapes FROM mem_baselines WHERE suite = ? AND run_id IN ({earlier_sql}) "
        "ORDER BY recorded_at DESC, run_id DESC LIMIT 1",
        [suite, *params],
    ).fetchone()
    if row is None:
        return None
    fps = array("q")
    fps.frombytes(bytes(row[1]))
    if sys.byteorder != "little":
        fps.byteswap()
    return Baseline(frozenset(fps), frozenset(row[2] or []), label=f"run {row[0]}")
