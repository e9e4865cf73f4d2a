"""``error_entities``: error templates deduplicated across every log, and the memory's
figures (error types, tests, runs, flaky tests, what the last run brought that is new)."""


import dagster as dg

from tokopt_pipeline.defs.automation import CROSS_LOG_UPDATES
from tokopt_pipeline.defs.resources import TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.store import queries

TOP = 15


@dg.asset(
    deps=[dg.AssetKey("budget_trimmed_summaries")],
    group_name="errors",
    kinds={"duckdb"},
    pool=STORE_POOL,
    retry_policy=STORE_RETRY,
    automation_condition=CROSS_LOG_UPDATES,
)
def error_entities(context: dg.AssetExecutionContext, store: TokoptStore) -> dg.MaterializeResult:
    """Distinct errors (exception type + normalized message) across every summarized log:
    occurrences, runs, first and last seen, and the files each appeared in (table
    ``error_entities``); and the cross-run memory the summaries are marked from (error
    types, tests, runs, flaky tests, new errors). Updates after each new summary and every
    night (``automation.py``)."""
    s = store.store()
    with only_busy_retried(), s.connect() as conn:
        s.apply(conn, "refresh_error_entities", {})
        entities = queries.error_entity_figures(conn)
        table = queries.top_errors_markdown(conn, TOP)
        info = memory.analyze_memory(conn, top=TOP)
        figures = memory.memory_figures(conn, info)
    return dg.MaterializeResult(
        metadata={
            **entities,
            **figures,
            "top_error": info["top_errors"][0]["name"] if info["top_errors"] else "",
            "top_errors": dg.MetadataValue.md(table),
            "memory": dg.MetadataValue.md(memory.analysis_markdown(info)),
        }
    )
