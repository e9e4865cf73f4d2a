"""``error_entities``: error templates deduplicated across every log."""


import dagster as dg

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
    ``error_entities``). Updates after each new summary."""
    s = store.store()
    with s.connect() as conn:
        s.apply(conn, "refresh_error_entities", {})
        entities, occurrences, recurring, new_today = conn.execute(
            "SELECT count(*), coalesce(sum(occurrences), 0), count(*) FILTER (WHERE runs > 1), "
            "count(*) FILTER (WHERE first_seen >= current_date) FROM error_entities"
        ).fetchone()
        top = conn.execute(
            f"SELECT coalesce(exc_type, ''), message, occurrences, runs, len(files), last_seen FROM error_entities "
            f"ORDER BY occurrences DESC, group_key LIMIT {TOP}"
        ).fetchall()
    table = ["| error | occurrences | runs | files | last seen |", "|---|---:|---:|---:|---|"]
    for exc, msg, occ, runs, files, last in top:
        what = f"{exc}: {msg}" if exc and msg else (exc or msg or "")
        what = what.replace("|", "\\|").replace("\n", " ")[:120]
        table.append(f"| `{what}` | {occ} | {runs} | {files} | {last:%Y-%m-%d %H:%M} |")
    return dg.MaterializeResult(
        metadata={
            "entities": int(entities),
            "occurrences": int(occurrences),
            "recurring": int(recurring),
            "new_today": int(new_today),
            "top_errors": dg.MetadataValue.md("\n".join(table)),
        }
    )
