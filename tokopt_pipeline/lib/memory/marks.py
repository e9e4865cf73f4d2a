"""What the memory says of a new run: errors never seen before (**new**) and flaky tests; the
:class:`Marker` hook that marks a summary before it is rendered, then records the run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tokopt_pipeline.lib.engine import baseline
from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.engine.runmeta import RunMeta
from tokopt_pipeline.lib.memory.baselines import last_passing
from tokopt_pipeline.lib.memory.flakiness import flakiness
from tokopt_pipeline.lib.memory.runs import (
    ERROR_TYPE,
    FLAKY_WINDOW,
    RunRecord,
    prepare_run,
    scan_log,
)
from tokopt_pipeline.lib.store.db import Connection, Payload, Store, StoreBusy, one_value


# -- flakiness -----------------------------------------------------------------
def is_flaky(history: list[tuple[str, str | None]]) -> bool:
    """``history``: (outcome, commit) oldest first, outcome ``failed`` or ``passed``.

    Flaky: within the last :data:`FLAKY_WINDOW` results a failure follows a pass that
    follows a failure, or one commit has both a failure and a pass."""
    recent = history[-FLAKY_WINDOW:]
    state = 0  # 0: nothing yet, 1: failed, 2: failed then passed
    for outcome, _ in recent:
        if outcome == "failed":
            if state == 2:
                return True
            state = 1
        elif outcome == "passed" and state == 1:
            state = 2
    by_commit: dict[str, set[str]] = {}
    for outcome, commit in recent:
        if commit:
            by_commit.setdefault(commit, set()).add(outcome)
    return any(len(v) == 2 for v in by_commit.values())


def earlier_runs(conn: Connection, run_id: str) -> tuple[str, list[Any]]:
    """SQL (and its parameters) selecting the ids of the runs before ``run_id``: every
    other stored run, or, when ``run_id`` is stored already (a summary rendered again),
    only the runs recorded before it, so its marks stay what they were."""
    pos = conn.execute("SELECT recorded_at, seq FROM mem_runs WHERE run_id = ?", [run_id]).fetchone()
    if pos is None:
        return "SELECT run_id FROM mem_runs WHERE run_id <> ?", [run_id]
    return "SELECT run_id FROM mem_runs WHERE run_id <> ? AND (recorded_at, seq) < (?::TIMESTAMP, ?)", [run_id, pos[0], pos[1]]


def histories(conn: Connection, suite: str, test_ids: list[str], before_run: str | None = None) -> dict[str, list[tuple[str, str | None]]]:
    if not test_ids:
        return {}
    if before_run:
        earlier, params = earlier_runs(conn, before_run)
    else:
        earlier, params = "SELECT run_id FROM mem_runs", []
    rows = conn.execute(
        f"""
        SELECT t.test_id, CASE WHEN r.failed THEN 'failed' ELSE 'passed' END, m.commit_sha
        FROM mem_results r JOIN mem_runs m ON m.seq = r.run_seq JOIN mem_tests t ON t.test_key = r.test_key
        WHERE m.suite = ? AND t.test_id IN (SELECT unnest(?::VARCHAR[])) AND m.run_id IN ({earlier})
        ORDER BY m.recorded_at, m.seq
        """,
        [suite, test_ids, *params],
    ).fetchall()
    out: dict[str, list[tuple[str, str | None]]] = {}
    for test_id, outcome, commit in rows:
        out.setdefault(test_id, []).append((outcome, commit))
    return out


def implied_passes(conn: Connection, run: Mapping[str, Any]) -> list[str]:
    """Without pass lines, tests this suite saw fail before and absent from this run's
    failures count as passed when the run has a totals line."""
    if run.get("passes_known") or not run.get("totals"):
        return []
    failing = [f["test_id"] for f in run["failed"]]
    rows = conn.execute(
        """
        SELECT DISTINCT t.test_id
        FROM mem_results r JOIN mem_runs m ON m.seq = r.run_seq JOIN mem_tests t ON t.test_key = r.test_key
        WHERE m.suite = ? AND r.failed AND t.test_id NOT IN (SELECT unnest(?::VARCHAR[]))
        """,
        [run["suite"], failing],
    ).fetchall()
    return sorted(r[0] for r in rows)


# -- marking a summary ----------------------------------------------------------
@dataclass
class Marks:
    new_errors: list[str] = field(default_factory=list)   # error group keys
    new_tests: list[str] = field(default_factory=list)
    flaky_tests: list[str] = field(default_factory=list)
    history_runs: int = 0


def compute_marks(conn: Connection, run: RunRecord) -> tuple[Marks, dict[str, str]]:
    """What is new and what is flaky in ``run``, against the runs stored before it."""
    marks = Marks()
    earlier, params = earlier_runs(conn, run.run_id)
    marks.history_runs = int(one_value(conn, f"SELECT count(*) FROM mem_runs WHERE run_id IN ({earlier})", params))
    # An error type is known when an earlier run saw it, or when it came without any
    # sighting (imported from another memory).
    known_sql = (
        f"(EXISTS (SELECT 1 FROM mem_sightings s WHERE s.entity = e.name AND s.run_id IN ({earlier}))"
        " OR NOT EXISTS (SELECT 1 FROM mem_sightings s WHERE s.entity = e.name))"
    )
    fps = [e["fingerprint"] for e in run.errors]
    names = [e["name"] for e in run.errors]
    rows = conn.execute(
        "SELECT fingerprint, name FROM mem_entities e WHERE entity_type = ? AND (fingerprint IN (SELECT unnest(?::VARCHAR[])) "
        f"OR name IN (SELECT unnest(?::VARCHAR[]))) AND {known_sql}",
        [ERROR_TYPE, fps, names, *params],
    ).fetchall() if fps else []
    known = {r[0] for r in rows} | {r[1] for r in rows}
    if not marks.history_runs:
        marks.history_runs = int(one_value(conn, f"SELECT count(*) FROM mem_entities e WHERE entity_type = ? AND {known_sql}",
                                           [ERROR_TYPE, *params]))
    new_fps = {e["fingerprint"] for e in run.errors if e["fingerprint"] not in known and e["name"] not in known} if marks.history_runs else set()
    failing = [f["test_id"] for f in run.failed]
    hist = histories(conn, run.suite, failing, before_run=run.run_id)
    suite_runs = int(one_value(conn, f"SELECT count(*) FROM mem_runs WHERE suite = ? AND run_id IN ({earlier})", [run.suite, *params]))
    rated = {f.test_id: f for f in flakiness(conn, suite=run.suite, test_ids=failing, before_run=run.run_id,
                                             current=(run.commit, failing))} if failing else {}
    for test_id in failing:
        h = hist.get(test_id, [])
        if suite_runs and not any(o == "failed" for o, _ in h):
            marks.new_tests.append(test_id)
        if is_flaky(h + [("failed", run.commit)]) or (test_id in rated and rated[test_id].flaky):
            marks.flaky_tests.append(test_id)
    return marks, {fp: "new" for fp in new_fps}


def annotate(store: Store, run: RunRecord, analysis: Analysis, timeout: float | None = None,
             use_baseline: bool = False) -> Marks | None:
    """Mark ``analysis`` before rendering: ``ErrorGroup.new``, ``FailedTest.new`` and
    ``FailedTest.flaky``; with ``use_baseline``, what the suite's last passing run had
    too (:func:`.baseline.apply`). Returns None (and marks nothing) when the store is
    busy for longer than ``timeout`` seconds."""
    try:
        with store.connect(timeout=timeout) as conn:
            marks, new_fps = compute_marks(conn, run)
            passing = last_passing(conn, run.suite, *earlier_runs(conn, run.run_id)) if use_baseline else None
    except StoreBusy:
        return None
    marks.new_errors.extend(analysis.mark(new_fps.keys(), set(marks.new_tests), set(marks.flaky_tests)))
    if passing is not None:
        baseline.apply(analysis, passing)
    return marks



class Marker:
    """The memory as an ``annotate`` hook: pass it to :func:`~.summarize.summarize`
    (or call it on an analysis before :func:`~.render.summarize_analysis`), then
    :meth:`record` the run once the summary is written.

    Called with an analysis, it prepares the run's record (:func:`prepare_run`; the
    log is scanned for passing tests and the commit when it is still there; a passing
    run, by ``exit_code`` when given, keeps its baseline) and marks the analysis
    against the runs stored before (:func:`annotate`; with ``use_baseline`` and no
    baseline applied yet, what the suite's last passing run had too), waiting at most
    ``timeout`` seconds (default: the store's lock timeout) for the store. When the
    store stays busy the analysis is left unmarked and :attr:`marks` is None.

    Example:
        marker = Marker(store, suite="unit")
        summary = summarize("ci.log", options, annotate=marker)
        marker.record(summary_path="logs/ci.summary.md")   # "applied" or the pending file
    """

    def __init__(self, store: Store, *, log_path: str | None = None, suite: str | None = None, commit: str | None = None,
                 run_id: str | None = None, timeout: float | None = None, exit_code: int | None = None,
                 use_baseline: bool = True):
        self.store = store
        self.log_path = log_path
        self.suite = suite
        self.commit = commit
        self.run_id = run_id
        self.timeout = timeout
        self.exit_code = exit_code
        self.use_baseline = use_baseline
        self.analysis: Analysis | None = None
        self.run: RunRecord | None = None
        self.marks: Marks | None = None
        self._hold: int | None = None

    def __call__(self, analysis: Analysis) -> None:
        log = str(self.log_path or analysis.source or "-")
        if analysis.run_meta is not None:  # collected in the engine's pass
            scan = analysis.run_meta
        else:
            scan = scan_log(log) if log != "-" and os.path.isfile(log) else RunMeta()
        self.analysis = analysis
        self.run = prepare_run(analysis, log, suite=self.suite, commit=self.commit, scan=scan, run_id=self.run_id)
        # A passing run leaves its baseline: what a later run of the suite is compared with.
        self.run.green = self.exit_code == 0 if self.exit_code is not None else baseline.passed(analysis)
        if self.run.green:
            self.run.baseline = baseline.of_analysis(analysis).payload()
        # On PostgreSQL the marks are read in the transaction the run is recorded in
        # (Store.hold): a run marked meanwhile by another process cannot make both new.
        try:
            self._hold = self.store.hold(timeout=self.timeout)
        except StoreBusy:
            self.marks = None
            return
        self.marks = annotate(self.store, self.run, analysis, timeout=self.timeout,
                              use_baseline=self.use_baseline and not analysis.baseline)

    def release(self) -> None:
        """Give up the transaction held since marking when the run will not be recorded
        (PostgreSQL; nothing on DuckDB). Recording releases it too."""
        if self._hold is not None:
            self.store.release(self._hold)
            self._hold = None

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:  # the interpreter shutting down: the server rolls back a closed connection
            pass

    def operation(self, summary_path: str | os.PathLike[str] | None = None) -> tuple[str, Payload]:
        """The store operation that records the run (``memory_record_run`` and its
        payload), to write alone (:meth:`record`) or with the run's other rows in one
        transaction (:meth:`~tokopt_pipeline.lib.store.db.Store.write_all`)."""
        if self.run is None:
            raise ValueError("Marker.record() before the marker saw an analysis")
        if summary_path is not None:
            self.run.summary_path = str(summary_path)
        return "memory_record_run", self.run.payload()

    def record(self, summary_path: str | os.PathLike[str] | None = None) -> str:
        """Write the run into the memory (``memory_record_run``); returns ``"applied"``,
        or the pending file when the store was busy."""
        op, payload = self.operation(summary_path)
        try:
            return self.store.write(op, payload, timeout=self.timeout)
        finally:
            self._hold = None



def marks_for_run(conn: Connection, run_id: str) -> tuple[set[str], set[str]]:
    """(fingerprints first seen in ``run_id`` after earlier runs, flaky test ids): the
    marks a stored run's summary gets when it is rendered again."""
    rows = conn.execute(
        """
        WITH first AS (
            SELECT s.fingerprint, (array_agg(s.run_id ORDER BY m.recorded_at, m.seq))[1] AS first_run
            FROM mem_sightings s JOIN mem_runs m USING (run_id) GROUP BY 1
        )
        SELECT f.fingerprint FROM first f
        WHERE f.first_run = ? AND EXISTS (
            SELECT 1 FROM mem_runs o, mem_runs r WHERE r.run_id = ? AND (o.recorded_at, o.seq) < (r.recorded_at, r.seq))
        """,
        [run_id, run_id],
    ).fetchall()
    flaky = {r[0] for r in conn.execute("SELECT name FROM mem_entities WHERE flaky").fetchall()}
    return {r[0] for r in rows}, flaky
