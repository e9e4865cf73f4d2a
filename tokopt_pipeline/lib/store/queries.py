"""Reads of the store: what was recorded about a log, its latest analysis, and the
cross-run figures, each query in one place.

:mod:`.records` writes these tables (its operations); this module reads them back for
whoever needs them (the Dagster assets and checks, retention), so the SQL lives next
to the schema's other code and never in the orchestration layer. Every function takes
an open connection (:meth:`~tokopt_pipeline.lib.store.db.Store.connect`).

Example:
    with store.connect() as conn:
        run = latest_analysis_run(conn, "team-a/build.log")
        analysis = stored_analysis(conn, run["run_id"]) if run else None
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.store.db import Connection, one_row, one_value
from tokopt_pipeline.lib.store.records import analysis_from_json

__all__ = [
    "chunk_rows",
    "error_entity_figures",
    "file_keys_with_runs",
    "latest_analysis_run",
    "registered_log",
    "registered_paths",
    "run_count",
    "stored_analysis",
    "top_errors_markdown",
]


# -- one log ------------------------------------------------------------------------
def registered_log(conn: Connection, file_key: str) -> dict[str, Any] | None:
    """The ``log_files`` row of ``file_key`` (``path``, ``lines``), or None when the log
    was never registered."""
    row = conn.execute("SELECT path, lines FROM log_files WHERE file_key = ?", [file_key]).fetchone()
    return None if row is None else {"path": row[0], "lines": row[1]}


def latest_analysis_run(conn: Connection, file_key: str) -> dict[str, Any] | None:
    """The latest run of ``file_key`` that stored an analysis (the one a summary of the
    log is rendered from): ``run_id``, ``path``, ``suite``, ``commit``, ``started_at``;
    None when there is none. Ties on the start time go to the greater run id."""
    row = conn.execute(
        "SELECT r.run_id, r.path, r.suite, r.commit_sha, r.started_at FROM runs r JOIN analyses a USING (run_id) "
        "WHERE r.file_key = ? ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1",
        [file_key],
    ).fetchone()
    if row is None:
        return None
    run_id, path, suite, commit, started = row
    return {"run_id": run_id, "path": path, "suite": suite, "commit": commit, "started_at": started}


def stored_analysis(conn: Connection, run_id: str) -> Analysis:
    """The analysis run ``run_id`` stored (table ``analyses``).

    Raises:
        LookupError: the run stored no analysis.
    """
    row = conn.execute("SELECT analysis FROM analyses WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise LookupError(f"run {run_id!r} stored no analysis")
    return analysis_from_json(row[0])


def recorded_summary(conn: Connection, run_id: str, fmt: str, budget: int) -> tuple[str, int] | None:
    """(text, tokens out) of the summary of run ``run_id`` in format ``fmt`` at ``budget``, as recorded."""
    row = conn.execute("SELECT text, tokens_out FROM summaries WHERE run_id = ? AND format = ? AND budget = ?",
                       [run_id, fmt, budget]).fetchone()
    return (str(row[0]), int(row[1])) if row is not None else None


def chunk_rows(conn: Connection, run_id: str) -> list[tuple[int, int, int, int]]:
    """``(chunk, first_line, last_line, lines)`` of each chunk of run ``run_id``, in order."""
    return conn.execute(
        "SELECT chunk, first_line, last_line, lines FROM chunks WHERE run_id = ? ORDER BY chunk", [run_id]
    ).fetchall()


# -- every log ----------------------------------------------------------------------
def run_count(conn: Connection) -> int:
    """How many runs the store holds."""
    return int(one_value(conn, "SELECT count(*) FROM runs"))


def file_keys_with_runs(conn: Connection) -> set[str]:
    """The file keys that still have at least one run."""
    return {k for (k,) in conn.execute("SELECT DISTINCT file_key FROM runs WHERE file_key IS NOT NULL").fetchall()}


def registered_paths(conn: Connection) -> dict[str, str]:
    """Each registered log's path, by file key."""
    return dict(conn.execute("SELECT file_key, path FROM log_files").fetchall())


def error_entity_figures(conn: Connection) -> dict[str, int]:
    """The ``error_entities`` table in numbers, under the names the Dagster UI plots:
    ``distinct_errors``, ``occurrences`` (over every run), ``recurring`` (seen in more
    than one run) and ``new_today`` (first seen on the store's current date)."""
    distinct, occurrences, recurring, new_today = one_row(
        conn,
        "SELECT count(*), coalesce(sum(occurrences), 0), count(*) FILTER (WHERE runs > 1), "
        "count(*) FILTER (WHERE first_seen >= current_date) FROM error_entities",
    )
    return {
        "distinct_errors": int(distinct),
        "occurrences": int(occurrences),
        "recurring": int(recurring),
        "new_today": int(new_today),
    }


def _error_row(exc: str, msg: str, occ: int, runs: int, files: int, last: datetime) -> str:
    what = f"{exc}: {msg}" if exc and msg else (exc or msg or "")
    what = what.replace("|", "\\|").replace("\n", " ")[:120]
    return f"| `{what}` | {occ} | {runs} | {files} | {last:%Y-%m-%d %H:%M} |"


def top_errors_markdown(conn: Connection, top: int = 15) -> str:
    """The ``top`` most frequent error entities as a Markdown table: the error (type
    and message, clipped to 120 characters), occurrences, runs, files, last seen."""
    rows = conn.execute(
        "SELECT coalesce(exc_type, ''), message, occurrences, runs, files, last_seen FROM error_entities "
        "ORDER BY occurrences DESC, group_key LIMIT ?",
        [top],
    ).fetchall()
    table = ["| error | occurrences | runs | files | last seen |", "|---|---:|---:|---:|---|"]
    table += [_error_row(exc, msg, occ, runs, len(files or []), last) for exc, msg, occ, runs, files, last in rows]
    return "\n".join(table)
