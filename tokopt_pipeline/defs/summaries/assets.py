"""``budget_trimmed_summaries``: the rendered summary of one log, within its budget,
marked against the cross-run memory (errors never seen before **new**, flaky tests
``[flaky]``) and recorded in it, exactly as ``tokopt LOG --store-memory`` does."""


import dagster as dg

from tokopt_pipeline.defs.files import is_local, to_uri
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, STORE_RETRY, only_busy_retried
from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.engine.render import summarize_analysis
from tokopt_pipeline.lib.logfiles import output_name
from tokopt_pipeline.lib.outputs import SUMMARY_SUFFIXES
from tokopt_pipeline.lib.settings.layers import summary_options
from tokopt_pipeline.lib.settings.options import DEFAULT_TOKEN_BUDGET, FORMATS
from tokopt_pipeline.lib.store import queries, records

PREVIEW_LINES = 40


class SummaryConfig(dg.Config):
    """The budget and the format (the CLI's --token-budget, --token-buffer, --format, --priority-filter)."""

    token_budget: int = DEFAULT_TOKEN_BUDGET
    token_buffer: int = 0
    format: str = "markdown"
    priority_filter: str = "verbose"


def latest_analysis(conn, key: str):
    """(run id, analysis, run row) of the latest analysis of partition ``key``."""
    run = queries.latest_analysis_run(conn, key)
    if run is None:
        raise dg.Failure(description=f"no analysis of {key!r} in the store: materialize priority_chunks for this partition first")
    return run["run_id"], queries.stored_analysis(conn, run["run_id"]), run


def memory_marker(store: TokoptStore, run_id: str, analysis, run: dict) -> memory.Marker:
    """The memory's marker for a stored analysis. Its memory run id is derived from the
    store's run, so rendering the same analysis again (another budget or format) keeps
    the marks it had and records nothing twice."""
    suite = run["suite"] or memory.derive_suite(run["path"] or analysis.source, analysis.profile)
    stamp = run["started_at"].strftime("%Y%m%dT%H%M%S") if run["started_at"] else "0"
    mem_id = f"{suite}-{stamp}-{memory.fingerprint(run_id)[:6]}"
    return memory.Marker(store.store(), log_path=run["path"], suite=suite, commit=run["commit"], run_id=mem_id)


def preview(text: str, fmt: str) -> str:
    head = text.splitlines()[:PREVIEW_LINES]
    more = "\n\n*(preview: first lines only)*" if len(text.splitlines()) > PREVIEW_LINES else ""
    body = "\n".join(head)
    return (body if fmt == "markdown" else f"```\n{body}\n```") + more


@dg.asset(
    partitions_def=log_files,
    deps=[dg.AssetKey("priority_chunks")],
    group_name="summaries",
    kinds={"duckdb"},
    pool=STORE_POOL,
    retry_policy=STORE_RETRY,
)
def budget_trimmed_summaries(
    context: dg.AssetExecutionContext, config: SummaryConfig, store: TokoptStore, settings: TokoptSettings
) -> dg.MaterializeResult:
    """The summary of the log within the token budget (exact cl100k_base count): every
    failing test, every distinct error with a representative traceback, run totals;
    what does not fit is counted. Errors no earlier run had are marked **new** and flaky
    tests ``[flaky]`` (the memory ``tokopt --store-memory`` uses), and the run is
    recorded in that memory. Written to the output folder (a local folder or an fsspec
    URL) and to ``summaries``, which the blocking checks read."""
    if config.format not in FORMATS:
        raise dg.Failure(description=f"format must be one of {', '.join(FORMATS)}, not {config.format!r}")
    key = context.partition_key
    with only_busy_retried():
        with store.connect() as conn:
            run_id, analysis, run = latest_analysis(conn, key)
        marker = memory_marker(store, run_id, analysis, run)
        marker(analysis)
        options = summary_options(config.model_dump())
        summary = summarize_analysis(analysis, options)
        out = settings.outputs().write_text(output_name(key) + SUMMARY_SUFFIXES[config.format], summary.text)
        # The summary's run row, its usage and its memory: one transaction.
        store.store().write_all([
            ("record_run", {
                "run": {"run_id": run_id, **records.summary_fields(summary, out)},
                "summary": {"format": summary.fmt, "budget": summary.budget, "tokens_out": summary.tokens_out, "text": summary.text},
                "usage": {"component": marker.run.suite, "sections": {k: v for k, v in summary.shown.items() if v}},
            }),
            marker.operation(summary_path=out),
        ])
    marks = marker.marks
    f = summary.figures()
    return dg.MaterializeResult(
        metadata={
            "tokens_in": f["tokens_in"],
            "tokens_out": f["tokens_out"],
            "budget": f["budget"],
            "reduction_pct": float(f["reduction_pct"]),
            "budget_pct": float(f["budget_pct"]),
            "lines": f["lines"],
            "bytes": f["bytes"],
            "critical_events": f["critical_events"],
            "critical_shown": f["critical_shown"],
            "critical_omitted": f["critical_omitted"],
            "templates": f["templates"],
            "failing_tests": f["failing_tests"],
            "error_groups": f["error_groups"],
            "tokens_in_exact": bool(f["tokens_in_exact"]),
            "new_errors": len(marks.new_errors) if marks else 0,
            "new_tests": len(marks.new_tests) if marks else 0,
            "flaky_tests": len(marks.flaky_tests) if marks else 0,
            "memory_run": marker.run.run_id + ("" if marks else " (not marked: the store was busy)"),
            "format": summary.fmt,
            "store_run": run_id,
            "path": dg.MetadataValue.path(out) if is_local(out) else dg.MetadataValue.url(out),
            "uri": dg.MetadataValue.url(to_uri(out)),
            "preview": dg.MetadataValue.md(preview(summary.text, summary.fmt)),
        }
    )
