"""tokopt: budgeted, failure-preserving summaries of large logs.

Public surface:

* :func:`process_logs` — the spec's entry point: summarize ``args.log_file`` and write
  the summary into ``args.output_dir``; returns ``(summary, summary_path)``.
* :func:`summarize` and :class:`SummaryOptions` — the engine without side effects.
* :func:`store_in_memory` and :func:`track_token_usage` — the spec's memory and usage
  calls: record a summarized run (marking new errors and flaky tests) and its tokens.
"""

from __future__ import annotations

from .api import process_logs, store_in_memory, track_token_usage
from .lib.options import SummaryOptions
from .lib.summarize import summarize

__all__ = ["process_logs", "summarize", "SummaryOptions", "store_in_memory", "track_token_usage"]
