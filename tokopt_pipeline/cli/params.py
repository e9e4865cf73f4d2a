"""Every option of the ``tokopt`` command, defined once; each command picks its own.

An option is known by its destination name (``token_budget`` for ``--token-budget``, the
name :mod:`tokopt_pipeline.lib.settings.layers` uses too). :func:`use` applies a list of them
to a command; :func:`args_of` turns what click parsed into the namespace the command's
code reads, with every other option at its default and the set of options given on
the command line (a preset or profile never overrides those).

``more=True`` marks an option the short ``--help`` leaves out (``--help-all`` and
docs/cli.md list every one).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import click

from tokopt_pipeline.lib.settings.presets import PRESETS

__all__ = ["OPTIONS", "Spec", "use", "args_of", "Number", "takes_value", "flag_names"]


class Number(click.ParamType):
    """A number read by ``convert`` (else "expected WHAT") and kept when it is finite
    and ``ok`` holds (else ``out_of_range``, formatted with ``v`` and ``text``): a usage
    error, exit 2."""

    def __init__(self, convert: Callable[[str], Any], what: str, ok: Callable[[Any], bool], out_of_range: str, metavar: str):
        self.convert_text, self.what, self.ok, self.out_of_range, self.name = convert, what, ok, out_of_range, metavar

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            v = self.convert_text(value.strip())
        except (ValueError, OverflowError):
            self.fail(f"expected {self.what}, got {value!r}", param, ctx)
        if not math.isfinite(v) or not self.ok(v):
            self.fail(self.out_of_range.format(v=v, text=value), param, ctx)
        return v


def whole(low: int, high: int, metavar: str = "N") -> Number:
    """A whole number from ``low`` to ``high``."""
    return Number(int, "a whole number", lambda v: low <= v <= high, f"expected a whole number from {low:,} to {high:,}, got {{text}}", metavar)


#: The largest token budget (and token count) an option takes: far above any model's context.
MAX_TOKENS = 1_000_000_000

POSITIVE_INT = whole(1, MAX_TOKENS)
NON_NEGATIVE_INT = whole(0, MAX_TOKENS)
POSITIVE_FLOAT = Number(float, "a number", lambda v: 0 < v <= 1_000_000, "expected a number above 0 and at most 1,000,000, got {text}", "MB")
#: Minimum compression and the --fail-on-threshold share: "30" or "30%", 0 allowed.
PERCENT = Number(lambda t: float(t.rstrip("%")), "a percentage", lambda v: 0 <= v <= 1_000_000, "expected 0 or more, got {text}", "PCT")
#: The share of the input a summary may keep: below 100%.
COMPRESSION = Number(lambda t: float(t.rstrip("%")), "a percentage", lambda v: 0 <= v < 100, "expected a percentage from 0 to below 100, got {text}", "PCT")
#: Alert thresholds: a share of the budget, above 0 (a run can go over its budget).
THRESHOLD = Number(float, "a percentage", lambda v: 0 < v <= 1000, "expected a percentage above 0 and at most 1000, got {text}", "PCT")


class ComponentBudgets(click.ParamType):
    """``--component-budgets``: JSON text, or the path of a JSON file (read here, so
    that a file that cannot be read is a usage error naming it, not a traceback)."""

    name = "JSON"

    def convert(self, value, param, ctx):
        from tokopt_pipeline.lib.engine.components import parse_component_budgets
        from tokopt_pipeline.lib.errors import TokoptError

        if not isinstance(value, str):
            return value
        text = value
        if not value.lstrip().startswith("{") and os.path.lexists(value):
            text = self._read(value, param, ctx)
        try:
            return parse_component_budgets(text)
        except TokoptError as exc:
            msg = exc.message.removeprefix("--component-budgets: ")
            self.fail(f"{value}: {msg}" if text is not value else msg, param, ctx)

    def _read(self, path: str, param, ctx) -> str:
        if os.path.isdir(path):
            self.fail(f"{path} is a folder; give a JSON file or JSON text", param, ctx)
        try:
            with open(path, "rb") as f:
                data = f.read(1_000_001)
        except OSError as exc:
            self.fail(f"cannot read {path}: {exc.strerror or exc}", param, ctx)
        if len(data) > 1_000_000:
            self.fail(f"{path} is over 1 MB; expected a small JSON object of component budgets", param, ctx)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.fail(f"{path} is not UTF-8 text; expected a JSON object such as {{\"api\": 20000}}", param, ctx)


class Checked(click.ParamType):
    """Text ``check(value, what)`` accepts (else its ValueError: a usage error, exit 2,
    so that a bad value is never stored)."""

    def __init__(self, check: str, what: str, metavar: str):
        self.check, self.what, self.name = check, what, metavar

    def convert(self, value, param, ctx):
        from tokopt_pipeline.lib.usage import alerts

        if not isinstance(value, str):
            return value
        try:
            getattr(alerts, self.check)(value, self.what)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return value


@dataclass(frozen=True)
class Spec:
    """One option: its flags, its default and its click settings."""

    decls: tuple[str, ...]
    help: str
    default: Any = None
    more: bool = False
    kw: dict = field(default_factory=dict)


def _o(*decls: str, help: str, default: Any = None, more: bool = False, **kw) -> Spec:
    return Spec(decls, help, default, more, kw)


_FLAG = {"is_flag": True}
_PRESETS = ", ".join(PRESETS)

#: Every option, by destination name, in the order ``--help`` lists them.
OPTIONS: dict[str, Spec] = {
    # -- input and output
    "log_file": _o("--log-file", help="the log to summarize (same as LOG)", metavar="PATH"),
    "output": _o("--output", "-o", help="write the summary to FILE (- for stdout)", metavar="FILE"),
    "output_dir": _o("--output-dir", default="./logs", help="folder for the outputs (default: ./logs)", metavar="DIR"),
    "format": _o("--format", default="markdown", help="markdown (default), json or text", type=click.Choice(["markdown", "json", "text"]), show_choices=False, metavar="FORMAT"),
    "max_log_size": _o("--max-log-size", default=5.0, more=True, type=POSITIVE_FLOAT, help="rotation: delete summaries and chunks tokopt wrote in --output-dir larger than MB (default: 5)"),
    "max_logs": _o("--max-logs", default=10, more=True, type=whole(1, 1_000_000), help="rotation: keep at most N of the summaries tokopt wrote in --output-dir (listed in its .tokopt-outputs.json), newest first (default: 10)"),
    "export_templates": _o("--export-templates", more=True, metavar="FILE.csv", help="also write one row per input line: line_number,template_id,template"),
    "preprocess": _o("--preprocess", default=False, help="also write the tagged chunks (.chunks.jsonl)", **_FLAG),
    # -- budget
    "token_budget": _o("--token-budget", default=76659, type=POSITIVE_INT, help="hard limit in tokens (default: 76659)"),
    "token_buffer": _o("--token-buffer", default=0, type=NON_NEGATIVE_INT, help="margin taken off the budget (default: 0)"),
    "auto_truncate": _o("--auto-truncate", default=False, more=True, help="accepted for compatibility: a summary is never over budget", **_FLAG),
    # -- what to keep
    "priority_filter": _o("--priority-filter", metavar="LEVEL", help="keep only LEVEL and above (e.g. high)"),
    "profile": _o("--profile", default="auto", metavar="NAME", help="tagging rules: pytest, github-actions, python-logging, java, syslog, json-lines, generic (default: auto)"),
    "add_priority_pattern": _o("--add-priority-pattern", default=(), more=True, metavar="REGEX=LEVEL", multiple=True, help="extra rule, evaluated first (repeatable)"),
    "redact": _o("--no-redact", "redact", default=True, more=True, is_flag=True, flag_value=False, help="do not redact secrets (on by default)"),
    # -- processing
    "chunk_size": _o("--chunk-size", type=whole(1, 100_000_000, "LINES"), metavar="LINES", help="lines per chunk (default: by file size)"),
    "stream_processing": _o("--stream-processing", default=False, more=True, help="accepted for compatibility: input is always streamed", **_FLAG),
    "parallel_workers": _o("--parallel-workers", more=True, type=whole(1, 1024), help="threads for the vectorized stages and the tokenizer (default: all cores)"),
    "memory_optimized": _o("--memory-optimized", default=False, more=True, help="batches of 10,000 lines: a third of the memory, 1.7x the time", **_FLAG),
    "strict_estimation": _o("--strict-estimation", default=False, more=True, help="count the input's tokens exactly instead of estimating large inputs", **_FLAG),
    "verbose": _o("--verbose", "-v", default=False, help="progress, settings and timings on stderr", **_FLAG),
    "debug_tokens": _o("--debug-tokens", default=False, more=True, help="where the summary's tokens went, per section, on stderr", **_FLAG),
    # -- settings: presets, profiles, adaptive choice, component budgets
    "preset": _o("--preset", help=f"settings for a use: {_PRESETS}", type=click.Choice(list(PRESETS)), show_choices=False, metavar="NAME"),
    "optimization_profile": _o("--optimization-profile", metavar="NAME", help="the settings of a saved profile (or a preset)"),
    "custom_profile_path": _o("--custom-profile-path", more=True, metavar="FILE.json", help="JSON file of named profiles (validated; errors name the key and line)"),
    "save_profile": _o("--save-profile", more=True, metavar="NAME", help="save the settings in effect as profile NAME (--custom-profile-path or .tokopt/profiles.json)"),
    "adaptive_optimization": _o("--adaptive-optimization", default=False, more=True, help="pick the most detailed settings that reach the targets below; says what it picked", **_FLAG),
    "min_compression": _o("--min-compression", more=True, type=COMPRESSION, help="adaptive: the summary is at most (100-PCT)% of the input's tokens"),
    "target_tokens": _o("--target-tokens", more=True, type=POSITIVE_INT, help="adaptive: the summary's size in tokens (at most --token-budget)"),
    "component_budgets": _o("--component-budgets", more=True, type=ComponentBudgets(), help="token budget per component, e.g. '{\"api\":20000,\"misc\":5000}' or a .json file"),
    "component_by": _o("--component-by", more=True, type=click.Choice(["auto", "step", "logger", "file"]), help="components are CI steps, logger names or source files (default: auto)"),
    "max_traceback_lines": _o("--max-traceback-lines", more=True, type=whole(1, 1_000_000), help="lines kept per representative traceback (default: 14)"),
    # -- the store, the memory and usage
    "store_path": _o("--store-path", more=True, metavar="FILE", help="the DuckDB store (default: $TOKOPT_DUCKDB_PATH or .tokopt/tokopt.duckdb)"),
    "no_store": _o("--no-store", default=False, more=True, help="do not record the summary in the store", **_FLAG),
    "store_memory": _o("--store-memory", default=False, help="remember the run; mark new errors, flaky tests", **_FLAG),
    "commit": _o("--commit", more=True, metavar="SHA", help="the commit the log was made from (default: from the log's CI metadata)"),
    "suite": _o("--suite", more=True, metavar="NAME", type=Checked("check_label", "the name", "NAME"), help="the run's suite and usage component (default: the log's name without numbers)"),
    "baseline_log": _o("--baseline-log", metavar="PASSING.log", help="a log of the last passing run: lines it had too are listed after what is new, and counted"),
    "no_baseline": _o("--no-baseline", default=False, more=True, help="with --store-memory, do not demote what the suite's last passing run had too", **_FLAG),
    "track_usage": _o("--track-usage", default=False, help="record the run's token use", **_FLAG),
    "enable_monitoring": _o("--enable-monitoring", default=False, more=True, help="save the alert settings and check every tracked run against them", **_FLAG),
    "alert_email": _o("--alert-email", more=True, metavar="ADDR", type=Checked("check_address", "the address", "ADDR"), help="where alerts go (SMTP from TOKOPT_SMTP_* or .tokopt/smtp.toml)"),
    "warning_threshold": _o("--warning-threshold", more=True, type=THRESHOLD, help="warning at PCT% of the budget (default: 80)"),
    "critical_threshold": _o("--critical-threshold", more=True, type=THRESHOLD, help="critical at PCT% of the budget (default: 95)"),
    # -- CI validation
    "changed_since": _o("--changed-since", metavar="REV", help="the files 'git diff --name-only REV' lists (deleted files left out)"),
    "report_json": _o("--report-json", metavar="FILE", help="the report as JSON (the spec's structure; - for stdout)"),
    "report_markdown": _o("--report-markdown", metavar="FILE", help='the report as a Markdown table (e.g. "$GITHUB_STEP_SUMMARY")'),
    "fail_on_threshold": _o("--fail-on-threshold", type=PERCENT, help="exit 1 when the files together use more than PCT% of the budget"),
    "badge": _o("--badge", metavar="FILE.svg", help="the token-efficiency badge as SVG"),
    "badge_endpoint": _o("--badge-endpoint", metavar="FILE.json", help="the badge as shields.io endpoint JSON"),
    "from_report": _o("--from-report", metavar="FILE.json", help="a saved --report-json instead of counting again"),
    # -- diagnostics
    "simulation_size": _o("--simulation-size", default=1.0, type=Number(float, "a number", lambda v: 0 < v <= 1024, "expected a size in MB above 0 and at most 1024, got {text}", "MB"), help="size of each generated log in MB (default: 1)"),
    # -- tokopt run
    "tee": _o("--tee", default=False, help="also show the command's output as it runs", **_FLAG),
    "on_failure_only": _o("--on-failure-only", default=False, help="when the command passes, print only a one-line result", **_FLAG),
    "result_json": _o("--result-json", more=True, metavar="FILE", help="also write the run's result as JSON: exit code, full log, summary, failing tests"),
}

#: Names the command's code reads that are no option of OPTIONS, with their defaults.
EXTRA_DEFAULTS: dict[str, Any] = {"paths": []}


def _option(dest: str, spec: Spec | None = None) -> Callable:
    """The click option of ``dest``, from OPTIONS (or from ``spec``, a command's variant)."""
    from tokopt_pipeline.cli.command import MoreOption

    spec = spec or OPTIONS[dest]
    kw = dict(spec.kw)
    if spec.more:
        kw["cls"] = MoreOption
    decls = spec.decls if any(not d.startswith("-") for d in spec.decls) else (*spec.decls, dest)
    return click.option(*decls, default=spec.default, help=spec.help, **kw)


def use(*dests: str) -> Callable:
    """A decorator adding these options to a command, in this order."""

    def apply(f: Callable) -> Callable:
        for dest in reversed(dests):
            f = _option(dest)(f)
        return f

    return apply


def use_defaults(defaults: dict[str, tuple[Any, str]], *dests: str) -> Callable:
    """:func:`use`, with some options' default and help set for this command:
    ``{dest: (default, help)}`` (``tokopt run``'s budget of 4,000, for one)."""

    def apply(f: Callable) -> Callable:
        for dest in reversed(dests):
            if dest in defaults:
                default, text = defaults[dest]
                spec = OPTIONS[dest]
                f = _option(dest, Spec(spec.decls, text, default, spec.more, spec.kw))(f)
            else:
                f = _option(dest)(f)
        return f

    return apply


def args_of(ctx: click.Context, **extra: Any) -> SimpleNamespace:
    """The parsed options of ``ctx`` as a namespace: every option of :data:`OPTIONS` (its
    default when the command does not take it), ``extra`` names, and ``explicit``: the
    options given on the command line."""
    values = {d: (list(s.default) if isinstance(s.default, tuple) else s.default) for d, s in OPTIONS.items()}
    values.update({k: (list(v) if isinstance(v, list) else v) for k, v in EXTRA_DEFAULTS.items()})
    explicit = set()
    for name, value in ctx.params.items():
        values[name] = list(value) if isinstance(value, tuple) else value
        if ctx.get_parameter_source(name) in (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT):
            explicit.add(name)
    values.update(extra)
    return SimpleNamespace(**values, explicit=explicit)


def flag_names() -> dict[str, str]:
    """Every option flag (``--token-budget``, ``-o``) -> its destination name."""
    return {d: dest for dest, s in OPTIONS.items() for d in s.decls if d.startswith("-")}


def takes_value(flag: str) -> bool:
    """Whether ``flag`` (an option of :data:`OPTIONS`) is followed by a value."""
    dest = flag_names().get(flag)
    if dest is None:
        return False
    kw = OPTIONS[dest].kw
    return not (kw.get("is_flag") or kw.get("count"))
