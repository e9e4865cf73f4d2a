"""Configuration, CI validation and diagnostics flags of the ``tokopt`` command.

An extension of :mod:`tokopt_pipeline.cli`: :func:`add_arguments` adds the flag groups,
:func:`handle` runs before the summary (applies presets and profiles, runs the
commands that replace a summary), :func:`after_summary` prints the token distribution
and the component budgets of a summary.

Settings precedence (later wins): built-in defaults, ``--preset``, the profile
(``--optimization-profile`` / ``--custom-profile-path``), flags given on the command
line. A flag counts as given when it appears on the command line, even with its default
value.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .cli import _positive_int, number_type
from .lib.presets import PRESETS, SETTINGS
from .lib.thresholds import CRITICAL_PCT, WARNING_PCT

__all__ = ["add_arguments", "handle", "after_summary"]

_EXPLICIT = "_tokopt_explicit"


# Minimum compression and the --fail-on-threshold share: "30" or "30%", 0 allowed.
_pct = number_type(lambda t: float(t.rstrip("%")), "a percentage", lambda v: v >= 0, "expected 0 or more, got {v:g}")


def _component_budgets(text: str) -> dict:
    from .lib.components import parse_component_budgets
    from .lib.errors import TokoptError

    try:
        return parse_component_budgets(text)
    except TokoptError as exc:
        raise argparse.ArgumentTypeError(exc.message.removeprefix("--component-budgets: ")) from None


def _track_explicit(parser: argparse.ArgumentParser) -> None:
    """Record which setting flags were given, so presets and profiles never override them."""
    for action in parser._actions:
        if action.dest not in SETTINGS or getattr(type(action), "_tokopt_tracked", False):
            continue
        base = type(action)

        def call(self, p, namespace, values, option_string=None, _base=base):
            seen = getattr(namespace, _EXPLICIT, None)
            if seen is None:
                seen = set()
                setattr(namespace, _EXPLICIT, seen)
            seen.add(self.dest)
            return _base.__call__(self, p, namespace, values, option_string)

        action.__class__ = type("Tracked" + base.__name__, (base,), {"__call__": call, "_tokopt_tracked": True})


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("configuration (presets, profiles, adaptive optimization, component budgets)")
    g.add_argument("--preset", choices=list(PRESETS), help="a documented set of settings: " + "; ".join(f"{n}: {pr.purpose.lower()}" for n, pr in PRESETS.items()))
    g.add_argument("--optimization-profile", metavar="NAME", help="use the settings of profile NAME (from --custom-profile-path, else .tokopt/profiles.json, else a preset of that name)")
    g.add_argument("--custom-profile-path", metavar="FILE.json", help="JSON file of named profiles, validated against tokopt's JSON Schema (errors name the key and line)")
    g.add_argument("--save-profile", metavar="NAME", help="save the settings in effect (after presets, profile, flags and adaptive choice) as profile NAME in --custom-profile-path or .tokopt/profiles.json")
    g.add_argument("--adaptive-optimization", action="store_true", default=None, help="try settings from most detailed to most compressed and use the first that shows everything it keeps within the targets; reports the pick")
    g.add_argument("--min-compression", type=_pct, metavar="PCT", help="adaptive: the summary is at most (100-PCT)%% of the input's tokens")
    g.add_argument("--target-tokens", type=_positive_int, metavar="N", help="adaptive: the summary's size in tokens (at most --token-budget)")
    g.add_argument("--component-budgets", type=_component_budgets, metavar="JSON", help="token budget per component, e.g. '{\"api\":20000,\"misc\":5000}' (or a .json file); each part is summarized within its own budget, the total never over --token-budget")
    g.add_argument("--component-by", choices=["auto", "step", "logger", "file"], default=None, help="components are CI steps (##[group]), logger names or source files (default: auto)")
    g.add_argument("--max-traceback-lines", type=_positive_int, metavar="N", help="lines kept per representative traceback (default: 14)")
    g.add_argument("--validate-config", action="store_true", help="check every setting and file this command would use, say what is wrong, exit 1 if anything is")

    g = p.add_argument_group("CI validation")
    g.add_argument("--validate-ci", nargs="*", metavar="PATH", help="count the tokens of files, folders or globs (default: .) against --token-budget and report; exit 1 if a file is over it (or per --fail-on-threshold)")
    g.add_argument("--changed-since", metavar="REV", help="validate the files 'git diff --name-only REV' reports (deleted files left out)")
    g.add_argument("--report-json", metavar="FILE", help="write the validation report as JSON (the spec's structure; - for stdout)")
    g.add_argument("--report-markdown", metavar="FILE", help="write the validation report as a Markdown table (e.g. \"$GITHUB_STEP_SUMMARY\")")
    g.add_argument("--fail-on-threshold", type=_pct, metavar="PCT", help="exit 1 when the files together use more than PCT%% of the budget (instead of: when any file is over it)")
    g.add_argument("--badge", metavar="FILE.svg", help="write the token-efficiency badge as SVG (made locally)")
    g.add_argument("--badge-endpoint", metavar="FILE.json", help="write the badge as shields.io endpoint JSON")
    g.add_argument("--from-report", metavar="FILE.json", help="use a saved --report-json instead of validating again (for --report-markdown, --badge, --fail-on-threshold)")

    g = p.add_argument_group("diagnostics (more)")
    g.add_argument("--diagnostic-report", action="store_true", help="environment, versions, configuration, store health, tokenizer self-check and last runs (--format json for JSON)")
    g.add_argument("--token-distribution", action="store_true", help="with a LOG: its tokens by priority, by component and the top templates (a table, or JSON with --format json)")
    g.add_argument("--benchmark-simulation", action="store_true", help="generate logs of several shapes with planted failures, summarize them under several presets, suggest settings")
    g.add_argument("--simulation-size", type=float, default=1.0, metavar="MB", help="size of each generated log for --benchmark-simulation (default: 1)")
    g.add_argument("--update-tokenizer-config", action="store_true", help="check the tokenizer and rewrite .tokopt/token_model.json with every profile's coefficients")
    _track_explicit(p)


class _Bar:
    """A progress bar on stderr when it is a terminal; silent in CI or when piped."""

    def __init__(self, label: str):
        self.label = label
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI")

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        width = 30
        fill = int(width * done / total)
        sys.stderr.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {done}/{total}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 70 + "\r")


def _out(args) -> object:
    """Where messages go: stderr when the summary itself goes to stdout."""
    return sys.stderr if getattr(args, "output", None) == "-" else sys.stdout


def _logs(args) -> list[str]:
    return ([args.log_file] if args.log_file else []) + list(args.paths)


def apply_settings(args) -> tuple[dict, list[str]]:
    """Resolve the preset and profile and set every setting not given on the command line."""
    from .lib.presets import DEFAULTS
    from .lib.settings import layered

    settings, sources = layered(args, getattr(args, _EXPLICIT, set()))
    for key, value in settings.items():
        if getattr(args, key, None) is None and value == DEFAULTS[key]:
            continue  # nothing to fill in
        setattr(args, key, value)
    return settings, sources


def effective_settings(args) -> dict:
    """The value of every setting now in ``args``."""
    from .lib.presets import DEFAULTS

    out = {}
    for key in SETTINGS:
        v = getattr(args, key, None)
        out[key] = DEFAULTS[key] if v is None else v
    return out


def handle(args) -> int | None:
    from .lib.errors import TokoptError

    sources: list[str] = []
    config_error: TokoptError | None = None
    try:
        _, sources = apply_settings(args)
    except TokoptError as exc:
        if not args.validate_config:
            raise
        config_error = exc
    if args.verbose and sources:
        print("settings from: " + ", ".join(sources), file=sys.stderr)

    if args.validate_config:
        return _validate_config(args, config_error)
    if args.update_tokenizer_config:
        from .lib.diagnostics import update_tokenizer_config

        path, changes = update_tokenizer_config()
        for c in changes:
            print(f"  {c}")
        print(f"saved {path}")
        return 0
    if args.diagnostic_report:
        return _diagnostic_report(args)
    if args.benchmark_simulation:
        return _benchmark(args)
    if args.validate_ci is not None or args.from_report:
        return _validate_ci(args)
    logs = _logs(args)
    if (args.min_compression is not None or args.target_tokens) and not args.adaptive_optimization:
        args.adaptive_optimization = True
    if args.adaptive_optimization:
        if len(logs) != 1 or logs[0] == "-":
            print("tokopt: error: --adaptive-optimization needs one log file (not stdin): tokopt LOG --adaptive-optimization ...", file=sys.stderr)
            return 2
        _adaptive(args, logs[0])
    if args.save_profile:
        from .lib.config import DEFAULT_PROFILES_PATH, save_profile

        settings = {k: v for k, v in effective_settings(args).items() if v is not None and k not in ("adaptive_optimization", "min_compression", "target_tokens")}
        if args.component_budgets is None:
            settings.pop("component_budgets", None)
        path = save_profile(args.custom_profile_path or DEFAULT_PROFILES_PATH, args.save_profile, settings, description="saved by tokopt --save-profile" + (f" from {', '.join(sources)}" if sources else ""))
        print(f"saved profile {args.save_profile!r} to {path}", file=_out(args))
        if not logs:
            return 0
    if args.token_distribution and not logs:
        print("tokopt: error: --token-distribution needs a log: tokopt LOG --token-distribution", file=sys.stderr)
        return 2
    return None


def _adaptive(args, log: str) -> None:
    from .cli import _options_from_args
    from .lib.adaptive import choose

    opts = _options_from_args(args)
    bar = _Bar("reading")
    choice = choose(log, opts, args.min_compression, args.target_tokens, progress=None)
    bar.done()
    args.priority_filter = choice.priority_filter.label
    args.token_budget = choice.token_budget
    args.token_buffer = 0
    print(choice.describe(args.min_compression, args.target_tokens), file=_out(args))


def after_summary(args, summary, out_path) -> int | None:
    stream = sys.stderr if out_path is None else sys.stdout
    comps = getattr(summary, "components", None)
    if comps:
        print(f"  components (by {summary.component_mode}):", file=stream)
        for r in comps:
            print(f"    {r.key:<20} {r.tokens:>8,} of {r.budget:>8,} tokens, {r.lines:,} lines", file=stream)
    if args.token_distribution:
        from .lib.diagnostics import render_distribution, token_distribution

        d = token_distribution(summary, args.component_by or "auto")
        if args.format == "json":
            print(json.dumps(d, indent=2), file=stream)
        else:
            stream.write(render_distribution(d))
    return None


# -- CI validation -------------------------------------------------------------------
def _write(path: str, text: str) -> None:
    from .lib.errors import OutputError
    from .lib.outputs import atomic_write_text

    if path == "-":
        sys.stdout.write(text)
        return
    try:
        if path.startswith("/dev/") or (os.path.exists(path) and not os.path.isfile(path)):
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        elif os.environ.get("GITHUB_STEP_SUMMARY") and os.path.abspath(path) == os.path.abspath(os.environ["GITHUB_STEP_SUMMARY"]):
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        else:
            atomic_write_text(path, text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _validate_ci(args) -> int:
    from .lib import badge
    from .lib.errors import StoreError
    from .lib.validate_ci import exit_code, render_markdown, render_table, validate

    if args.from_report:
        try:
            report = json.loads(Path(args.from_report).read_text(encoding="utf-8"))
            report["percentage_of_budget_used"], report["token_budget"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"--from-report {args.from_report}: not a tokopt validation report ({exc})") from None
    else:
        paths = list(args.validate_ci or []) + _logs(args)
        bar = _Bar("counting")
        report = validate(paths, args.token_budget, changed_since=args.changed_since, progress=bar)
        bar.done()
    if args.report_json:
        _write(args.report_json, json.dumps(report, indent=2) + "\n")
    if args.report_markdown:
        _write(args.report_markdown, render_markdown(report))
    warning = float(getattr(args, "warning_threshold", None) or WARNING_PCT)
    critical = float(getattr(args, "critical_threshold", None) or CRITICAL_PCT)
    svg, endpoint, color = badge.from_report(report, warning, critical)
    if args.badge:
        _write(args.badge, svg)
    if args.badge_endpoint:
        _write(args.badge_endpoint, endpoint)
    if "-" not in (args.report_json, args.report_markdown, args.badge, args.badge_endpoint):
        sys.stdout.write(render_table(report))
    rc = exit_code(report, args.fail_on_threshold)
    if rc:
        why = (
            f"{report['percentage_of_budget_used']}% of the budget used, above --fail-on-threshold {args.fail_on_threshold:g}%"
            if args.fail_on_threshold is not None
            else f"{report['files_over_budget']} file(s) over the budget of {report['token_budget']:,} tokens"
        )
        print(f"tokopt: token validation failed: {why}", file=sys.stderr)
    return rc


# -- diagnostics ----------------------------------------------------------------------
def _emit(args, text: str, what: str) -> int:
    """A report to --output FILE (saying where it went), or to stdout."""
    if args.output and args.output != "-":
        _write(args.output, text)
        print(f"{what}: {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _diagnostic_report(args) -> int:
    from .lib.diagnostics import diagnostic_report, render_report

    problems = _config_problems(args, None)
    rep = diagnostic_report(effective_settings(args), [p for ok, p in problems if not ok], args.output_dir)
    text = json.dumps(rep, indent=2, default=str) + "\n" if args.format == "json" else render_report(rep)
    return _emit(args, text, "diagnostic report")


def _benchmark(args) -> int:
    from .lib.diagnostics import benchmark_simulation, render_benchmark

    bar = _Bar("simulating")
    b = benchmark_simulation(size_mb=max(0.02, args.simulation_size), progress=bar)
    bar.done()
    text = json.dumps(b, indent=2) + "\n" if args.format == "json" else render_benchmark(b)
    return _emit(args, text, "benchmark simulation")


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
    from .lib import tokens as tok
    from .lib.components import check_budgets
    from .lib.config import DEFAULT_PROFILES_PATH, load_profiles
    from .lib.errors import TokoptError
    from .lib.priority import Level, parse_priority_pattern
    from .lib.profiles import get_profile

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
    for log in _logs(args):
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
        from .lib.store import Store

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
