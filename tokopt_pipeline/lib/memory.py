"""Cross-run memory: a knowledge graph of runs, error types and tests in the store.

What a run leaves behind (store operation ``memory_record_run``):

* a **TestRun** entity named by its run id, with observations on the log (path, lines,
  suite, commit) and its totals;
* one **ErrorType** entity per error fingerprint (the same one the ``error_groups``
  rows carry: a hash of exception type and normalized message). The same fingerprint
  seen in two runs is one entity with two observations; each observation is one
  sighting: when, which run, how often, the line range in the original log. The
  first sighting also keeps one example line. Summaries, never whole traces.
* one **Test** entity per test that ever failed, with an observation per failure and
  a ``flaky`` observation the first time it is found flaky;
* relations ``run has_error error``, ``test failed_in run``, ``error raised_by test``.

Each run's test results (failed, and passed where known) are kept per suite, so:

* an error is **new** when no earlier run has its fingerprint (a first run ever marks
  nothing: with no history, "new" would say nothing);
* a test is **flaky** when, among its last :data:`FLAKY_WINDOW` results in the same
  suite, a failure follows a pass that follows a failure (fail, pass, fail), or when it
  both failed and passed on the same commit. Failed then fixed (fail, pass, pass) is
  not flaky, nor is broken then fixed (pass, fail, pass).

Passes come from the log: pytest ``-v`` progress lines (``path::test PASSED``). A log
without any such line (pytest without ``-v``) that has a totals line counts every
test this suite saw fail before, and absent from this run's failures, as passed.

The graph reads as the MCP memory server's: :func:`read_graph`, :func:`search_nodes`
and :func:`open_nodes` return ``{"entities": [...], "relations": [...]}``, and
:func:`export_jsonl` / :func:`import_jsonl` use its JSONL file format. An import is
validated whole before anything is written; a corrupt or foreign file is refused with
the line number and the store is left as it was.

The command (``--store-memory``), the Dagster summary asset and the Python API all
mark through :class:`Marker`, before the summary is rendered, so what is written, what
the store records and the token count carry the same marks. Marking a run that is
stored already (a summary rendered again) compares it with the runs before it only.

Example:
    store = Store.from_env()
    marker = Marker(store, suite="unit")                # prepare_run + annotate
    summary = summarize("ci.log", options, annotate=marker)
    marker.record(summary_path="logs/ci.summary.md")    # store.write("memory_record_run", ...)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .analysis import Analysis
from .errors import BadInput
from .ids import fingerprint, new_run_id
from .outputs import atomic_write_text
from .runmeta import RunMeta
from .runmeta import scan as scan_run_meta
from .store import Store, operation

__all__ = [
    "FLAKY_WINDOW",
    "Marker",
    "Marks",
    "RunRecord",
    "analysis_markdown",
    "analyze_memory",
    "annotate",
    "derive_suite",
    "export_jsonl",
    "fingerprint",
    "import_jsonl",
    "is_flaky",
    "memory_figures",
    "open_nodes",
    "prepare_run",
    "read_graph",
    "scan_log",
    "search_nodes",
    "validate_jsonl",
]

FLAKY_WINDOW = 30
EXAMPLE_CHARS = 240
RUN_TYPE, ERROR_TYPE, TEST_TYPE = "TestRun", "ErrorType", "Test"

def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def error_entity_name(exc_type: str | None, message: str, fp: str) -> str:
    """``ValueError: database connection refused on port N [3f2a9c1b]`` — stable per fingerprint."""
    from .analysis import normalize_message

    what = f"{exc_type}: {normalize_message(message)}" if exc_type and message else (exc_type or normalize_message(message) or "error")
    return f"{_clip(what, 100)} [{fp[:8]}]"


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
    errors: list[dict]
    failed: list[dict]
    passed: list[str]
    passes_known: bool
    summary_path: str | None = None

    def payload(self) -> dict:
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
    errors = []
    for g in analysis.groups.values():
        fp = fingerprint(g.key)
        example = _example_line(g.example, g.exc_type)
        errors.append({
            "fingerprint": fp, "name": error_entity_name(g.exc_type, g.message, fp), "exc_type": g.exc_type,
            "message": _clip(g.message, 300), "count": g.count, "first_line": g.first_line, "last_line": g.last_line,
            "example": _clip(example, EXAMPLE_CHARS), "tests": list(g.tests),
        })
    failed = []
    for t in analysis.tests.values():
        failed.append({
            "test_id": t.test_id, "kind": t.kind, "fingerprint": fingerprint(t.group_key) if t.group_key else None,
            "what": _clip(f"{t.exc_type}: {t.message}" if t.exc_type and t.message else (t.exc_type or t.message or t.kind), 200),
        })
    failing = {t["test_id"] for t in failed}
    return RunRecord(
        run_id=run_id or new_run_id(suite), suite=suite, commit=commit or scan.commit,
        log_path=str(log_path) if str(log_path) == "-" else os.path.abspath(str(log_path)),
        recorded_at=datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds"),
        lines=analysis.lines, totals=[r.text for r in analysis.runs], errors=errors, failed=failed,
        passed=[p for p in scan.passed if p not in failing], passes_known=bool(scan.passed), summary_path=summary_path,
    )


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


def _earlier_runs(conn, run_id: str) -> tuple[str, list]:
    """SQL (and its parameters) selecting the ids of the runs before ``run_id``: every
    other stored run, or, when ``run_id`` is stored already (a summary rendered again),
    only the runs recorded before it, so its marks stay what they were."""
    pos = conn.execute("SELECT recorded_at, seq FROM mem_runs WHERE run_id = ?", [run_id]).fetchone()
    if pos is None:
        return "SELECT run_id FROM mem_runs WHERE run_id <> ?", [run_id]
    return "SELECT run_id FROM mem_runs WHERE run_id <> ? AND (recorded_at, seq) < (?::TIMESTAMP, ?)", [run_id, pos[0], pos[1]]


def _histories(conn, suite: str, test_ids: list[str], before_run: str | None = None) -> dict[str, list[tuple[str, str | None]]]:
    if not test_ids:
        return {}
    earlier, params = _earlier_runs(conn, before_run) if before_run else ("SELECT run_id FROM mem_runs", [])
    rows = conn.execute(
        f"""
        SELECT r.test_id, r.outcome, m.commit_sha
        FROM mem_test_results r JOIN mem_runs m USING (run_id)
        WHERE m.suite = ? AND r.test_id IN (SELECT unnest(?::VARCHAR[])) AND m.run_id IN ({earlier})
        ORDER BY m.recorded_at, m.seq
        """,
        [suite, test_ids, *params],
    ).fetchall()
    out: dict[str, list] = {}
    for test_id, outcome, commit in rows:
        out.setdefault(test_id, []).append((outcome, commit))
    return out


def _implied_passes(conn, run: dict) -> list[str]:
    """Without pass lines, tests this suite saw fail before and absent from this run's
    failures count as passed when the run has a totals line."""
    if run.get("passes_known") or not run.get("totals"):
        return []
    failing = [f["test_id"] for f in run["failed"]]
    rows = conn.execute(
        """
        SELECT DISTINCT r.test_id FROM mem_test_results r JOIN mem_runs m USING (run_id)
        WHERE m.suite = ? AND r.outcome = 'failed' AND r.test_id NOT IN (SELECT unnest(?::VARCHAR[]))
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


def compute_marks(conn, run: RunRecord) -> tuple[Marks, dict[str, str]]:
    """What is new and what is flaky in ``run``, against the runs stored before it."""
    marks = Marks()
    earlier, params = _earlier_runs(conn, run.run_id)
    marks.history_runs = int(conn.execute(f"SELECT count(*) FROM mem_runs WHERE run_id IN ({earlier})", params).fetchone()[0])
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
        marks.history_runs = int(conn.execute(f"SELECT count(*) FROM mem_entities e WHERE entity_type = ? AND {known_sql}", [ERROR_TYPE, *params]).fetchone()[0])
    new_fps = {e["fingerprint"] for e in run.errors if e["fingerprint"] not in known and e["name"] not in known} if marks.history_runs else set()
    failing = [f["test_id"] for f in run.failed]
    hist = _histories(conn, run.suite, failing, before_run=run.run_id)
    suite_runs = int(conn.execute(f"SELECT count(*) FROM mem_runs WHERE suite = ? AND run_id IN ({earlier})", [run.suite, *params]).fetchone()[0])
    for test_id in failing:
        h = hist.get(test_id, [])
        if suite_runs and not any(o == "failed" for o, _ in h):
            marks.new_tests.append(test_id)
        if is_flaky(h + [("failed", run.commit)]):
            marks.flaky_tests.append(test_id)
    return marks, {fp: "new" for fp in new_fps}


def annotate(store: Store, run: RunRecord, analysis: Analysis, timeout: float | None = None) -> Marks | None:
    """Mark ``analysis`` before rendering: ``ErrorGroup.new``, ``FailedTest.new`` and
    ``FailedTest.flaky``. Returns None (and marks nothing) when the store is busy
    for longer than ``timeout`` seconds."""
    from .store import StoreBusy

    try:
        with store.connect(timeout=timeout) as conn:
            marks, new_fps = compute_marks(conn, run)
    except StoreBusy:
        return None
    marks.new_errors.extend(analysis.mark(new_fps, set(marks.new_tests), set(marks.flaky_tests)))
    return marks



class Marker:
    """The memory as an ``annotate`` hook: pass it to :func:`~.summarize.summarize`
    (or call it on an analysis before :func:`~.render.summarize_analysis`), then
    :meth:`record` the run once the summary is written.

    Called with an analysis, it prepares the run's record (:func:`prepare_run`; the
    log is scanned for passing tests and the commit when it is still there) and marks
    the analysis against the runs stored before (:func:`annotate`), waiting at most
    ``timeout`` seconds (default: the store's lock timeout) for the store. When the
    store stays busy the analysis is left unmarked and :attr:`marks` is None.

    Example:
        marker = Marker(store, suite="unit")
        summary = summarize("ci.log", options, annotate=marker)
        marker.record(summary_path="logs/ci.summary.md")   # "applied" or the pending file
    """

    def __init__(self, store: Store, *, log_path: str | None = None, suite: str | None = None, commit: str | None = None,
                 run_id: str | None = None, timeout: float | None = None):
        self.store = store
        self.log_path = log_path
        self.suite = suite
        self.commit = commit
        self.run_id = run_id
        self.timeout = timeout
        self.analysis: Analysis | None = None
        self.run: RunRecord | None = None
        self.marks: Marks | None = None

    def __call__(self, analysis: Analysis) -> None:
        log = str(self.log_path or analysis.source or "-")
        if analysis.run_meta is not None:  # collected in the engine's pass
            scan = analysis.run_meta
        else:
            scan = scan_log(log) if log != "-" and os.path.isfile(log) else RunMeta()
        self.analysis = analysis
        self.run = prepare_run(analysis, log, suite=self.suite, commit=self.commit, scan=scan, run_id=self.run_id)
        self.marks = annotate(self.store, self.run, analysis, timeout=self.timeout)

    def record(self, summary_path: str | os.PathLike | None = None) -> str:
        """Write the run into the memory (``memory_record_run``); returns ``"applied"``,
        or the pending file when the store was busy."""
        if self.run is None:
            raise ValueError("Marker.record() before the marker saw an analysis")
        if summary_path is not None:
            self.run.summary_path = str(summary_path)
        return self.store.write("memory_record_run", self.run.payload(), timeout=self.timeout)


# -- the write operation ----------------------------------------------------------
def _add_entity(conn, name: str, entity_type: str, fp: str | None = None) -> bool:
    if conn.execute("SELECT 1 FROM mem_entities WHERE name = ?", [name]).fetchone():
        return False
    conn.execute("INSERT INTO mem_entities (name, entity_type, fingerprint) VALUES (?, ?, ?)", [name, entity_type, fp])
    return True


def _observe(conn, entity: str, texts: list[str], run_id: str | None = None) -> None:
    existing = {r[0] for r in conn.execute("SELECT text FROM mem_observations WHERE entity = ?", [entity]).fetchall()}
    seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM mem_observations WHERE entity = ?", [entity]).fetchone()[0])
    for text in texts:
        if text in existing:
            continue
        existing.add(text)
        seq += 1
        conn.execute("INSERT INTO mem_observations (entity, seq, text, run_id) VALUES (?, ?, ?, ?)", [entity, seq, text, run_id])


def _relate(conn, src: str, dst: str, rel: str) -> None:
    conn.execute("INSERT INTO mem_relations VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [src, dst, rel])


@operation("memory_record_run")
def record_run(conn, run: dict) -> None:
    """Add one run to the graph (idempotent: a run id already stored is skipped)."""
    run_id = run["run_id"]
    if conn.execute("SELECT 1 FROM mem_runs WHERE run_id = ?", [run_id]).fetchone():
        return
    when = run["recorded_at"][:16].replace("T", " ") + " UTC"
    had_history = int(conn.execute("SELECT count(*) FROM mem_runs").fetchone()[0]) > 0
    passed = list(run.get("passed") or []) + _implied_passes(conn, run)
    seq = int(conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM mem_runs").fetchone()[0])
    new_errors = 0
    where = f"{run['log_path']}"
    commit = f", commit {run['commit'][:12]}" if run.get("commit") else ""

    _add_entity(conn, run_id, RUN_TYPE)
    obs = [f"log {where}: {run['lines']:,} lines; suite {run['suite']}{commit}; recorded {when}"]
    obs += [f"totals: {t}" for t in run.get("totals") or []]
    obs.append(f"{len(run['failed'])} failing tests, {len(run['errors'])} error types")
    if run.get("summary_path"):
        obs.append(f"summary {run['summary_path']}")
    _observe(conn, run_id, obs, run_id)

    for e in run["errors"]:
        name = conn.execute("SELECT name FROM mem_entities WHERE (fingerprint = ? OR name = ?) AND entity_type = ? ORDER BY name = ? DESC LIMIT 1",
                            [e["fingerprint"], e["name"], ERROR_TYPE, e["name"]]).fetchone()
        name = name[0] if name else e["name"]
        created = _add_entity(conn, name, ERROR_TYPE, e["fingerprint"])
        if created and had_history:
            new_errors += 1
        lines = f"line {e['first_line']}" if e["count"] == 1 else f"lines {e['first_line']}-{e['last_line']}"
        tests = f" in {len(e['tests'])} test{'s' if len(e['tests']) != 1 else ''}" if e["tests"] else ""
        text = f"{when} run {run_id}: x{e['count']}{tests}, {lines} of {where}"
        if created and e.get("example"):
            text += f"; example: {e['example']}"
        _observe(conn, name, [text], run_id)
        conn.execute("INSERT INTO mem_sightings VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     [e["fingerprint"], run_id, name, e["count"], e["first_line"], e["last_line"]])
        _relate(conn, run_id, name, "has_error")
        for t in e["tests"]:
            _relate(conn, name, t, "raised_by")

    for f in run["failed"]:
        _add_entity(conn, f["test_id"], TEST_TYPE)
        _observe(conn, f["test_id"], [f"{when} failed in run {run_id} (suite {run['suite']}{commit}): {f['what']}"], run_id)
        _relate(conn, f["test_id"], run_id, "failed_in")
    failed_ids = [f["test_id"] for f in run["failed"]]
    if failed_ids:
        conn.execute("INSERT INTO mem_test_results SELECT ?, unnest(?::VARCHAR[]), 'failed' ON CONFLICT DO NOTHING", [run_id, failed_ids])
    if passed:
        conn.execute("INSERT INTO mem_test_results SELECT ?, unnest(?::VARCHAR[]), 'passed' ON CONFLICT DO NOTHING", [run_id, passed])
    conn.execute(
        "INSERT INTO mem_runs VALUES (?, ?, ?, ?, ?, ?, ?::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
        [run_id, seq, run["suite"], run.get("commit"), run["log_path"], run.get("summary_path"), run["recorded_at"],
         run["lines"], len(run["failed"]), len(run["errors"]), new_errors, bool(run.get("passes_known")),
         json.dumps(run.get("totals") or [])],
    )

    # Flakiness of every test with a result here that is (now) an entity.
    involved = [r[0] for r in conn.execute(
        "SELECT name FROM mem_entities WHERE entity_type = ? AND name IN (SELECT unnest(?::VARCHAR[]))", [TEST_TYPE, failed_ids + passed]
    ).fetchall()]
    hist = _histories(conn, run["suite"], involved)
    for test_id in involved:
        h = hist.get(test_id, [])
        flaky = is_flaky(h)
        was = conn.execute("SELECT flaky FROM mem_entities WHERE name = ?", [test_id]).fetchone()[0]
        if flaky and not was:
            seqs = ", ".join("fail" if o == "failed" else "pass" for o, _ in h[-FLAKY_WINDOW:])
            _observe(conn, test_id, [f"flaky in suite {run['suite']} (since {when}): results {seqs}"], run_id)
        if bool(was) != flaky:
            conn.execute("UPDATE mem_entities SET flaky = ? WHERE name = ?", [flaky, test_id])


# -- reading the graph --------------------------------------------------------------
def _graph(conn, names: list[str] | None) -> dict:
    if names is None:
        ents = conn.execute("SELECT name, entity_type FROM mem_entities ORDER BY created_at, name").fetchall()
    else:
        ents = conn.execute(
            "SELECT name, entity_type FROM mem_entities WHERE name IN (SELECT unnest(?::VARCHAR[])) ORDER BY created_at, name", [names]
        ).fetchall()
    obs: dict[str, list[str]] = {}
    q = "SELECT entity, text FROM mem_observations"
    params: list = []
    if names is not None:
        q += " WHERE entity IN (SELECT unnest(?::VARCHAR[]))"
        params = [[n for n, _ in ents]]
    for entity, text in conn.execute(q + " ORDER BY entity, seq", params).fetchall():
        obs.setdefault(entity, []).append(text)
    rel_q = "SELECT from_entity, to_entity, relation_type FROM mem_relations"
    rel_params: list = []
    if names is not None:
        sel = [n for n, _ in ents]
        rel_q += " WHERE from_entity IN (SELECT unnest(?::VARCHAR[])) OR to_entity IN (SELECT unnest(?::VARCHAR[]))"
        rel_params = [sel, sel]
    rels = conn.execute(rel_q + " ORDER BY from_entity, to_entity, relation_type", rel_params).fetchall()
    return {
        "entities": [{"name": n, "entityType": t, "observations": obs.get(n, [])} for n, t in ents],
        "relations": [{"from": a, "to": b, "relationType": r} for a, b, r in rels],
    }


def read_graph(conn) -> dict:
    """The whole graph, shaped as the memory server's ``read_graph``."""
    return _graph(conn, None)


def search_nodes(conn, query: str) -> dict:
    """Entities whose name, type or any observation contains ``query`` (case-insensitive),
    and every relation touching one of them — the memory server's ``search_nodes``."""
    q = query.lower()
    rows = conn.execute(
        """
        SELECT name FROM mem_entities e
        WHERE contains(lower(name), ?) OR contains(lower(entity_type), ?)
           OR EXISTS (SELECT 1 FROM mem_observations o WHERE o.entity = e.name AND contains(lower(o.text), ?))
        """,
        [q, q, q],
    ).fetchall()
    return _graph(conn, [r[0] for r in rows])


def open_nodes(conn, names: list[str]) -> dict:
    """The named entities and every relation touching one — the memory server's ``open_nodes``."""
    return _graph(conn, list(names))


def analyze_memory(conn, top: int = 10) -> dict:
    """What is stored: counts by type, top recurring errors, flaky tests, runs per suite."""
    by_type = dict(conn.execute("SELECT entity_type, count(*) FROM mem_entities GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
    relations = int(conn.execute("SELECT count(*) FROM mem_relations").fetchone()[0])
    observations = int(conn.execute("SELECT count(*) FROM mem_observations").fetchone()[0])
    recurring = conn.execute(
        """
        SELECT entity, count(*) AS runs, sum(count) AS occurrences, min(m.recorded_at), max(m.recorded_at)
        FROM mem_sightings s LEFT JOIN mem_runs m USING (run_id)
        GROUP BY entity ORDER BY runs DESC, occurrences DESC, entity LIMIT ?
        """,
        [top],
    ).fetchall()
    flaky = [r[0] for r in conn.execute("SELECT name FROM mem_entities WHERE flaky ORDER BY name").fetchall()]
    suites = conn.execute("SELECT suite, count(*), max(recorded_at) FROM mem_runs GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    return {
        "entities": by_type,
        "relations": relations,
        "observations": observations,
        "top_errors": [
            {"name": n, "runs": int(r), "occurrences": int(o or 0), "first_seen": str(f)[:16] if f else None, "last_seen": str(l)[:16] if l else None}
            for n, r, o, f, l in recurring
        ],
        "flaky_tests": flaky,
        "suites": [{"suite": s, "runs": int(n), "last_run": str(t)[:16]} for s, n, t in suites],
    }


def memory_figures(conn, info: dict | None = None) -> dict[str, int]:
    """The memory in numbers, under the stable names the Dagster UI plots:
    ``entities_total``, ``error_types``, ``tests``, ``runs``, ``relations``,
    ``observations``, ``flaky_tests``, ``recurring_errors`` (error types seen in more
    than one run), ``new_errors_last_run`` and the top recurring error's
    ``top_error_runs`` and ``top_error_occurrences``. ``info``: :func:`analyze_memory`'s
    result, when already at hand."""
    info = info if info is not None else analyze_memory(conn)
    by_type = info["entities"]
    last = conn.execute("SELECT new_errors FROM mem_runs ORDER BY recorded_at DESC, seq DESC LIMIT 1").fetchone()
    recurring = conn.execute("SELECT count(*) FROM (SELECT entity FROM mem_sightings GROUP BY entity HAVING count(*) > 1)").fetchone()[0]
    top = info["top_errors"][0] if info["top_errors"] else None
    return {
        "entities_total": int(sum(by_type.values())),
        "error_types": int(by_type.get(ERROR_TYPE, 0)),
        "tests": int(by_type.get(TEST_TYPE, 0)),
        "runs": int(sum(s["runs"] for s in info["suites"])),
        "relations": int(info["relations"]),
        "observations": int(info["observations"]),
        "flaky_tests": len(info["flaky_tests"]),
        "recurring_errors": int(recurring),
        "new_errors_last_run": int(last[0] or 0) if last else 0,
        "top_error_runs": int(top["runs"]) if top else 0,
        "top_error_occurrences": int(top["occurrences"]) if top else 0,
    }


def _md_cell(text: str, limit: int = 120) -> str:
    return _clip(str(text), limit).replace("|", "\\|")


def analysis_markdown(info: dict) -> str:
    """:func:`analyze_memory`'s result as Markdown: the top recurring errors (runs,
    occurrences, first and last seen) and the flaky tests."""
    out = ["**Top recurring errors**", ""]
    if info["top_errors"]:
        out += ["| error | runs | occurrences | first seen | last seen |", "|---|---:|---:|---|---|"]
        out += [f"| `{_md_cell(e['name'])}` | {e['runs']} | {e['occurrences']} | {e['first_seen'] or ''} | {e['last_seen'] or ''} |"
                for e in info["top_errors"]]
    else:
        out.append("none yet")
    out += ["", f"**Flaky tests** ({len(info['flaky_tests'])})", ""]
    out += [f"- `{_md_cell(t, 200)}`" for t in info["flaky_tests"]] or ["none"]
    return "\n".join(out)


def format_analysis(info: dict) -> str:
    lines = ["memory:"]
    types = ", ".join(f"{n} {t}" for t, n in info["entities"].items()) or "empty"
    lines.append(f"  entities: {types}; {info['relations']} relations, {info['observations']} observations")
    if info["suites"]:
        lines.append("  suites: " + ", ".join(f"{s['suite']} ({s['runs']} runs)" for s in info["suites"]))
    if info["top_errors"]:
        lines.append("  top recurring errors (runs, occurrences, first → last seen):")
        for e in info["top_errors"]:
            lines.append(f"    {e['runs']:>4} {e['occurrences']:>6}  {e['name']}  ({e['first_seen']} → {e['last_seen']})")
    lines.append("  flaky tests: " + (", ".join(info["flaky_tests"]) if info["flaky_tests"] else "none"))
    return "\n".join(lines)


def format_graph(graph: dict, limit_obs: int = 5) -> str:
    out = [f"{len(graph['entities'])} entities, {len(graph['relations'])} relations"]
    for e in graph["entities"]:
        out.append(f"- {e['name']} ({e['entityType']})")
        for o in e["observations"][-limit_obs:]:
            out.append(f"    · {o}")
        if len(e["observations"]) > limit_obs:
            out.append(f"    · … {len(e['observations']) - limit_obs} earlier observations")
    return "\n".join(out)


# -- JSONL export / import ----------------------------------------------------------
def export_jsonl(conn, path: str | os.PathLike) -> tuple[int, int]:
    """Write the graph in the memory server's JSONL format; returns (entities, relations)."""
    g = read_graph(conn)
    lines = [json.dumps({"type": "entity", "name": e["name"], "entityType": e["entityType"], "observations": e["observations"]}, ensure_ascii=False) for e in g["entities"]]
    lines += [json.dumps({"type": "relation", "from": r["from"], "to": r["to"], "relationType": r["relationType"]}, ensure_ascii=False) for r in g["relations"]]
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))
    return len(g["entities"]), len(g["relations"])


_ENTITY_KEYS = {"type", "name", "entityType", "observations"}
_RELATION_KEYS = {"type", "from", "to", "relationType"}


def validate_jsonl(path: str | os.PathLike) -> list[dict]:
    """Read and check a memory-server JSONL file; every line must be an entity or a
    relation record. Raises BadInput naming the file and line of the first problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        from .errors import InputNotFound

        raise InputNotFound(f"{p}: no such file") from None
    except OSError as exc:
        from .errors import InputNotFound

        raise InputNotFound(f"{p}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInput(f"{p}:{line}: not UTF-8 text; nothing was imported") from None
    records: list[dict] = []

    def bad(n: int, why: str) -> BadInput:
        return BadInput(f"{p}:{n}: {why}; nothing was imported (expected the memory server's JSONL: one entity or relation record a line)")

    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise bad(n, f"not valid JSON ({exc.msg})") from None
        if not isinstance(rec, dict):
            raise bad(n, f"a JSON {type(rec).__name__}, not a record")
        kind = rec.get("type")
        if kind == "entity":
            if not isinstance(rec.get("name"), str) or not rec["name"].strip():
                raise bad(n, "entity without a name")
            if not isinstance(rec.get("entityType"), str) or not rec["entityType"].strip():
                raise bad(n, "entity without an entityType")
            obs = rec.get("observations")
            if not isinstance(obs, list) or not all(isinstance(o, str) for o in obs):
                raise bad(n, "entity observations must be a list of strings")
            extra = set(rec) - _ENTITY_KEYS
        elif kind == "relation":
            for k in ("from", "to", "relationType"):
                if not isinstance(rec.get(k), str) or not rec[k].strip():
                    raise bad(n, f"relation without {k!r}")
            extra = set(rec) - _RELATION_KEYS
        else:
            raise bad(n, f"record type {kind!r} is neither 'entity' nor 'relation'")
        if extra:
            raise bad(n, f"unexpected field{'s' if len(extra) > 1 else ''} {', '.join(sorted(extra))}")
        records.append(rec)
    return records


_FP_IN_NAME = re.compile(r"\[([0-9a-f]{8})\]$")


@operation("memory_import")
def _import_records(conn, payload: dict) -> None:
    for rec in payload["records"]:
        if rec["type"] == "entity":
            fp = None
            if rec["entityType"] == ERROR_TYPE:
                m = _FP_IN_NAME.search(rec["name"])
                existing = conn.execute("SELECT fingerprint FROM mem_entities WHERE name = ?", [rec["name"]]).fetchone()
                fp = existing[0] if existing else (m.group(1) if m else None)
            _add_entity(conn, rec["name"], rec["entityType"], fp)
            _observe(conn, rec["name"], rec["observations"])
        else:
            _relate(conn, rec["from"], rec["to"], rec["relationType"])


def import_jsonl(store: Store, path: str | os.PathLike, timeout: float | None = None) -> tuple[int, int, str]:
    """Validate ``path`` whole, then merge it into the graph in one transaction (entities
    by name, observations and relations without duplicates). Returns (entities,
    relations, "applied" or the pending file when the store was busy)."""
    records = validate_jsonl(path)
    status = store.write("memory_import", {"records": records}, timeout=timeout)
    ents = sum(1 for r in records if r["type"] == "entity")
    return ents, len(records) - ents, status


def run_summary_rows(conn, limit: int = 50, suite: str | None = None) -> list[dict]:
    """The most recent runs in the memory, newest first."""
    q = "SELECT run_id, suite, commit_sha, log_path, summary_path, recorded_at, lines, failing_tests, error_types, new_errors FROM mem_runs"
    params: list = []
    if suite:
        q += " WHERE suite = ?"
        params.append(suite)
    rows = conn.execute(q + " ORDER BY recorded_at DESC, seq DESC LIMIT ?", params + [limit]).fetchall()
    keys = ["run_id", "suite", "commit", "log_path", "summary_path", "recorded_at", "lines", "failing_tests", "error_types", "new_errors"]
    return [{k: (str(v) if k == "recorded_at" else v) for k, v in zip(keys, r)} for r in rows]


def marks_for_run(conn, run_id: str) -> tuple[set[str], set[str]]:
    """(fingerprints first seen in ``run_id`` after earlier runs, flaky test ids): the
    marks a stored run's summary gets when it is rendered again."""
    rows = conn.execute(
        """
        WITH first AS (
            SELECT s.fingerprint, arg_min(s.run_id, m.recorded_at) AS first_run
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


def find_run(conn, ref: str) -> dict | None:
    """A stored run by id, or the latest run of a stored log path."""
    rows = run_summary_rows(conn, limit=100000)
    for r in rows:
        if r["run_id"] == ref:
            return r
    for r in rows:
        if r["log_path"] == ref or os.path.abspath(r["log_path"]) == os.path.abspath(ref):
            return r
    return None
