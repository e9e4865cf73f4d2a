"""``budget_trimmed_summaries``: the rendered summary of one log, within its budget."""


import dagster as dg

from ...lib import records
from ...lib.options import DEFAULT_TOKEN_BUDGET, FORMATS, SummaryOptions
from ...lib.outputs import SUMMARY_SUFFIXES, atomic_write_text
from ...lib.priority import Level
from ...lib.render import summarize_analysis
from ..partitions import log_files, output_name
from ..resources import TokoptSettings, TokoptStore

PREVIEW_LINES = 40


class SummaryConfig(dg.Config):
    """The budget and the format (the CLI's --token-budget, --token-buffer, --format, --priority-filter)."""

    token_budget: int = DEFAULT_TOKEN_BUDGET
    token_buffer: int = 0
    format: str = "markdown"
    priority_filter: str = "verbose"


def latest_analysis(conn, key: str):
    row = conn.execute(
        "SELECT r.run_id, a.analysis FROM runs r JOIN analyses a USING (run_id) "
        "WHERE r.file_key = ? ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1",
        [key],
    ).fetchone()
    if row is None:
        raise dg.Failure(description=f"no analysis of {key!r} in the store: materialize priority_chunks for this partition first")
    return row[0], records.analysis_from_json(row[1])


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
    pool="duckdb",
)
def budget_trimmed_summaries(
    context: dg.AssetExecutionContext, config: SummaryConfig, store: TokoptStore, settings: TokoptSettings
) -> dg.MaterializeResult:
    """The summary of the log within the token budget (exact cl100k_base count): every
    failing test, every distinct error with a representative traceback, run totals;
    what does not fit is counted. Written to the output folder and to ``summaries``."""
    if config.format not in FORMATS:
        raise dg.Failure(description=f"format must be one of {', '.join(FORMATS)}, not {config.format!r}")
    key = context.partition_key
    with store.connect() as conn:
        run_id, analysis = latest_analysis(conn, key)
    options = SummaryOptions(
        token_budget=config.token_budget,
        token_buffer=config.token_buffer,
        fmt=config.format,
        priority_filter=Level.parse(config.priority_filter),
    )
    summary = summarize_analysis(analysis, options)
    out = settings.output_folder() / (output_name(key) + SUMMARY_SUFFIXES[config.format])
    atomic_write_text(out, summary.text)
    store.write(
        "record_run",
        {
            "run": {"run_id": run_id, **records.summary_fields(summary, str(out))},
            "summary": {"format": summary.fmt, "budget": summary.budget, "tokens_out": summary.tokens_out, "text": summary.text},
        },
    )
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
            "format": summary.fmt,
            "path": dg.MetadataValue.path(str(out)),
            "preview": dg.MetadataValue.md(preview(summary.text, summary.fmt)),
        }
    )
