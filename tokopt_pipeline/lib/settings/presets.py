"""Configuration presets: named, documented sets of settings.

A preset is a starting point, not a mode: it fills in settings the command line did
not give (an explicit flag always wins), and a JSON profile can extend one
(``"extends": "ci-integration"``). Setting names are the command's option names with
underscores (``token_budget`` for ``--token-budget``), the same names a profile file
uses (:mod:`.config`).

Example:
    >>> PRESETS["ci-integration"].settings["priority_filter"]
    'high'
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The default token budget (the spec's): every way in uses this one.
DEFAULT_TOKEN_BUDGET = 76659

__all__ = ["Preset", "PRESETS", "SETTINGS", "get_preset", "DEFAULTS", "DEFAULT_TOKEN_BUDGET"]

# Every setting a preset or profile may carry: name -> what it does.
SETTINGS: dict[str, str] = {
    "token_budget": "hard limit of the summary in tokens",
    "token_buffer": "safety margin subtracted from the budget",
    "profile": "tagging rules (pytest, github-actions, ..., or auto)",
    "priority_filter": "keep only this level and more important content",
    "format": "markdown, json or text",
    "chunk_size": "lines per chunk (null: adaptive)",
    "strict_estimation": "count the input's tokens exactly",
    "redact": "replace secrets before anything is counted",
    "add_priority_pattern": "extra REGEX=LEVEL rules, evaluated first",
    "max_traceback_lines": "lines kept per representative traceback",
    "component_budgets": "token budget per component (CI step, logger or source file)",
    "component_by": "how a log is split into components: step, logger, file or auto",
    "adaptive_optimization": "pick the most detailed settings that reach the targets",
    "min_compression": "adaptive: least reduction of the input, in percent",
    "target_tokens": "adaptive: the summary's target size in tokens",
}

# The built-in values of the settings above (what `balanced` amounts to).
DEFAULTS: dict[str, object] = {
    "token_budget": DEFAULT_TOKEN_BUDGET,
    "token_buffer": 0,
    "profile": "auto",
    "priority_filter": "verbose",
    "format": "markdown",
    "chunk_size": None,
    "strict_estimation": False,
    "redact": True,
    "add_priority_pattern": [],
    "max_traceback_lines": 14,
    "component_budgets": None,
    "component_by": "auto",
    "adaptive_optimization": False,
    "min_compression": None,
    "target_tokens": None,
}


@dataclass(frozen=True)
class Preset:
    """A named set of settings, with what it is for and why each value was chosen."""

    name: str
    purpose: str
    why: str
    settings: dict[str, object] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "balanced",
            "Balance between detail and compression (the defaults)",
            "All levels may appear; failures and errors take the budget first and what is "
            "left goes to warnings, then information, then debug lines.",
            {"token_budget": DEFAULT_TOKEN_BUDGET, "priority_filter": "verbose", "max_traceback_lines": 14, "format": "markdown"},
        ),
        Preset(
            "ci-integration",
            "A CI step summary or PR comment read by a person or a coding agent",
            "16,000 tokens leave room in a model's context for the code under review; a "
            "500-token buffer absorbs the prompt around the summary; only failures and "
            "errors are worth a reviewer's attention; 10-line tracebacks keep the "
            "innermost frames.",
            {"token_budget": 16000, "token_buffer": 500, "priority_filter": "high", "max_traceback_lines": 10, "format": "markdown"},
        ),
        Preset(
            "monitoring",
            "Feeding a token-usage dashboard or another program",
            "JSON is parsed, not read; 8,000 tokens per summary keep a dashboard's "
            "storage and spend flat; warnings are kept because their trend is what a "
            "dashboard shows; short tracebacks (6 lines).",
            {"token_budget": 8000, "priority_filter": "medium", "max_traceback_lines": 6, "format": "json"},
        ),
        Preset(
            "max-compression",
            "The smallest summary that still names every failure",
            "4,000 tokens; plain text saves the Markdown markup; only critical and high "
            "content; 4-line tracebacks. Critical content is shortened (test names "
            "grouped by file, identical messages merged), never dropped without a count.",
            {"token_budget": 4000, "priority_filter": "high", "max_traceback_lines": 4, "format": "text"},
        ),
        Preset(
            "test-debugging",
            "Preserve test failure details for debugging a failing suite",
            "The full default budget; 40-line tracebacks so the assertion, the "
            "comparison and the frames that led there survive; info and debug lines "
            "are left out so they do not compete with tracebacks; exact input counts.",
            {"token_budget": DEFAULT_TOKEN_BUDGET, "priority_filter": "medium", "max_traceback_lines": 40, "strict_estimation": True, "format": "markdown"},
        ),
    ]
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        UsageError: no such preset (the message lists the valid names).
    """
    try:
        return PRESETS[name]
    except KeyError:
        from tokopt_pipeline.lib.engine.priority import UsageError

        raise UsageError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}") from None
