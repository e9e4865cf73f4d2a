"""One call from a log file to a budgeted summary: :func:`summarize`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .analysis import Analysis, analyze
from .export import ChunkWriter, TemplateExporter
from .options import SummaryOptions
from .render import Summary, summarize_analysis


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

    Side outputs are written atomically, and only when the whole pass succeeds.
    """
    options = options or SummaryOptions()
    exporter = TemplateExporter(export_templates) if export_templates else None
    chunks: list[ChunkWriter] = []

    def on_batch(df, an):
        if exporter is not None:
            exporter.add(df)
        if preprocess_to is not None:
            if not chunks:
                chunks.append(ChunkWriter(preprocess_to, an.a.chunk_size))
            chunks[0].add(df)

    miner_holder = {}

    def on_batch_keep(df, an):
        miner_holder["miner"] = an.miner
        on_batch(df, an)

    try:
        analysis = analyze(path, options, on_batch=on_batch_keep, progress=progress)
        if exporter is not None:
            exporter.finish(miner_holder["miner"])
        if chunks:
            chunks[0].finish()
    except BaseException:
        if exporter is not None:
            exporter.discard()
        for c in chunks:
            c.discard()
        raise
    if annotate is not None:
        annotate(analysis)
    return summarize_analysis(analysis, options)
