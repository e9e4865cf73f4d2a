"""tokopt: budgeted, failure-preserving summaries of large logs.

Public surface:

* :func:`process_logs` — the spec's entry point: summarize ``args.log_file`` and write
  the summary into ``args.output_dir``; returns ``(summary, summary_path)``.
* :func:`summarize` and :class:`SummaryOptions` — the engine without side effects.
* :func:`store_in_memory` and :func:`track_token_usage` — the spec's memory and usage
  calls: record a summarized run (marking new errors and flaky tests) and its tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["process_logs", "summarize", "SummaryOptions", "store_in_memory", "track_token_usage"]

# Imported on first use, so that `import tokopt_pipeline` (and the `tokopt` command's
# start) does not load polars before the command has read --parallel-workers.
_LAZY = {
    "process_logs": ".api",
    "store_in_memory": ".api",
    "track_token_usage": ".api",
    "SummaryOptions": ".lib.settings.options",
    "summarize": ".lib.engine.summarize",
}

if TYPE_CHECKING:  # pragma: no cover
    from tokopt_pipeline.api import process_logs, store_in_memory, track_token_usage
    from tokopt_pipeline.lib.engine.summarize import summarize
    from tokopt_pipeline.lib.settings.options import SummaryOptions


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
