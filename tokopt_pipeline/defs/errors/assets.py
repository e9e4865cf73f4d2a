"""``error_entities``: error templates deduplicated across every log, and the memory's
figures (error types, tests, runs, flaky tests, what the last run brought that is new)."""


import dagster as dg

from ...lib import memory
from ..automation import AFTER_EACH_SUMMARY
from ..resources import TokoptStore

TOP = 15


@dg.asset(
    deps=[dg.AssetKey("budget_trimmed_summaries")],
    group_name="errors",
    kinds={"duckdb"},
    pool="duckdb",
    automation_condition=AFTER_EACH_SUMMARY,
)
def error_entities(context: dg.AssetExecutionContext, store: TokoptStore) -> dg.MaterializeResult:
    """Distinct errors (exception type + normalized message) across every summarized log:
    occurrences, runs, first and last seen, and the files each appeared in (table
    ``error_entities``); and the cross-run memory the summaries are marked from (error
    types, tests, runs, flaky tests, new errors). Updates after each new summary."""
    s = store.store()
    with s.connect() as conn:
        s.apply(conn, "refresh_error_entities", {})
        distinct, occurrences, recurring, new_today = conn.execute(
            "SELECT count(*), coalesce(sum(occurrences), 0), count(*) FILTER (WHERE runs > 1), "
            "count(*) FILTER (WHERE first_seen >= current_date) FROM error_entities"
        ).fetchone()
        top = conn.execute(
            "SELECT coalesce(exc_type, ''), message, occurrences, runs, len(files), last_seen FROM error_entities "
            "ORDER BY occurrences DESC, group_key LIMIT ?",
            [TOP],
        ).fetchall()
        info = memory.analyze_memory(conn, top=TOP)
        figures = memory.memory_figures(conn, info)
    table = ["| error | occurrences | runs | files | last seen |", "|---|---:|---:|---:|---|"]
    for exc, msg, occ, runs, files, last in top:
        what = f"{exc}: {msg}" if exc and msg else (exc or msg or "")
        what = what.replace("|", "\\|").replace("\n", " ")[:120]
        table.append(f"| `{what}` | {occ} | {runs} | {files} | {last:%Y-%m-%d %H:%M} |")
    return dg.MaterializeResult(
        metadata={
            "distinct_errors": int(distinct),
            "occurrences": int(occurrences),
            "recurring": int(recurring),
            "new_today": int(new_today),
            **figures,
            "top_error": info["top_errors"][0]["name"] if info["top_errors"] else "",
            "top_errors": dg.MetadataValue.md("\n".join(table)),
            "memory": dg.MetadataValue.md(memory.analysis_markdown(info)),
        }
    )
