"""The settings of a summary, built in one place.

Every way in (the command line, the Python API, diagnostics, the MCP server, the
Dagster configs) names a summary's settings the same way: the command's option names
with underscores (``token_budget`` for ``--token-budget``; the list is
:data:`.presets.SETTINGS`). Two steps turn them into what the engine takes:

* :func:`layered`: the built-in defaults, then a preset (``preset``), then a profile
  (``optimization_profile`` from ``custom_profile_path``), then what the caller gave;
  a value given explicitly always wins;
* :func:`summary_options`: those values as :class:`.options.SummaryOptions`, with the
  names the command adds (:data:`RUN_SETTINGS`: ``memory_optimized``, ``store_memory``,
  ``baseline_log``, ``no_baseline``) applied.

``values`` is a mapping or any object with the names as attributes (an argparse
namespace, a Dagster config); a missing name or ``None`` means "not given".

Example:
    >>> summary_options({"token_budget": 4000, "priority_filter": "high"}).effective_budget
    4000
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline.lib.settings.presets import DEFAULT_TOKEN_BUDGET

__all__ = ["value", "given", "layered", "summary_options", "MEMORY_OPTIMIZED_BATCH_LINES", "RUN_SETTINGS"]

#: Names :func:`summary_options` reads besides the layered settings: they say how this
#: one run is made (no preset or profile carries them).
RUN_SETTINGS = ("memory_optimized", "store_memory", "baseline_log", "no_baseline")

#: Lines processed at once with ``memory_optimized`` (else 200,000), and its chunk size.
MEMORY_OPTIMIZED_BATCH_LINES = 10_000
MEMORY_OPTIMIZED_CHUNK_SIZE = 2000


def value(values: Any, name: str, default: Any = None) -> Any:
    """``values[name]`` (a mapping) or ``values.name`` (an object); ``default`` when
    missing or None."""
    v = values.get(name) if isinstance(values, dict) else getattr(values, name, None)
    return default if v is None else v


def given(values: Any) -> set[str]:
    """The settings ``values`` gives (present and not None)."""
    from tokopt_pipeline.lib.settings.presets import SETTINGS

    return {k for k in SETTINGS if value(values, k) is not None}


def layered(values: Any, explicit: set[str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Every setting: defaults < preset < profile < ``values``.

    ``explicit``: the settings the caller set on purpose (default: those ``values``
    gives); the others may be filled in by the preset or profile (extra priority
    patterns given explicitly replace the profile's too). Returns the settings and
    where they came from (``["preset ci-integration", "profile x (file.json)"]``).

    Raises:
        UsageError / ConfigError: an unknown preset or profile, an invalid profile file.
    """
    from tokopt_pipeline.lib.settings.presets import DEFAULTS, SETTINGS
    from tokopt_pipeline.lib.settings.profile_files import resolve_settings

    # With save_profile and no optimization_profile, the file is where to save, not a source.
    path = None if (value(values, "save_profile") and not value(values, "optimization_profile")) else value(values, "custom_profile_path")
    layers, sources = resolve_settings(value(values, "preset"), value(values, "optimization_profile"), path)
    explicit = given(values) if explicit is None else explicit
    out: dict[str, Any] = {}
    for key in SETTINGS:
        mine = value(values, key)
        if key in explicit or key not in layers:
            out[key] = DEFAULTS[key] if mine is None else mine
        elif key == "add_priority_pattern":
            # a preset's or profile's patterns: a list of strings (the profile file's schema says so)
            out[key] = list(cast("Iterable[str]", layers[key])) + list(mine or [])
        else:
            out[key] = layers[key]
    return out, sources


def summary_options(values: Any) -> SummaryOptions:
    """The engine's options from setting values (see the module docstring); names not
    given take their defaults.

    Raises:
        UsageError: an unknown tagging profile, priority level or pattern.
    """
    from tokopt_pipeline.lib.engine.components import parse_component_budgets
    from tokopt_pipeline.lib.engine.priority import Level, UsageError, parse_priority_pattern
    from tokopt_pipeline.lib.engine.profiles import get_profile

    profile = value(values, "profile", "auto")
    if profile != "auto":
        get_profile(profile)
    level = value(values, "priority_filter")
    budgets = value(values, "component_budgets")
    opts = SummaryOptions(
        token_budget=int(value(values, "token_budget", DEFAULT_TOKEN_BUDGET)),
        token_buffer=int(value(values, "token_buffer", 0)),
        profile=profile,
        extra_rules=[parse_priority_pattern(s) for s in value(values, "add_priority_pattern", [])],
        priority_filter=level if isinstance(level, Level) else (Level.parse(level) if level else Level.VERBOSE),
        redact=bool(value(values, "redact", True)),
        chunk_size=value(values, "chunk_size"),
        strict_estimation=bool(value(values, "strict_estimation", False)),
        fmt=value(values, "format", "markdown"),
        max_traceback_lines=int(value(values, "max_traceback_lines", 14)),
        component_budgets=parse_component_budgets(budgets) if isinstance(budgets, str) else budgets,
        component_by=value(values, "component_by", "auto"),
        # The memory wants the passing tests and the commit: collected in the same pass
        # rather than by reading the log again.
        collect_run_meta=bool(value(values, "store_memory", False)),
        baseline_log=_baseline_log(values),
        baseline=not value(values, "no_baseline", False),
    )
    if opts.baseline_log and not opts.baseline:
        raise UsageError("--baseline-log and --no-baseline contradict each other: give one")
    if value(values, "memory_optimized", False):
        opts.max_batch_lines = MEMORY_OPTIMIZED_BATCH_LINES
        opts.chunk_size = opts.chunk_size or MEMORY_OPTIMIZED_CHUNK_SIZE
    return opts


def _baseline_log(values: Any) -> str | None:
    """``baseline_log`` as a path: given, a string naming a log (``-`` is the log being
    summarized's stdin, so never a baseline).

    Raises:
        UsageError: an empty path or ``-``.
    """
    from tokopt_pipeline.lib.engine.priority import UsageError

    path = value(values, "baseline_log")
    if path is None:
        return None
    path = str(path)
    if not path.strip() or path == "-":
        raise UsageError(f"--baseline-log takes the path of a passing run's log, not {path!r}")
    return path
