"""A run as the memory records it: its suite, commit, errors and tests (:func:`prepare_run`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.engine.runmeta import RunMeta
from tokopt_pipeline.lib.engine.runmeta import scan as scan_run_meta
from tokopt_pipeline.lib.store.db import Payload
from tokopt_pipeline.lib.store.ids import fingerprint, new_run_id

FLAKY_WINDOW = 30
EXAMPLE_CHARS = 240
RUN_TYPE, ERROR_TYPE, TEST_TYPE = "TestRun", "ErrorType", "Test"

def clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def error_entity_name(exc_type: str | None, message: str, fp: str) -> str:
    """``ValueError: database connection refused on port N [3f2a9c1b]`` — stable per fingerprint."""
    from tokopt_pipeline.lib.engine.model import normalize_message

    what = f"{exc_type}: {normalize_message(message)}" if exc_type and message else (exc_type or normalize_message(message) or "error")
    return f"{clip(what, 100)} [{fp[:8]}]"


def derive_suite(log_path: str, profile: str = "") -> str:
    """The suite of a run when ``--suite`` is not given: the log's file name without
    numbers, ids and extensions (``ci-1234.log`` -> ``ci``), else the profile."""
    name = os.path.basename(str(log_path))
    for _ in range(3):
        name = re.sub(r"\.(gz|bz2|xz|log|txt|out|jsonl?)$", "", name, flags=re.IGNORECASE)
    name = re.sub(r"\b[0-9a-f]{7,40}\b", "", name)
    name = re.sub(r"\d+", "", name)
    name = re.sub(r"[-_.\s]+", "-", name).strip("-")
    if not name or name == "-":
        return profile or "default"
    return name


def scan_log(path: str) -> RunMeta:
    """One cheap pass for what the engine keeps only when asked
    (``SummaryOptions.collect_run_meta``): passing tests (pytest ``-v``) and the commit
    from CI metadata."""
    return scan_run_meta(path)


class RunError(TypedDict):
    """One error type of a run, as the memory records it (an ``ErrorType`` sighting)."""

    fingerprint: str
    name: str
    exc_type: str | None
    message: str
    count: int
    first_line: int
    last_line: int
    example: str
    tests: list[str]


class RunFailure(TypedDict):
    """One failing test of a run."""

    test_id: str
    kind: str
    fingerprint: str | None
    what: str


@dataclass
class RunRecord:
    """What one run contributes to the memory; :meth:`payload` is the store operation's."""

    run_id: str
    suite: str
    commit: str | None
    log_path: str
    recorded_at: str
    lines: int
    totals: list[str]
    errors: list[RunError]
    failed: list[RunFailure]
    passed: list[str]
    passes_known: bool
    summary_path: str | None = None
    #: The run passed (its command exited 0, else its log shows no failure); then
    #: ``baseline`` holds its fingerprints (:meth:`.baseline.Baseline.payload`).
    green: bool = False
    baseline: dict[str, Any] | None = None

    def payload(self) -> Payload:
        return dict(self.__dict__)


def _example_line(lines: list[str], exc_type: str | None) -> str:
    """The most telling line of an error's example: the one naming the exception."""
    cands = [l for l in lines if l.strip() and not l.startswith("…")]
    for l in reversed(cands):
        if exc_type and f"{exc_type}:" in l:
            return l.strip()
    for l in reversed(cands):
        if l.startswith("E "):
            return l.strip()
    return cands[-1].strip() if cands else ""


def prepare_run(analysis: Analysis, log_path: str, suite: str | None = None, commit: str | None = None,
                scan: RunMeta | None = None, run_id: str | None = None, summary_path: str | None = None) -> RunRecord:
    """The memory record of an analysed log. ``scan`` (from :func:`scan_log`) adds the
    passing tests and the commit; ``commit`` given explicitly wins over the log's."""
    suite = suite or derive_suite(log_path, analysis.profile)
    scan = scan or RunMeta()
    errors: list[RunError] = []
    for g in analysis.groups.values():
        fp = fingerprint(g.key)
        example = _example_line(g.example, g.exc_type)
        errors.append({
            "fingerprint": fp, "name": error_entity_name(g.exc_type, g.message, fp), "exc_type": g.exc_type,
            "message": clip(g.message, 300), "count": g.count, "first_line": g.first_line, "last_line": g.last_line,
            "example": clip(example, EXAMPLE_CHARS), "tests": list(g.tests),
        })
    failed: list[RunFailure] = []
    for t in analysis.tests.values():
        failed.append({
            "test_id": t.test_id, "kind": t.kind, "fingerprint": fingerprint(t.group_key) if t.group_key else None,
            "what": clip(f"{t.exc_type}: {t.message}" if t.exc_type and t.message else (t.exc_type or t.message or t.kind), 200),
        })
    failing = {t["test_id"] for t in failed}
    return RunRecord(
        run_id=run_id or new_run_id(suite), suite=suite, commit=commit or scan.commit,
        log_path=str(log_path) if str(log_path) == "-" else os.path.abspath(str(log_path)),
        recorded_at=datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
        lines=analysis.lines, totals=[r.text for r in analysis.runs], errors=errors, failed=failed,
        passed=[p for p in scan.passed if p not in failing], passes_known=bool(scan.passed), summary_path=summary_path,
    )
