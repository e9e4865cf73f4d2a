"""``tokopt usage``: token use against budget (``check``) and threshold alerts
(``monitor``). A summary records its usage with ``--track-usage``."""

from __future__ import annotations

import click

from tokopt_pipeline.cli.command import Group
from tokopt_pipeline.cli.output import CommandUsageError
from tokopt_pipeline.cli.params import args_of, use

__all__ = ["usage", "monitor_of", "enable_monitoring"]


@click.group(cls=Group)
def usage() -> None:
    """Token use against budget, and alerts when runs near it."""


@usage.command("check")
@use("store_path")
@click.pass_context
def check(ctx: click.Context, **_: object) -> int:
    """Use against budget for today, the last 7 days and all time, per component,
    and the alerts raised."""
    from tokopt_pipeline.lib.store.db import Store
    from tokopt_pipeline.lib.usage import ledger as ledger

    args = args_of(ctx)
    with Store.from_env(args.store_path).connect() as conn:
        print(ledger.format_report(ledger.usage_report(conn)))
    return 0


@usage.command("monitor")
@use("alert_email", "warning_threshold", "critical_threshold", "store_path")
@click.pass_context
def monitor(ctx: click.Context, **_: object) -> int:
    """Save the alert settings; every run recorded with --track-usage is then checked
    against them and an alert mailed once per crossing (SMTP from TOKOPT_SMTP_HOST,
    _PORT, _FROM, _USER, _PASSWORD, _STARTTLS or .tokopt/smtp.toml)."""
    enable_monitoring(args_of(ctx))
    return 0


def monitor_of(args):
    from tokopt_pipeline.lib.usage import ledger as ledger

    return ledger.Monitor(
        email=args.alert_email,
        warning=args.warning_threshold if args.warning_threshold is not None else ledger.DEFAULT_WARNING,
        critical=args.critical_threshold if args.critical_threshold is not None else ledger.DEFAULT_CRITICAL,
    )


def enable_monitoring(args) -> None:
    """Check and save the alert settings (raises a usage error when they are wrong)."""
    import sys

    from tokopt_pipeline.lib.store.db import Store
    from tokopt_pipeline.lib.usage import alerts

    mon = monitor_of(args)
    if mon.warning >= mon.critical:
        raise CommandUsageError(f"--warning-threshold ({mon.warning:g}) must be below --critical-threshold ({mon.critical:g})")
    if not mon.email:
        raise CommandUsageError("--enable-monitoring needs --alert-email ADDR")
    alerts.load_settings()  # fail now, not at the first alert, when SMTP is not configured
    store = Store.from_env(args.store_path)
    status = store.write("usage_monitor", {"enabled": True, "email": mon.email, "warning": mon.warning, "critical": mon.critical})
    where = "" if status == "applied" else f" (store busy: queued in {status})"
    print(f"monitoring on: alerts to {mon.email} at {mon.warning:g}% (warning) and {mon.critical:g}% (critical) of the budget{where}",
          file=sys.stderr if args.output == "-" or args.format == "json" else sys.stdout)
