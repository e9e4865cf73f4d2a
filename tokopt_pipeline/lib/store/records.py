"""Store operations that persist what a summarization found.

Every writer (the ``tokopt`` command, the Dagster assets) records through these
operations, so the CLI and the UI see the same rows. Each operation takes a JSON
payload (so a write queued in the pending folder replays exactly) and runs inside
one transaction (:meth:`~tokopt_pipeline.lib.store.db.Store.write`):

``register_log``
    one ``log_files`` row: path, size, sha256, lines, profile, first/last timestamps.
``record_run``
    a ``runs`` row (upserted: only the columns given change) and, when present, the
    run's ``chunks``, ``templates``, ``error_groups``, ``failed_tests``, its compact
    ``analyses`` JSON and a ``summaries`` row. Child rows of the run are replaced. A run
    with a rendered summary enters the usage ledger (``usage`` in the payload may give
    its component, time and sections; :func:`~tokopt_pipeline.lib.usage.ledger.enter_run`).
``refresh_error_entities``
    rebuilds ``error_entities`` (error groups deduplicated across every run).
``refresh_usage``
    nothing any more: ``usage_daily`` and ``usage_by_file`` are views of the one usage
    ledger, which ``record_run`` keeps (kept so that older callers still work).

Example:
    store.write("record_run", summary_payload(summary, run_id="cli-1", source="cli"))
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tokopt_pipeline.lib.engine.model import Analysis, ChunkStat, ErrorGroup, TemplateStat
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.engine.render import Summary
from tokopt_pipeline.lib.engine.runmeta import RunMeta
from tokopt_pipeline.lib.engine.testresults import FailedTest, RunTotals
from tokopt_pipeline.lib.store.db import Connection, Payload, on_postgres, operation
from tokopt_pipeline.lib.store.ids import fingerprint, new_run_id
from tokopt_pipeline.lib.usage import ledger

__all__ = [
    "analysis_from_json",
    "analysis_payload",
    "analysis_to_json",
    "new_run_id",
    "summary_fields",
    "summary_payload",
]

RUN_COLUMNS = (
    "run_id", "file_key", "path", "source", "suite", "commit_sha", "started_at", "profile", "lines", "bytes",
    "tokens_in", "tokens_in_exact", "tokens_out", "budget", "reduction_pct", "budget_pct", "critical_events",
    "critical_omitted", "failing_tests", "error_groups", "templates", "summary_path", "summary_format",
)
LOG_COLUMNS = ("file_key", "path", "size_bytes", "sha256", "lines", "profile", "first_ts", "last_ts")
CHILD_TABLES = {
    "chunks": {
        "run_id": "VARCHAR", "chunk": "INTEGER", "first_line": "BIGINT", "last_line": "BIGINT", "lines": "BIGINT",
        "bytes": "BIGINT", "critical": "BIGINT", "high": "BIGINT", "medium": "BIGINT", "low": "BIGINT",
        "verbose": "BIGINT", "templates": "INTEGER",
    },
    "templates": {
        "run_id": "VARCHAR", "template_id": "BIGINT", "level": "VARCHAR", "count": "BIGINT", "first_line": "BIGINT",
        "last_line": "BIGINT", "template": "VARCHAR", "example": "VARCHAR",
    },
    "error_groups": {
        "run_id": "VARCHAR", "group_key": "VARCHAR", "fingerprint": "VARCHAR", "exc_type": "VARCHAR",
        "message": "VARCHAR", "level": "VARCHAR", "count": "BIGINT", "first_line": "BIGINT", "last_line": "BIGINT",
        "tests": "INTEGER", "example": "VARCHAR",
    },
    "failed_tests": {
        "run_id": "VARCHAR", "test_id": "VARCHAR", "name": "VARCHAR", "file": "VARCHAR", "kind": "VARCHAR",
        "group_key": "VARCHAR", "first_line": "BIGINT",
    },
}
# The most severe of a group's levels, in SQL either engine reads.
_RANK = "CASE g.level " + " ".join(f"WHEN '{lv.label}' THEN {i}" for i, lv in enumerate(Level)) + " END"
_LEVEL_OF_RANK = "CASE min(" + _RANK + ") " + " ".join(f"WHEN {i} THEN '{lv.label}'" for i, lv in enumerate(Level)) + " END"
# Rows of a run, deleted with it (the memory tables keep their own history).
RUN_TABLES = ("chunks", "templates", "error_groups", "failed_tests", "summaries", "analyses")


# -- the analysis as JSON -------------------------------------------------------
def analysis_to_json(a: Analysis) -> str:
    """The compact aggregates of an analysis (never the log's lines) as JSON."""
    return json.dumps(dataclasses.asdict(a), ensure_ascii=False, separators=(",", ":"))


def analysis_from_json(text: str) -> Analysis:
    """Inverse of :func:`analysis_to_json`."""
    d = json.loads(text)
    d["templates"] = {int(k): TemplateStat(**v) for k, v in d["templates"].items()}
    d["groups"] = {k: ErrorGroup(**v) for k, v in d["groups"].items()}
    d["tests"] = {k: FailedTest(**v) for k, v in d["tests"].items()}
    d["runs"] = [RunTotals(**r) for r in d["runs"]]
    d["chunks"] = [ChunkStat(**c) for c in d["chunks"]]
    if d.get("run_meta") is not None:
        d["run_meta"] = RunMeta(**d["run_meta"])
    return Analysis(**d)


# -- payloads -------------------------------------------------------------------
def _child_rows(run_id: str, a: Analysis) -> dict[str, list[dict[str, Any]]]:
    chunks = [
        {"run_id": run_id, "chunk": c.index, "first_line": c.first_line, "last_line": c.last_line, "lines": c.lines,
         "bytes": c.raw_bytes, "critical": c.levels[0], "high": c.levels[1], "medium": c.levels[2], "low": c.levels[3],
         "verbose": c.levels[4], "templates": c.templates}
        for c in a.chunks
    ]
    templates = [
        {"run_id": run_id, "template_id": t.template_id, "level": Level(t.level).label, "count": t.count,
         "first_line": t.first_line, "last_line": t.last_line, "template": t.template, "example": t.example}
        for t in a.templates.values()
    ]
    groups = [
        {"run_id": run_id, "group_key": g.key, "fingerprint": fingerprint(g.key), "exc_type": g.exc_type,
         "message": g.message, "level": Level(g.level).label, "count": g.count, "first_line": g.first_line,
         "last_line": g.last_line, "tests": len(g.tests), "example": "\n".join(g.example)}
        for g in a.groups.values()
    ]
    tests = [
        {"run_id": run_id, "test_id": t.test_id, "name": t.name, "file": t.file, "kind": t.kind,
         "group_key": t.group_key, "first_line": t.first_line}
        for t in a.tests.values()
    ]
    return {"chunks": chunks, "templates": templates, "error_groups": groups, "failed_tests": tests}


def analysis_payload(a: Analysis, *, run_id: str, source: str, file_key: str | None = None, path: str | None = None,
                     keep_analysis: bool = True) -> Payload:
    """A ``record_run`` payload for an analysis not yet rendered (the summary comes later)."""
    run = {
        "run_id": run_id, "file_key": file_key, "path": path or a.source, "source": source, "profile": a.profile,
        "lines": a.lines, "bytes": a.raw_bytes, "tokens_in": a.tokens_in, "tokens_in_exact": a.tokens_in_exact,
        "critical_events": a.critical_units, "failing_tests": len(a.tests), "error_groups": len(a.groups),
        "templates": len(a.templates),
    }
    payload: Payload = {"run": run, **_child_rows(run_id, a)}
    if keep_analysis:
        payload["analysis"] = analysis_to_json(a)
    return payload


def summary_fields(summary: Summary, summary_path: str | None) -> dict[str, Any]:
    """The ``runs`` columns a rendered summary fills in."""
    return {
        "tokens_out": summary.tokens_out, "budget": summary.budget, "reduction_pct": summary.reduction_pct,
        "budget_pct": summary.budget_pct, "critical_omitted": summary.critical_omitted,
        "summary_path": summary_path, "summary_format": summary.fmt,
    }


def summary_payload(summary: Summary, *, run_id: str, source: str, file_key: str | None = None,
                    path: str | None = None, summary_path: str | None = None, keep_analysis: bool = False) -> Payload:
    """A complete ``record_run`` payload: the run, its rows and the summary text."""
    payload = analysis_payload(summary.analysis, run_id=run_id, source=source, file_key=file_key, path=path,
                               keep_analysis=keep_analysis)
    payload["run"].update(summary_fields(summary, summary_path))
    payload["summary"] = {"format": summary.fmt, "budget": summary.budget, "tokens_out": summary.tokens_out,
                          "text": summary.text}
    return payload


# -- operations -----------------------------------------------------------------
def _insert_rows(conn: Connection, table: str, columns: dict[str, str], rows: list[dict[str, Any]]) -> None:
    """Insert many rows: in one statement on DuckDB (a JSON parameter it unnests), as one
    pipelined ``executemany`` on PostgreSQL."""
    if not rows:
        return
    if on_postgres(conn):
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        conn.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO {table} ({names}) VALUES ({marks})", [[r.get(c) for c in columns] for r in rows]
        )
        return
    schema = json.dumps([columns]).replace("'", "''")
    names = ", ".join(f'"{c}"' for c in columns)
    fields = ", ".join(f's."{c}"' for c in columns)
    conn.execute(
        f"INSERT INTO {table} ({names}) SELECT {fields} FROM (SELECT unnest(from_json(?, '{schema}')) AS s)",
        [json.dumps(rows, ensure_ascii=False, default=str)],
    )


def _upsert(conn: Connection, table: str, key: str, row: dict[str, Any], allowed: tuple[str, ...]) -> None:
    cols = [c for c in row if c in allowed]
    if key not in cols:
        raise ValueError(f"{table}: {key} is required")
    marks = ", ".join("?" for _ in cols)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key) or f"{key} = excluded.{key}"
    conn.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) ON CONFLICT ({key}) DO UPDATE SET {updates}",
        [row[c] for c in cols],
    )


@operation("register_log")
def register_log(conn: Connection, payload: Payload) -> None:
    _upsert(conn, "log_files", "file_key", payload, LOG_COLUMNS)
    conn.execute("UPDATE log_files SET registered_at = current_timestamp WHERE file_key = ?", [payload["file_key"]])


@operation("record_run")
def record_run(conn: Connection, payload: Payload) -> None:
    run = payload["run"]
    run_id = run["run_id"]
    _upsert(conn, "runs", "run_id", run, RUN_COLUMNS)
    for table, columns in CHILD_TABLES.items():
        if table in payload:
            conn.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            _insert_rows(conn, table, columns, payload[table])
    if "analysis" in payload:
        conn.execute("DELETE FROM analyses WHERE run_id = ?", [run_id])
        conn.execute("INSERT INTO analyses (run_id, analysis) VALUES (?, ?)", [run_id, payload["analysis"]])
    ledger.enter_run(conn, run_id, payload.get("usage"))
    s = payload.get("summary")
    if s:
        conn.execute("DELETE FROM summaries WHERE run_id = ? AND format = ? AND budget = ?", [run_id, s["format"], s["budget"]])
        conn.execute(
            "INSERT INTO summaries (run_id, format, budget, tokens_out, text) VALUES (?, ?, ?, ?, ?)",
            [run_id, s["format"], s["budget"], s["tokens_out"], s["text"]],
        )


@operation("refresh_error_entities")
def refresh_error_entities(conn: Connection, payload: Payload) -> None:
    """Rebuild ``error_entities`` from every run's error groups: of each group key, the
    type, message and example of its latest sighting, its most severe level, the sum of
    its counts, its runs, the files (sorted) and the first and last start times. Rebuilt
    whole in the operation's write transaction (:func:`.db.begin_write`): one at a time."""
    conn.execute("DELETE FROM error_entities")
    latest = "ORDER BY r.started_at DESC, g.run_id DESC"
    file = "coalesce(r.file_key, r.path)"
    conn.execute(
        f"""
        INSERT INTO error_entities
        SELECT g.group_key, (array_agg(g.exc_type {latest}))[1], (array_agg(g.message {latest}))[1],
               {_LEVEL_OF_RANK}, sum(g.count), count(DISTINCT g.run_id),
               coalesce(array_agg(DISTINCT {file} ORDER BY {file}) FILTER (WHERE {file} IS NOT NULL), CAST(? AS VARCHAR[])),
               min(r.started_at), max(r.started_at), (array_agg(g.example {latest}))[1]
        FROM error_groups g JOIN runs r USING (run_id)
        GROUP BY g.group_key
        """,
        [[]],
    )


@operation("refresh_usage")
def refresh_usage(conn: Connection, payload: Payload) -> None:
    """Nothing to do: the usage roll-ups are views of the ledger."""
