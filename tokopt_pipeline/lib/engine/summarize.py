"""One call from a log file to a budgeted summary: :func:`summarize`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.export import SideOutputs
from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.engine.render import Summary, summarize_analysis
from tokopt_pipeline.lib.settings.options import SummaryOptions


def summarize(
    path: str,
    options: SummaryOptions | None = None,
    export_templates: str | Path | None = None,
    preprocess_to: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    annotate: Callable[[Analysis], None] | None = None,
) -> Summary:
    """Read ``path`` once and return its summary within ``options.token_budget``.

    Args:
        path: log file (plain or compressed) or ``-`` for stdin.
        options: the settings; defaults are the documented defaults.
        export_templates: also write ``line_number,template_id,template`` per input line.
        preprocess_to: also write the tagged, templated chunks (JSON lines).
        progress: called with (bytes read, file size).
        annotate: called with the analysis before rendering (marks new/flaky errors).

    With ``options.component_budgets``, each component is summarized within its own
    budget (:func:`.components.summarize_components`).

    With ``options.baseline_log`` (a log of the last passing run), the lines this run
    shares with it are demoted below what is new, and counted (:mod:`.baseline`); it is
    read first, so a bad baseline log fails before this one is.

    Side outputs are written atomically, and only when the whole pass and the summary
    succeed (a budget too small for the header leaves none).
    """
    options = options or SummaryOptions()
    if options.component_budgets:
        from tokopt_pipeline.lib.engine.components import summarize_components

        return summarize_components(path, options, export_templates=export_templates, preprocess_to=preprocess_to,
                                    progress=progress, annotate=annotate)
    passing = None
    if options.baseline_log and options.baseline:
        from tokopt_pipeline.lib.engine import baseline
        from tokopt_pipeline.lib.errors import TokoptError

        try:
            passing = baseline.of_log(options.baseline_log, options)
        except TokoptError as exc:  # the same exit code, saying which log it was
            raise type(exc)(f"--baseline-log: {exc.message}") from None
    side = SideOutputs(export_templates, preprocess_to)
    try:
        analysis = analyze(path, options, on_batch=side.add, progress=progress)
        if passing is not None:
            baseline.apply(analysis, passing)
        if annotate is not None:
            annotate(analysis)
        summary = summarize_analysis(analysis, options)  # a budget too small is refused here
        side.finish()
    except BaseException:
        side.discard()
        raise
    return summary
