"""Settings on the command line: presets, profiles, the adaptive choice, and the
``tokopt config`` commands (``validate``, ``save``).

Precedence (later wins): built-in defaults, ``--preset``, the profile
(``--optimization-profile`` / ``--custom-profile-path``), options given on the command
line (an option counts as given when it appears, even with its default value). The
layering itself is :func:`tokopt_pipeline.lib.settings.layers.layered`, the one the Python API
and Dagster use too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tokopt_pipeline.cli.command import Group
from tokopt_pipeline.cli.output import Bar, out
from tokopt_pipeline.cli.params import args_of, use
from tokopt_pipeline.lib.settings.presets import DEFAULTS, SETTINGS

__all__ = ["apply_settings", "effective_settings", "logs_of", "adapt", "save_profile", "config", "SETTING_OPTIONS"]

#: The options that are settings (a preset or profile may carry them), and the ones
#: that say where settings come from.
SETTING_OPTIONS = (
    "preset", "optimization_profile", "custom_profile_path", "token_budget", "token_buffer", "priority_filter",
    "profile", "add_priority_pattern", "format", "chunk_size", "strict_estimation", "redact", "max_traceback_lines",
    "component_budgets", "component_by", "adaptive_optimization", "min_compression", "target_tokens",
)


def logs_of(args) -> list[str]:
    """The logs a command was given: ``--log-file`` and the positional LOGs."""
    return ([args.log_file] if args.log_file else []) + list(args.paths or [])


def apply_settings(args) -> list[str]:
    """Fill in every setting not given on the command line from the preset and profile;
    returns where settings came from."""
    from tokopt_pipeline.lib.settings.layers import layered

    settings, sources = layered(args, args.explicit)
    for key, value in settings.items():
        if getattr(args, key, None) is None and value == DEFAULTS[key]:
            continue  # nothing to fill in
        setattr(args, key, value)
    return sources


def effective_settings(args) -> dict:
    """The value of every setting now in ``args``."""
    out_ = {}
    for key in SETTINGS:
        v = getattr(args, key, None)
        out_[key] = DEFAULTS[key] if v is None else v
    return out_


def adapt(args, log: str) -> None:
    """``--adaptive-optimization``: try settings from most detailed to most compressed,
    keep the first that reaches the targets, and say what was picked."""
    from tokopt_pipeline.lib.engine.adaptive import choose
    from tokopt_pipeline.lib.settings.layers import summary_options

    bar = Bar("reading")
    choice = choose(log, summary_options(args), args.min_compression, args.target_tokens, progress=None)
    bar.done()
    args.priority_filter = choice.priority_filter.label
    args.token_budget = choice.token_budget
    args.token_buffer = 0
    print(choice.describe(args.min_compression, args.target_tokens), file=out(args))


def save_profile(args, sources: list[str]) -> None:
    """``--save-profile NAME``: the settings in effect, saved as a named profile."""
    from tokopt_pipeline.lib.settings.profile_files import DEFAULT_PROFILES_PATH
    from tokopt_pipeline.lib.settings.profile_files import save_profile as save

    settings = {k: v for k, v in effective_settings(args).items() if v is not None and k not in ("adaptive_optimization", "min_compression", "target_tokens")}
    if args.component_budgets is None:
        settings.pop("component_budgets", None)
    path = save(args.custom_profile_path or DEFAULT_PROFILES_PATH, args.save_profile, settings,
                description="saved by tokopt --save-profile" + (f" from {', '.join(sources)}" if sources else ""))
    print(f"saved profile {args.save_profile!r} to {path}", file=out(args))


def _writable_dir(path: Path) -> tuple[bool, str]:
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    if not p.is_dir():
        return False, f"{p} is not a folder"
    if not os.access(p, os.W_OK | os.X_OK):
        return False, f"{p} is not writable"
    return True, "exists" if p == path else f"will be created under {p}"


def _config_problems(args, config_error) -> list[tuple[bool, str]]:
    """(ok, message) for every setting and file the command would use."""
    from tokopt_pipeline.lib.engine import tokens as tok
    from tokopt_pipeline.lib.engine.components import check_budgets
    from tokopt_pipeline.lib.engine.priority import Level, parse_priority_pattern
    from tokopt_pipeline.lib.engine.profiles import get_profile
    from tokopt_pipeline.lib.errors import TokoptError
    from tokopt_pipeline.lib.settings.profile_files import DEFAULT_PROFILES_PATH, load_profiles

    res: list[tuple[bool, str]] = []
    if config_error is not None:
        res.append((False, config_error.message))
    elif args.preset or args.optimization_profile or args.custom_profile_path:
        what = ", ".join(filter(None, [args.preset and f"preset {args.preset}", args.optimization_profile and f"profile {args.optimization_profile}", args.custom_profile_path]))
        res.append((True, f"presets and profiles: {what}"))
    if not args.custom_profile_path and DEFAULT_PROFILES_PATH.exists():
        try:
            pf = load_profiles(DEFAULT_PROFILES_PATH)
            res.append((True, f"saved profiles {DEFAULT_PROFILES_PATH}: {', '.join(pf.names())}"))
        except TokoptError as exc:
            res.append((False, exc.message))
    budget, buffer = int(args.token_budget), int(args.token_buffer or 0)
    res.append((buffer < budget, f"token budget {budget:,}, buffer {buffer:,}" + ("" if buffer < budget else ": the buffer leaves no budget")))
    try:
        if args.profile != "auto":
            get_profile(args.profile)
        res.append((True, f"log profile {args.profile}"))
    except TokoptError as exc:
        res.append((False, exc.message))
    if args.priority_filter:
        try:
            Level.parse(str(args.priority_filter))
            res.append((True, f"priority filter {args.priority_filter}"))
        except TokoptError as exc:
            res.append((False, exc.message))
    for spec in args.add_priority_pattern or []:
        try:
            parse_priority_pattern(spec)
            res.append((True, f"priority pattern {spec!r}"))
        except TokoptError as exc:
            res.append((False, exc.message))
    if args.component_budgets:
        probs = check_budgets(args.component_budgets, budget - buffer)
        res.extend((False, p) for p in probs)
        if not probs:
            res.append((True, f"component budgets {sum(args.component_budgets.values()):,} of {budget - buffer:,} tokens"))
    if args.min_compression is not None and not args.min_compression < 100:
        res.append((False, f"--min-compression {args.min_compression:g}: must be below 100"))
    if args.target_tokens and args.target_tokens > budget:
        res.append((False, f"--target-tokens {args.target_tokens:,} is above --token-budget {budget:,}: the budget wins"))
    if args.fail_on_threshold is not None and args.fail_on_threshold > 100:
        res.append((True, f"--fail-on-threshold {args.fail_on_threshold:g}% (above 100: only totals over the budget fail)"))
    warning = getattr(args, "warning_threshold", None)
    critical = getattr(args, "critical_threshold", None)
    if warning is not None and critical is not None and float(warning) >= float(critical):
        res.append((False, f"--warning-threshold {warning} must be below --critical-threshold {critical}"))
    for log in logs_of(args):
        if log == "-":
            continue
        if not os.path.exists(log):
            res.append((False, f"log {log}: not found"))
        elif os.path.isdir(log):
            res.append((False, f"log {log}: is a directory"))
        elif not os.access(log, os.R_OK):
            res.append((False, f"log {log}: not readable"))
        else:
            res.append((True, f"log {log}: {os.path.getsize(log):,} bytes"))
    ok, why = _writable_dir(Path(args.output_dir))
    res.append((ok, f"output dir {args.output_dir}: {why}"))
    for flag in ("output", "report_json", "report_markdown", "badge", "badge_endpoint", "export_templates"):
        v = getattr(args, flag, None)
        if v and v != "-" and not v.startswith("/dev/"):
            ok, why = _writable_dir(Path(v).resolve().parent)
            res.append((ok, f"--{flag.replace('_', '-')} {v}: folder {why}"))
    if args.from_report and not os.path.isfile(args.from_report):
        res.append((False, f"--from-report {args.from_report}: not found"))
    try:
        model = tok.load_model()
        res.append((True, f"token model {model.source}"))
    except TokoptError as exc:
        res.append((False, exc.message))
    try:
        tok.count("ok")
        res.append((True, "tokenizer cl100k_base (offline data) loads"))
    except Exception as exc:
        res.append((False, f"tokenizer cannot load: {exc}"))
    try:
        from tokopt_pipeline.lib.store.db import Store

        st = Store.from_env()
        ok, why = _writable_dir(Path(st.path).parent)
        res.append((ok, f"store {st.path}: folder {why}"))
    except Exception as exc:
        res.append((False, f"store: {exc}"))
    return res


def _validate_config(args, config_error) -> int:
    checks = _config_problems(args, config_error)
    bad = [m for ok, m in checks if not ok]
    for ok, msg in checks:
        print(f"{'ok  ' if ok else 'FAIL'}  {msg}")
    if bad:
        print(f"tokopt: {len(bad)} configuration problem{'s' if len(bad) != 1 else ''}", file=sys.stderr)
        return 1
    print("configuration ok")
    return 0


@click.group(cls=Group)
def config() -> None:
    """Check the settings and files a command would use; save settings as a profile."""


@config.command("validate")
@click.argument("paths", nargs=-1, metavar="[LOG]...")
@use("log_file", *SETTING_OPTIONS, "output", "output_dir", "export_templates", "store_path",
     "changed_since", "report_json", "report_markdown", "fail_on_threshold", "badge", "badge_endpoint", "from_report",
     "warning_threshold", "critical_threshold", "verbose")
@click.pass_context
def validate(ctx: click.Context, **_: object) -> int:
    """Check every setting and file the same options would use (presets, profiles,
    budgets, patterns, logs, output folders, the token model, the tokenizer, the
    store); print what is wrong; exit 1 if anything is.

    Takes the options of `tokopt summarize` and `tokopt ci validate`
    (`tokopt config validate --help-all` lists them)."""
    from tokopt_pipeline.lib.errors import TokoptError

    args = args_of(ctx)
    config_error = None
    try:
        sources = apply_settings(args)
        if args.verbose and sources:
            print("settings from: " + ", ".join(sources), file=sys.stderr)
    except TokoptError as exc:
        config_error = exc
    return _validate_config(args, config_error)


@config.command("save")
@click.argument("name")
@use(*SETTING_OPTIONS)
@click.pass_context
def save(ctx: click.Context, name: str, **_: object) -> int:
    """Save the settings these options give (after the preset and profile) as profile
    NAME, in --custom-profile-path or .tokopt/profiles.json."""
    args = args_of(ctx, save_profile=name)
    sources = apply_settings(args)
    save_profile(args, sources)
    return 0
