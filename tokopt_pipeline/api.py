"""The Python API named in the spec, over the same code the command runs."""

from __future__ import annotations

from pathlib import Path

from .lib import outputs
from .lib.options import DEFAULT_TOKEN_BUDGET, SummaryOptions
from .lib.render import Summary
from .lib.summarize import summarize


def _get(args, name, default=None):
    if isinstance(args, dict):
        return args.get(name, default)
    return getattr(args, name, default)


def options_from(args) -> SummaryOptions:
    """SummaryOptions from an argparse-like object or a dict (missing keys: defaults)."""
    from .lib.priority import Level, parse_priority_pattern

    level = _get(args, "priority_filter")
    return SummaryOptions(
        token_budget=int(_get(args, "token_budget", DEFAULT_TOKEN_BUDGET) or DEFAULT_TOKEN_BUDGET),
        token_buffer=int(_get(args, "token_buffer", 0) or 0),
        profile=_get(args, "profile", "auto") or "auto",
        extra_rules=[parse_priority_pattern(s) for s in (_get(args, "add_priority_pattern", []) or [])],
        priority_filter=Level.parse(level) if level else Level.VERBOSE,
        redact=bool(_get(args, "redact", True)),
        chunk_size=_get(args, "chunk_size"),
        strict_estimation=bool(_get(args, "strict_estimation", False)),
        fmt=_get(args, "format", "markdown") or "markdown",
    )


def process_logs(args) -> tuple[Summary, Path]:
    """Summarize ``args.log_file`` into ``args.output_dir``; return ``(summary, path)``.

    ``args`` is any object with the command's option names as attributes (or a dict):
    ``log_file``, ``output_dir`` (default ``./logs``), ``max_log_size`` (MB, default 5),
    ``max_logs`` (default 10), ``token_budget`` (default 76659), and optionally
    ``format``, ``profile``, ``priority_filter``, ``token_buffer``.

    Raises:
        TokoptError subclasses with a message and the command's exit code.
    """
    log_file = _get(args, "log_file") or "test_output.log"
    opts = options_from(args)
    output_dir = _get(args, "output_dir", "./logs") or "./logs"
    summary = summarize(str(log_file), opts)
    path = outputs.summary_path(output_dir, str(log_file), opts.fmt)
    outputs.atomic_write_text(path, summary.text)
    outputs.rotate(output_dir, int(_get(args, "max_logs", 10) or 10), float(_get(args, "max_log_size", 5) or 5), keep=path)
    return summary, path
