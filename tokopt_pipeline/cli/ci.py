"""``tokopt ci validate``: count the tokens of files against the budget, report them
(table, JSON, Markdown), draw the token-efficiency badge, and fail the step when the
files are over it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tokopt_pipeline.cli.command import Group
from tokopt_pipeline.cli.output import Bar, write
from tokopt_pipeline.cli.params import args_of, use
from tokopt_pipeline.lib.usage.thresholds import CRITICAL_PCT, WARNING_PCT

__all__ = ["ci"]


@click.group(cls=Group)
def ci() -> None:
    """Token validation for CI: reports, badge, exit code."""


@ci.command("validate")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@use("token_budget", "changed_since", "report_json", "report_markdown", "fail_on_threshold", "badge", "badge_endpoint",
     "from_report", "warning_threshold", "critical_threshold")
@click.pass_context
def validate(ctx: click.Context, **_: object) -> int:
    """Count the tokens of files, folders or globs (default: .) against --token-budget
    and report them; exit 1 if a file is over it (or, with --fail-on-threshold, if
    the files together use more than PCT% of it). The badge is green, yellow at
    --warning-threshold, red at --critical-threshold."""
    from tokopt_pipeline.lib.ci import badge
    from tokopt_pipeline.lib.ci.validate import exit_code, render_markdown, render_table
    from tokopt_pipeline.lib.ci.validate import validate as count
    from tokopt_pipeline.lib.errors import StoreError

    args = args_of(ctx)
    if args.from_report:
        try:
            report = json.loads(Path(args.from_report).read_text(encoding="utf-8"))
            report["percentage_of_budget_used"], report["token_budget"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"--from-report {args.from_report}: not a tokopt validation report ({exc})") from None
    else:
        bar = Bar("counting")
        report = count(list(args.paths), args.token_budget, changed_since=args.changed_since, progress=bar)
        bar.done()
    if args.report_json:
        write(args.report_json, json.dumps(report, indent=2) + "\n")
    if args.report_markdown:
        write(args.report_markdown, render_markdown(report))
    warning = float(args.warning_threshold or WARNING_PCT)
    critical = float(args.critical_threshold or CRITICAL_PCT)
    svg, endpoint, _ = badge.from_report(report, warning, critical)
    if args.badge:
        write(args.badge, svg)
    if args.badge_endpoint:
        write(args.badge_endpoint, endpoint)
    from tokopt_pipeline.lib.outputs import is_stdout

    if not any(p and (p == "-" or is_stdout(p)) for p in (args.report_json, args.report_markdown, args.badge, args.badge_endpoint)):
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
