"""The failed-only view of a stored run: its failing tests and distinct errors.

What the memory keeps of a run (``memory_record_run``) read back without the rest of
the log: the run (suite, commit, log, totals lines), each error type it had (how often,
the lines of its log, whether it was new, one example line), each test that failed
(what it failed with, whether it is flaky: its flip rate and same-commit outcomes). :func:`run_failures` reads it;
:func:`failure_lines` writes it as Markdown lines, one entry a line, so a caller that
must fit a limit can keep the head and as many entries as fit.

Example:
    with store.connect() as conn:
        found = run_failures(conn, "latest")
    head, entries = failure_lines(found)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tokopt_pipeline.lib.memory.flakiness import Flakiness, describe, flakiness
from tokopt_pipeline.lib.memory.graph import MemoryRun, find_run
from tokopt_pipeline.lib.memory.marks import marks_for_run

__all__ = ["FailedTest", "RunError", "RunFailures", "failure_lines", "run_failures"]


@dataclass(frozen=True)
class FailedTest:
    test_id: str
    what: str  # exception type and message, as the memory recorded them
    flaky: bool
    flakiness: Flakiness | None = None  # flip rate and same-commit outcomes in the run's suite, up to the run


@dataclass(frozen=True)
class RunError:
    name: str  # the ErrorType entity
    count: int
    first_line: int
    last_line: int
    new: bool
    example: str


@dataclass
class RunFailures:
    run: MemoryRun
    totals: list[str] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    tests: list[FailedTest] = field(default_factory=list)


def _latest(conn: Any) -> str | None:
    row = conn.execute("SELECT run_id FROM mem_runs ORDER BY recorded_at DESC, seq DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])


def run_failures(conn: Any, ref: str) -> RunFailures | None:
    """The failures of run ``ref``: a run id, ``latest``, or a log's path (its latest
    run); None when the memory has no such run."""
    if ref == "latest":
        latest = _latest(conn)
        if latest is None:
            return None
        ref = latest
    run = find_run(conn, ref)
    if run is None:
        return None
    run_id = run["run_id"]
    totals_row = conn.execute("SELECT totals FROM mem_runs WHERE run_id = ?", [run_id]).fetchone()
    totals = [str(t) for t in json.loads(totals_row[0] or "[]")] if totals_row else []
    new, _ = marks_for_run(conn, run_id)
    errors = [
        RunError(name=str(name), count=int(count or 0), first_line=int(first or 0), last_line=int(last or 0),
                 new=fp in new, example=str(example or "").split("; example: ", 1)[-1] if example else "")
        for name, fp, count, first, last, example in conn.execute(
            """
            SELECT s.entity, s.fingerprint, s.count, s.first_line, s.last_line,
                   (SELECT o.text FROM mem_observations o
                    WHERE o.entity = s.entity AND strpos(o.text, '; example: ') > 0 ORDER BY o.seq LIMIT 1)
            FROM mem_sightings s WHERE s.run_id = ? ORDER BY s.first_line, s.entity
            """,
            [run_id],
        ).fetchall()
    ]
    failing = conn.execute(
        """
        SELECT t.test_id, coalesce(e.flaky, false),
               (SELECT o.text FROM mem_observations o WHERE o.entity = t.test_id AND o.run_id = m.run_id
                AND strpos(o.text, ' failed in run ') > 0 ORDER BY o.seq LIMIT 1)
        FROM mem_results r JOIN mem_runs m ON m.seq = r.run_seq JOIN mem_tests t ON t.test_key = r.test_key
        LEFT JOIN mem_entities e ON e.name = t.test_id
        WHERE m.run_id = ? AND r.failed ORDER BY t.test_id
        """,
        [run_id],
    ).fetchall()
    rated = {f.test_id: f for f in flakiness(conn, suite=run["suite"], test_ids=[str(r[0]) for r in failing], until_run=run_id)
             } if failing else {}
    tests = [
        FailedTest(test_id=str(test_id), what=str(text).split("): ", 1)[-1] if text else "",
                   flaky=bool(flaky) or (str(test_id) in rated and rated[str(test_id)].flaky), flakiness=rated.get(str(test_id)))
        for test_id, flaky, text in failing
    ]
    return RunFailures(run=run, totals=totals, errors=errors, tests=tests)


def _code(text: str) -> str:
    text = " ".join(text.split())
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _lines(first: int, last: int) -> str:
    return f"line {first:,}" if first == last else f"lines {first:,}–{last:,}"


def failure_lines(found: RunFailures) -> tuple[list[str], list[str]]:
    """``(head, entries)``: the run and its totals, then one line per error (first,
    the new ones marked **new**) and per failing test (``[flaky]`` marked; its flip rate
    over the suite's last runs up to this one, and whether it failed and passed on one
    commit, once it has two results or more)."""
    run = found.run
    where = f" · log {_code(str(run['log_path']))} ({int(run['lines'] or 0):,} lines)" if run.get("log_path") else ""
    commit = f" · commit `{str(run['commit'])[:12]}`" if run.get("commit") else ""
    head = [
        f"# Failures of run `{run['run_id']}`",
        "",
        f"- suite `{run['suite']}`{commit} · recorded {str(run['recorded_at'])[:16]}{where}",
        f"- {len(found.tests):,} failing test{'s' if len(found.tests) != 1 else ''}, "
        f"{len(found.errors):,} distinct error{'s' if len(found.errors) != 1 else ''}",
    ]
    head += [f"- totals: {_code(t)}" for t in found.totals]
    entries: list[str] = []
    for e in found.errors:
        example = f"; example: {_code(e.example)}" if e.example else ""
        entries.append(f"- error {'**new** ' if e.new else ''}{_code(e.name)} ×{e.count:,}, {_lines(e.first_line, e.last_line)}{example}")
    for t in found.tests:
        what = f" — {t.what}" if t.what else ""
        rate = f" ({describe(t.flakiness)})" if t.flakiness is not None and t.flakiness.runs > 1 else ""
        entries.append(f"- failed {_code(t.test_id)}{' [flaky]' if t.flaky else ''}{rate}{what}")
    if not entries:
        head.append("- nothing failed in this run")
    return head, entries
