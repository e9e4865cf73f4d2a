"""The memory as a graph of entities, observations and relations: the write operation
(:func:`record_run`), reading and searching it, and its reports."""

from __future__ import annotations

import json
import os
from typing import Any, TypedDict

from tokopt_pipeline.lib.memory.baselines import record_baseline
from tokopt_pipeline.lib.memory.flakiness import describe, flakiness
from tokopt_pipeline.lib.memory.marks import histories, implied_passes, is_flaky
from tokopt_pipeline.lib.memory.runs import (
    ERROR_TYPE,
    FLAKY_WINDOW,
    RUN_TYPE,
    TEST_TYPE,
    clip,
)
from tokopt_pipeline.lib.store.db import Connection, Payload, one_value, operation


class Entity(TypedDict):
    """An entity as the MCP memory server shows it."""

    name: str
    entityType: str
    observations: list[str]


#: A relation as the MCP memory server shows it (``from`` is a keyword: functional form).
Relation = TypedDict("Relation", {"from": str, "to": str, "relationType": str})


class Graph(TypedDict):
    """What :func:`read_graph`, :func:`search_nodes` and :func:`open_nodes` return."""

    entities: list[Entity]
    relations: list[Relation]


class TopError(TypedDict):
    """A recurring error type: in how many runs, how often, first and last seen (UTC, to the minute)."""

    name: str
    runs: int
    occurrences: int
    first_seen: str | None
    last_seen: str | None


class SuiteRuns(TypedDict):
    suite: str
    runs: int
    last_run: str


class MemoryAnalysis(TypedDict):
    """:func:`analyze_memory`: entities by type, counts, top errors, flaky tests, runs per suite."""

    entities: dict[str, int]
    relations: int
    observations: int
    top_errors: list[TopError]
    flaky_tests: list[str]
    flakiness: list[dict[str, Any]]  # :meth:`.flakiness.Flakiness.as_dict` and "about", per suite a flaky test flipped in
    suites: list[SuiteRuns]


class MemoryRun(TypedDict):
    """A run in the memory (:func:`run_summary_rows`); ``recorded_at`` as text."""

    run_id: str
    suite: str
    commit: str | None
    log_path: str
    summary_path: str | None
    recorded_at: str
    lines: int
    failing_tests: int
    error_types: int
    new_errors: int


# -- the write operation ----------------------------------------------------------
def add_entity(conn: Connection, name: str, entity_type: str, fp: str | None = None) -> bool:
    if conn.execute("SELECT 1 FROM mem_entities WHERE name = ?", [name]).fetchone():
        return False
    conn.execute("INSERT INTO mem_entities (name, entity_type, fingerprint) VALUES (?, ?, ?)", [name, entity_type, fp])
    return True


def observe(conn: Connection, entity: str, texts: list[str], run_id: str | None = None) -> None:
    existing = {r[0] for r in conn.execute("SELECT text FROM mem_observations WHERE entity = ?", [entity]).fetchall()}
    seq = int(one_value(conn, "SELECT coalesce(max(seq), 0) FROM mem_observations WHERE entity = ?", [entity]))
    for text in texts:
        if text in existing:
            continue
        existing.add(text)
        seq += 1
        conn.execute("INSERT INTO mem_observations (entity, seq, text, run_id) VALUES (?, ?, ?, ?)", [entity, seq, text, run_id])


def relate(conn: Connection, src: str, dst: str, rel: str) -> None:
    conn.execute("INSERT INTO mem_relations VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [src, dst, rel])


def record_results(conn: Connection, seq: int, failed: list[str], passed: list[str]) -> None:
    """The run's test results: one row of integers per test (``mem_results``), test ids
    kept once each in ``mem_tests``. A test both failed and passed counts as failed."""
    outcome = dict.fromkeys(passed, False)
    outcome.update(dict.fromkeys(failed, True))
    if not outcome:
        return
    ids, flags = list(outcome), list(outcome.values())
    conn.execute(
        "INSERT INTO mem_tests SELECT (SELECT coalesce(max(test_key), 0) FROM mem_tests) + row_number() OVER (), t "
        "FROM (SELECT unnest(?::VARCHAR[]) AS t) AS ids WHERE t NOT IN (SELECT test_id FROM mem_tests)",
        [ids],
    )
    conn.execute(
        "INSERT INTO mem_results SELECT ?, k.test_key, x.failed "
        "FROM (SELECT unnest(?::VARCHAR[]) AS id, unnest(?::BOOLEAN[]) AS failed) x JOIN mem_tests k ON k.test_id = x.id "
        "ORDER BY k.test_key",
        [seq, ids, flags],
    )


@operation("memory_record_run")
def record_run(conn: Connection, run: Payload) -> None:
    """Add one run to the graph (idempotent: a run id already stored is skipped)."""
    run_id = run["run_id"]
    if conn.execute("SELECT 1 FROM mem_runs WHERE run_id = ?", [run_id]).fetchone():
        return
    when = run["recorded_at"][:16].replace("T", " ") + " UTC"
    had_history = int(one_value(conn, "SELECT count(*) FROM mem_runs")) > 0
    passed = list(run.get("passed") or []) + implied_passes(conn, run)
    seq = int(one_value(conn, "SELECT coalesce(max(seq), 0) + 1 FROM mem_runs"))
    new_errors = 0
    where = f"{run['log_path']}"
    commit = f", commit {run['commit'][:12]}" if run.get("commit") else ""

    add_entity(conn, run_id, RUN_TYPE)
    obs = [f"log {where}: {run['lines']:,} lines; suite {run['suite']}{commit}; recorded {when}"]
    obs += [f"totals: {t}" for t in run.get("totals") or []]
    obs.append(f"{len(run['failed'])} failing tests, {len(run['errors'])} error types")
    if run.get("summary_path"):
        obs.append(f"summary {run['summary_path']}")
    observe(conn, run_id, obs, run_id)

    for e in run["errors"]:
        found = conn.execute("SELECT name FROM mem_entities WHERE (fingerprint = ? OR name = ?) AND entity_type = ? ORDER BY name = ? DESC LIMIT 1",
                             [e["fingerprint"], e["name"], ERROR_TYPE, e["name"]]).fetchone()
        name = found[0] if found else e["name"]
        created = add_entity(conn, name, ERROR_TYPE, e["fingerprint"])
        if created and had_history:
            new_errors += 1
        lines = f"line {e['first_line']}" if e["count"] == 1 else f"lines {e['first_line']}-{e['last_line']}"
        tests = f" in {len(e['tests'])} test{'s' if len(e['tests']) != 1 else ''}" if e["tests"] else ""
        text = f"{when} run {run_id}: x{e['count']}{tests}, {lines} of {where}"
        if created and e.get("example"):
            text += f"; example: {e['example']}"
        observe(conn, name, [text], run_id)
        conn.execute("INSERT INTO mem_sightings VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     [e["fingerprint"], run_id, name, e["count"], e["first_line"], e["last_line"]])
        relate(conn, run_id, name, "has_error")
        for t in e["tests"]:
            relate(conn, name, t, "raised_by")

    for f in run["failed"]:
        add_entity(conn, f["test_id"], TEST_TYPE)
        observe(conn, f["test_id"], [f"{when} failed in run {run_id} (suite {run['suite']}{commit}): {f['what']}"], run_id)
        relate(conn, f["test_id"], run_id, "failed_in")
    failed_ids = [f["test_id"] for f in run["failed"]]
    record_results(conn, seq, failed_ids, passed)
    conn.execute(
        "INSERT INTO mem_runs VALUES (?, ?, ?, ?, ?, ?, ?::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
        [run_id, seq, run["suite"], run.get("commit"), run["log_path"], run.get("summary_path"), run["recorded_at"],
         run["lines"], len(run["failed"]), len(run["errors"]), new_errors, bool(run.get("passes_known")),
         json.dumps(run.get("totals") or [])],
    )
    record_baseline(conn, run)

    # Flakiness of every test with a result here that is (now) an entity.
    involved = [r[0] for r in conn.execute(
        "SELECT name FROM mem_entities WHERE entity_type = ? AND name IN (SELECT unnest(?::VARCHAR[]))", [TEST_TYPE, failed_ids + passed]
    ).fetchall()]
    hist = histories(conn, run["suite"], involved)
    rated = {f.test_id: f.flaky for f in flakiness(conn, suite=run["suite"], test_ids=involved)} if involved else {}
    for test_id in involved:
        h = hist.get(test_id, [])
        flaky = is_flaky(h) or rated.get(test_id, False)
        was = one_value(conn, "SELECT flaky FROM mem_entities WHERE name = ?", [test_id])  # an entity: selected above
        if flaky and not was:
            seqs = ", ".join("fail" if o == "failed" else "pass" for o, _ in h[-FLAKY_WINDOW:])
            observe(conn, test_id, [f"flaky in suite {run['suite']} (since {when}): results {seqs}"], run_id)
        if bool(was) != flaky:
            conn.execute("UPDATE mem_entities SET flaky = ? WHERE name = ?", [flaky, test_id])


# -- reading the graph --------------------------------------------------------------
def _graph(conn: Connection, names: list[str] | None) -> Graph:
    if names is None:
        ents = conn.execute("SELECT name, entity_type FROM mem_entities ORDER BY created_at, name").fetchall()
    else:
        ents = conn.execute(
            "SELECT name, entity_type FROM mem_entities WHERE name IN (SELECT unnest(?::VARCHAR[])) ORDER BY created_at, name", [names]
        ).fetchall()
    obs: dict[str, list[str]] = {}
    q = "SELECT entity, text FROM mem_observations"
    params: list[Any] = []
    if names is not None:
        q += " WHERE entity IN (SELECT unnest(?::VARCHAR[]))"
        params = [[n for n, _ in ents]]
    for entity, text in conn.execute(q + " ORDER BY entity, seq", params).fetchall():
        obs.setdefault(entity, []).append(text)
    rel_q = "SELECT from_entity, to_entity, relation_type FROM mem_relations"
    rel_params: list[Any] = []
    if names is not None:
        sel = [n for n, _ in ents]
        rel_q += " WHERE from_entity IN (SELECT unnest(?::VARCHAR[])) OR to_entity IN (SELECT unnest(?::VARCHAR[]))"
        rel_params = [sel, sel]
    rels = conn.execute(rel_q + " ORDER BY from_entity, to_entity, relation_type", rel_params).fetchall()
    return {
        "entities": [{"name": n, "entityType": t, "observations": obs.get(n, [])} for n, t in ents],
        "relations": [{"from": a, "to": b, "relationType": r} for a, b, r in rels],
    }


def read_graph(conn: Connection) -> Graph:
    """The whole graph, shaped as the memory server's ``read_graph``."""
    return _graph(conn, None)


def search_nodes(conn: Connection, query: str) -> Graph:
    """Entities whose name, type or any observation contains ``query`` (case-insensitive),
    and every relation touching one of them — the memory server's ``search_nodes``."""
    q = query.lower()
    rows = conn.execute(
        """
        SELECT name FROM mem_entities e
        WHERE strpos(lower(name), ?) > 0 OR strpos(lower(entity_type), ?) > 0
           OR EXISTS (SELECT 1 FROM mem_observations o WHERE o.entity = e.name AND strpos(lower(o.text), ?) > 0)
        """,
        [q, q, q],
    ).fetchall()
    return _graph(conn, [r[0] for r in rows])


def open_nodes(conn: Connection, names: list[str]) -> Graph:
    """The named entities and every relation touching one — the memory server's ``open_nodes``."""
    return _graph(conn, list(names))


def analyze_memory(conn: Connection, top: int = 10) -> MemoryAnalysis:
    """What is stored: counts by type, top recurring errors, flaky tests, runs per suite."""
    by_type = dict(conn.execute("SELECT entity_type, count(*) FROM mem_entities GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
    relations = int(one_value(conn, "SELECT count(*) FROM mem_relations"))
    observations = int(one_value(conn, "SELECT count(*) FROM mem_observations"))
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
    figures = [f for f in flakiness(conn, test_ids=flaky) if f.flips or f.same_commit] if flaky else []
    return {
        "entities": by_type,
        "relations": relations,
        "observations": observations,
        "top_errors": [
            {"name": n, "runs": int(r), "occurrences": int(o or 0), "first_seen": str(f)[:16] if f else None, "last_seen": str(l)[:16] if l else None}
            for n, r, o, f, l in recurring
        ],
        "flaky_tests": flaky,
        "flakiness": [f.as_dict() | {"about": describe(f)} for f in figures],
        "suites": [{"suite": s, "runs": int(n), "last_run": str(t)[:16]} for s, n, t in suites],
    }


def memory_figures(conn: Connection, info: MemoryAnalysis | None = None) -> dict[str, int]:
    """The memory in numbers, under the stable names the Dagster UI plots:
    ``entities_total``, ``error_types``, ``tests``, ``runs``, ``relations``,
    ``observations``, ``flaky_tests``, ``recurring_errors`` (error types seen in more
    than one run), ``new_errors_last_run`` and the top recurring error's
    ``top_error_runs`` and ``top_error_occurrences``. ``info``: :func:`analyze_memory`'s
    result, when already at hand."""
    info = info if info is not None else analyze_memory(conn)
    by_type = info["entities"]
    last = conn.execute("SELECT new_errors FROM mem_runs ORDER BY recorded_at DESC, seq DESC LIMIT 1").fetchone()
    recurring = one_value(conn, "SELECT count(*) FROM (SELECT entity FROM mem_sightings GROUP BY entity HAVING count(*) > 1) AS recurring")
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
    return clip(str(text), limit).replace("|", "\\|")


def _flaky_figures(info: MemoryAnalysis, test_id: str) -> str:
    """`` (suite unit: flip rate 0.67 over 4 runs, …)`` for each suite the test flipped in."""
    found = [f"suite {f['suite']}: {f['about']}" for f in info["flakiness"] if f["test_id"] == test_id]
    return f" ({'; '.join(found)})" if found else ""


def analysis_markdown(info: MemoryAnalysis) -> str:
    """:func:`analyze_memory`'s result as Markdown: the top recurring errors (runs,
    occurrences, first and last seen) and the flaky tests (per suite: runs, flip rate,
    failed and passed on one commit, last outcome)."""
    out = ["**Top recurring errors**", ""]
    if info["top_errors"]:
        out += ["| error | runs | occurrences | first seen | last seen |", "|---|---:|---:|---|---|"]
        out += [f"| `{_md_cell(e['name'])}` | {e['runs']} | {e['occurrences']} | {e['first_seen'] or ''} | {e['last_seen'] or ''} |"
                for e in info["top_errors"]]
    else:
        out.append("none yet")
    out += ["", f"**Flaky tests** ({len(info['flaky_tests'])})", ""]
    if info["flaky_tests"]:
        out += ["| test | suite | runs | flip rate | failed and passed on one commit | last |", "|---|---|---:|---:|---|---|"]
        for t in info["flaky_tests"]:
            figures = [f for f in info["flakiness"] if f["test_id"] == t]
            out += [f"| `{_md_cell(t, 200)}` | {_md_cell(f['suite'])} | {f['runs']} | {f['flip_rate']:.2f} | "
                    f"{'yes' if f['same_commit'] else 'no'} | {f['last_outcome']} |" for f in figures]
            out += [] if figures else [f"| `{_md_cell(t, 200)}` | | | | | |"]
    else:
        out.append("none")
    return "\n".join(out)


def format_analysis(info: MemoryAnalysis) -> str:
    lines = ["memory:"]
    types = ", ".join(f"{n} {t}" for t, n in info["entities"].items()) or "empty"
    lines.append(f"  entities: {types}; {info['relations']} relations, {info['observations']} observations")
    if info["suites"]:
        lines.append("  suites: " + ", ".join(f"{s['suite']} ({s['runs']} runs)" for s in info["suites"]))
    if info["top_errors"]:
        lines.append("  top recurring errors (runs, occurrences, first → last seen):")
        for e in info["top_errors"]:
            lines.append(f"    {e['runs']:>4} {e['occurrences']:>6}  {e['name']}  ({e['first_seen']} → {e['last_seen']})")
    lines.append("  flaky tests: " + (", ".join(t + _flaky_figures(info, t) for t in info["flaky_tests"]) or "none"))
    return "\n".join(lines)


def format_graph(graph: Graph, limit_obs: int = 5) -> str:
    out = [f"{len(graph['entities'])} entities, {len(graph['relations'])} relations"]
    for e in graph["entities"]:
        out.append(f"- {e['name']} ({e['entityType']})")
        for o in e["observations"][-limit_obs:]:
            out.append(f"    · {o}")
        if len(e["observations"]) > limit_obs:
            out.append(f"    · … {len(e['observations']) - limit_obs} earlier observations")
    return "\n".join(out)



def run_summary_rows(conn: Connection, limit: int = 50, suite: str | None = None) -> list[MemoryRun]:
    """The most recent runs in the memory, newest first."""
    q = "SELECT run_id, suite, commit_sha, log_path, summary_path, recorded_at, lines, failing_tests, error_types, new_errors FROM mem_runs"
    params: list[Any] = []
    if suite:
        q += " WHERE suite = ?"
        params.append(suite)
    rows = conn.execute(q + " ORDER BY recorded_at DESC, seq DESC LIMIT ?", params + [limit]).fetchall()
    return [
        MemoryRun(run_id=r[0], suite=r[1], commit=r[2], log_path=r[3], summary_path=r[4], recorded_at=str(r[5]), lines=r[6],
                  failing_tests=r[7], error_types=r[8], new_errors=r[9])
        for r in rows
    ]



def find_run(conn: Connection, ref: str) -> MemoryRun | None:
    """A stored run by id, or the latest run of a stored log path."""
    rows = run_summary_rows(conn, limit=100000)
    for r in rows:
        if r["run_id"] == ref:
            return r
    for r in rows:
        if r["log_path"] == ref or os.path.abspath(r["log_path"]) == os.path.abspath(ref):
            return r
    return None
