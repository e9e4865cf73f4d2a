"""``token_usage_metrics``: tokens in and out, reduction and budget use, per file and per day."""


import dagster as dg

from ..automation import AFTER_EACH_SUMMARY
from ..resources import TokoptStore

DAYS_SHOWN = 14


@dg.asset(
    deps=[dg.AssetKey("budget_trimmed_summaries")],
    group_name="metrics",
    kinds={"duckdb"},
    pool="duckdb",
    automation_condition=AFTER_EACH_SUMMARY,
)
def token_usage_metrics(context: dg.AssetExecutionContext, store: TokoptStore) -> dg.MaterializeResult:
    """Token usage rolled up from every summarized run: per day (``usage_daily``) and per
    file's latest run (``usage_by_file``). Today's figures are plotted in the UI."""
    s = store.store()
    with s.connect() as conn:
        s.apply(conn, "refresh_usage", {})
        today = conn.execute(
            "SELECT coalesce(runs, 0), coalesce(tokens_in, 0), coalesce(tokens_out, 0), coalesce(reduction_pct, 0), "
            "coalesce(budget_pct_avg, 0), coalesce(budget_pct_max, 0) FROM (SELECT 1) LEFT JOIN usage_daily ON day = current_date"
        ).fetchone()
        files = conn.execute("SELECT count(*) FROM usage_by_file").fetchone()[0]
        total_in, total_out = conn.execute("SELECT coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0) FROM usage_daily").fetchone()
        days = conn.execute(
            f"SELECT day, runs, tokens_in, tokens_out, reduction_pct, budget_pct_max FROM usage_daily ORDER BY day DESC LIMIT {DAYS_SHOWN}"
        ).fetchall()
    runs, tokens_in, tokens_out, reduction, budget_avg, budget_max = today
    table = ["| day | runs | tokens in | tokens out | reduction | max budget use |", "|---|---:|---:|---:|---:|---:|"]
    table += [f"| {d} | {r} | {ti:,} | {to:,} | {red}% | {bm}% |" for d, r, ti, to, red, bm in days]
    return dg.MaterializeResult(
        metadata={
            "runs_today": int(runs),
            "tokens_in": int(tokens_in),
            "tokens_out": int(tokens_out),
            "reduction_pct": float(reduction),
            "budget_pct": float(budget_avg),
            "budget_pct_max": float(budget_max),
            "files": int(files),
            "tokens_in_total": int(total_in),
            "tokens_out_total": int(total_out),
            "by_day": dg.MetadataValue.md("\n".join(table)),
        }
    )
