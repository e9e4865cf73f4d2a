"""Flakiness as it is measured in the field: per test and suite, the **flip rate** over
the suite's last N runs and **different outcomes on the same commit**.

* The flip rate is the share of consecutive results that differ: flips / (runs - 1),
  over the last ``window`` runs of the test's suite (default :data:`FLIP_WINDOW`), counting
  only the runs where the test has a result (failed, or passed where passes are known).
  ``F P F P`` flips 3 times in 4 runs: 1.0; ``F F F P`` once: 0.33.
* Same commit: within that window the test both failed and passed in runs of one
  commit, a sign of flakiness that no code change explains.

A test is flaky in the window (:attr:`Flakiness.flaky`) when it had both outcomes on
one commit, or failed, passed and failed again, or when its flip rate is at least
:data:`FLIP_RATE_FLAKY` over at least :data:`FLIP_MIN_RUNS` runs with at least
:data:`FLIP_MIN_FLIPS` flips (one change of outcome, a break or a fix, is never flaky).
The memory's ``[flaky]`` mark is this, or the same over the test's last 30 results
(:func:`~.marks.is_flaky`).

Everything is computed in one SQL query over ``mem_results`` (:func:`flakiness`).

Example:
    with store.connect() as conn:
        for f in flakiness(conn, suite="unit", window=20):
            print(f.test_id, f.runs, f"{f.flip_rate:.2f}", f.same_commit, f.flaky)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FLIP_MIN_FLIPS", "FLIP_MIN_RUNS", "FLIP_RATE_FLAKY", "FLIP_WINDOW", "Flakiness", "describe", "flakiness", "flaky_listing"]

FLIP_WINDOW = 20       # the suite's last runs the flip rate is measured over
FLIP_RATE_FLAKY = 0.3  # a flip rate this high ...
FLIP_MIN_RUNS = 4      # ... over this many runs of the test ...
FLIP_MIN_FLIPS = 2     # ... with this many flips is flaky


@dataclass(frozen=True)
class Flakiness:
    suite: str
    test_id: str
    runs: int          # runs of the window where the test has a result
    flips: int         # consecutive results that differ
    same_commit: bool  # failed and passed in runs of one commit
    last_failed: bool  # the newest result in the window
    failed_again: bool = False  # a failure after a pass after a failure (fail, pass, fail) in the window

    @property
    def flip_rate(self) -> float:
        """flips / (runs - 1); 0.0 with fewer than two results."""
        return self.flips / (self.runs - 1) if self.runs > 1 else 0.0

    @property
    def flaky(self) -> bool:
        return self.same_commit or self.failed_again or (
            self.runs >= FLIP_MIN_RUNS and self.flips >= FLIP_MIN_FLIPS and self.flip_rate >= FLIP_RATE_FLAKY
        )

    @property
    def last_outcome(self) -> str:
        return "failed" if self.last_failed else "passed"

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "test_id": self.test_id, "runs": self.runs, "flips": self.flips,
                "flip_rate": round(self.flip_rate, 4), "same_commit": self.same_commit,
                "last_outcome": self.last_outcome, "flaky": self.flaky}


def describe(f: Flakiness) -> str:
    """``flip rate 0.67 over 4 runs, failed and passed on one commit``: the figures in words."""
    text = f"flip rate {f.flip_rate:.2f} over {f.runs} run{'s' if f.runs != 1 else ''}"
    return text + (", failed and passed on one commit" if f.same_commit else "")


_SQL = """
WITH suite_runs AS (
    SELECT suite, seq, commit_sha, recorded_at, 0 AS cur FROM mem_runs
    WHERE (?::VARCHAR IS NULL OR suite = ?) {runs_filter}
    UNION ALL SELECT ?::VARCHAR, -1, ?::VARCHAR, NULL, 1 WHERE ?   -- the run being marked, not stored yet
), win AS (
    SELECT suite, seq, commit_sha, back FROM (
        SELECT suite, seq, commit_sha,
               row_number() OVER (PARTITION BY suite ORDER BY cur DESC, recorded_at DESC, seq DESC) AS back
        FROM suite_runs) AS ranked
    WHERE back <= ?
), res AS (
    SELECT w.suite, t.test_id, w.back, w.commit_sha, r.failed
    FROM win w JOIN mem_results r ON r.run_seq = w.seq JOIN mem_tests t ON t.test_key = r.test_key
    WHERE ?::VARCHAR[] IS NULL OR t.test_id IN (SELECT unnest(?::VARCHAR[]))
    UNION ALL
    SELECT w.suite, c.test_id, w.back, w.commit_sha, true
    FROM win w, (SELECT unnest(?::VARCHAR[]) AS test_id) AS c WHERE w.seq = -1
), flips AS (
    SELECT suite, test_id, back, failed, failed <> prev AS flipped, failed AND NOT coalesce(prev, false) AS stretch
    FROM (SELECT *, lag(failed) OVER (PARTITION BY suite, test_id ORDER BY back DESC) AS prev FROM res) AS ordered
), commits AS (
    SELECT suite, test_id, bool_or(failed) AND bool_or(NOT failed) AS both_outcomes
    FROM res WHERE coalesce(commit_sha, '') <> '' GROUP BY suite, test_id, commit_sha
)
SELECT f.suite, f.test_id, count(*), count(*) FILTER (WHERE f.flipped), (array_agg(f.failed ORDER BY f.back))[1],
       coalesce(bool_or(c.same), false), count(*) FILTER (WHERE f.stretch) >= 2
FROM flips f LEFT JOIN (SELECT suite, test_id, bool_or(both_outcomes) AS same FROM commits GROUP BY 1, 2) c
     ON c.suite = f.suite AND c.test_id = f.test_id
GROUP BY f.suite, f.test_id
ORDER BY f.suite, f.test_id
"""


def flakiness(conn: Any, *, suite: str | None = None, test_ids: list[str] | None = None, window: int = FLIP_WINDOW,
              until_run: str | None = None, before_run: str | None = None,
              current: tuple[str | None, list[str]] | None = None) -> list[Flakiness]:
    """The flakiness of each test with a result in the last ``window`` runs of its suite
    (of ``suite`` only when given; of ``test_ids`` only when given), by suite and test id.

    ``until_run``: only the runs recorded up to that run, itself included (a past run's
    figures stay what they were). ``before_run``: only the runs recorded before it (see
    :func:`~.marks.earlier_runs`). ``current``: ``(commit, failing test ids)`` of a run
    of ``suite`` not stored yet, counted as the newest run of the window."""
    if window < 1:
        raise ValueError(f"window must be at least 1 run, not {window}")
    if current is not None and suite is None:
        raise ValueError("current needs the suite of the run")
    runs_filter = ""
    params: list[Any] = []
    if before_run is not None:
        from tokopt_pipeline.lib.memory.marks import earlier_runs

        earlier, params = earlier_runs(conn, before_run)
        runs_filter = f"AND run_id IN ({earlier})"
    elif until_run is not None:
        runs_filter = ("AND (recorded_at, seq) <= ((SELECT recorded_at FROM mem_runs WHERE run_id = ?),"
                       " (SELECT seq FROM mem_runs WHERE run_id = ?))")
        params = [until_run, until_run]
    commit, failing = current if current is not None else (None, [])
    rows = conn.execute(
        _SQL.format(runs_filter=runs_filter),
        [suite, suite, *params, suite, commit, current is not None, window, test_ids, test_ids, list(failing)],
    ).fetchall()
    return [Flakiness(suite=str(s), test_id=str(t), runs=int(n), flips=int(k), last_failed=bool(last), same_commit=bool(same),
                      failed_again=bool(again))
            for s, t, n, k, last, same, again in rows]


def flaky_listing(conn: Any, window: int = FLIP_WINDOW) -> str:
    """``tokopt memory analyze --flaky``: every test that changed outcome in the last
    ``window`` runs of its suite, or failed and passed on one commit, with its figures
    and whether they make it flaky in that suite (:attr:`Flakiness.flaky`)."""
    rows = [f for f in flakiness(conn, window=window) if f.flips or f.same_commit]
    rows.sort(key=lambda f: (not f.flaky, -f.flip_rate, f.suite, f.test_id))
    head = (f"tests that changed outcome in the last {window} runs of their suite ({len(rows)}); "
            f"flip rate = flips / (runs - 1); flaky: failed and passed on one commit, or a flip rate of at least "
            f"{FLIP_RATE_FLAKY:.2f} over {FLIP_MIN_RUNS}+ runs with {FLIP_MIN_FLIPS}+ flips, or fail-pass-fail in the window")
    if not rows:
        return head + "\n  none"
    table = [("suite", "runs", "flips", "flip rate", "same commit", "last", "flaky", "test")]
    table += [(f.suite, str(f.runs), str(f.flips), f"{f.flip_rate:.2f}", "yes" if f.same_commit else "no", f.last_outcome,
               "yes" if f.flaky else "no", f.test_id) for f in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    right = {1, 2, 3}
    lines = ["  " + "  ".join([(c.rjust(w) if i in right else c.ljust(w)) for i, (c, w) in enumerate(zip(r, widths, strict=False))]
                              + [r[-1]]) for r in table]
    return "\n".join([head, *lines])
