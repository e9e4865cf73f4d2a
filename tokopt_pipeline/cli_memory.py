"""The ``tokopt`` flags for cross-run memory and usage monitoring, and the ``mcp`` and
``report`` subcommands.

With a log, ``--store-memory`` marks the summary (errors never seen before **new**,
flaky tests ``[flaky]``) through the command's ``annotate`` hook, before it is
rendered, so the summary written and the one the store records are the same; then
:func:`after_summary` records the run; ``--track-usage`` records its token
usage; ``--enable-monitoring`` also checks the usage thresholds and mails an alert
once per crossing. Without a log the flags act on the store alone: query, analyse,
export, import, check the connection, replay pending writes, report usage.

Everything goes through :class:`~tokopt_pipeline.lib.store.Store`: writes that find
the store locked wait ``TOKOPT_LOCK_TIMEOUT`` seconds, then land in the pending folder
(``.mcp_local_storage/``) and are replayed by the next command that gets the lock or by
``--reconnect-memory``.
"""

from __future__ import annotations

import argparse
import sys

from .cli import number_type
from .lib.errors import EXIT_OK, EXIT_STORE, EXIT_USAGE

_ACTIONS_BEFORE = ("reconnect_memory", "import_memory")
_ACTIONS_AFTER = ("check_memory_connection", "export_memory", "analyze_memory", "memory_query", "check_usage")


# Alert thresholds: a share of the budget, above 0 (a run can go over its budget).
_percent = number_type(float, "a percentage", lambda v: 0 < v <= 1000, "expected a percentage above 0, got {text}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("memory (errors, tests and runs across runs; kept in the DuckDB store)")
    g.add_argument("--store-memory", action="store_true", help="record this run in the memory and mark the summary: errors never seen before **new**, flaky tests [flaky]")
    g.add_argument("--analyze-memory", action="store_true", help="print what the memory holds: counts by type, top recurring errors, flaky tests")
    g.add_argument("--memory-query", metavar="Q", help="print the entities whose name, type or observations contain Q (case-insensitive), with their relations")
    g.add_argument("--check-memory-connection", action="store_true", help="check that the store opens; print its path, schema, contents and pending writes")
    g.add_argument("--reconnect-memory", action="store_true", help="replay the writes waiting in the pending folder (.mcp_local_storage/) into the store")
    g.add_argument("--export-memory", metavar="FILE.jsonl", help="write the memory as MCP memory-server JSONL (one entity or relation a line)")
    g.add_argument("--import-memory", metavar="FILE.jsonl", help="merge an MCP memory-server JSONL file into the memory; a bad file is refused whole, naming the line")
    g.add_argument("--commit", metavar="SHA", help="the commit the log was made from (default: read from CI metadata in the log); a test that fails and passes on one commit is flaky")
    g.add_argument("--suite", metavar="NAME", help="the suite (and usage component) of the run (default: the log's name without numbers, e.g. ci-123.log -> ci)")

    g = parser.add_argument_group("usage monitoring")
    g.add_argument("--track-usage", action="store_true", help="record this run's tokens in and out, budget and reduction")
    g.add_argument("--check-usage", action="store_true", help="print use against budget for today, the last 7 days and all time, per component")
    g.add_argument("--enable-monitoring", action="store_true", help="save the alert settings below and check every tracked run against them (implies --track-usage)")
    g.add_argument("--alert-email", metavar="ADDR", help="where alerts go (SMTP from TOKOPT_SMTP_HOST/PORT/FROM/USER/PASSWORD/STARTTLS or .tokopt/smtp.toml)")
    g.add_argument("--warning-threshold", type=_percent, default=None, metavar="PCT", help="warn when a run uses PCT%% of its budget (default: 80)")
    g.add_argument("--critical-threshold", type=_percent, default=None, metavar="PCT", help="critical alert at PCT%% of the budget (default: 95)")


def _store(args=None):
    from .lib.store import Store

    return Store.from_env(getattr(args, "store_path", None))


def _logs(args) -> list[str]:
    return ([args.log_file] if getattr(args, "log_file", None) else []) + list(getattr(args, "paths", []) or [])


def _err(msg: str) -> None:
    print(f"tokopt: error: {msg}", file=sys.stderr)


def _warn(msg: str) -> None:
    print(f"tokopt: warning: {msg}", file=sys.stderr)


def _monitor(args):
    from .lib import usage

    return usage.Monitor(
        email=args.alert_email,
        warning=args.warning_threshold if args.warning_threshold is not None else usage.DEFAULT_WARNING,
        critical=args.critical_threshold if args.critical_threshold is not None else usage.DEFAULT_CRITICAL,
    )


def handle(args) -> int | None:
    """Run the store-only actions; with logs, only those that belong before the summary."""
    logs = _logs(args)
    if args.enable_monitoring:
        rc = _enable_monitoring(args)
        if rc:
            return rc
    elif args.alert_email or args.warning_threshold is not None or args.critical_threshold is not None:
        _err("--alert-email and the thresholds take effect with --enable-monitoring")
        return EXIT_USAGE
    for name in _ACTIONS_BEFORE:
        if getattr(args, name):
            rc = _ACTIONS[name](args)
            if rc:
                return rc
    if logs:
        args._memory_logs_left = len(logs)
        return None
    ran = any(getattr(args, n) for n in _ACTIONS_BEFORE) or args.enable_monitoring
    rc = 0
    for name in _ACTIONS_AFTER:
        if getattr(args, name):
            ran = True
            rc = max(rc, _ACTIONS[name](args) or 0)
    if args.store_memory or args.track_usage or args.commit or args.suite:
        if not ran:
            _err("--store-memory, --track-usage, --commit and --suite need a log file (tokopt LOG --store-memory)")
            return EXIT_USAGE
    return rc if ran else None


def _enable_monitoring(args) -> int:
    from .lib import alerts

    mon = _monitor(args)
    if mon.warning >= mon.critical:
        _err(f"--warning-threshold ({mon.warning:g}) must be below --critical-threshold ({mon.critical:g})")
        return EXIT_USAGE
    if not mon.email:
        _err("--enable-monitoring needs --alert-email ADDR")
        return EXIT_USAGE
    alerts.load_settings()  # fail now, not at the first alert, when SMTP is not configured
    store = _store(args)
    status = store.write("usage_monitor", {"enabled": True, "email": mon.email, "warning": mon.warning, "critical": mon.critical})
    where = "" if status == "applied" else f" (store busy: queued in {status})"
    print(f"monitoring on: alerts to {mon.email} at {mon.warning:g}% (warning) and {mon.critical:g}% (critical) of the budget{where}",
          file=sys.stderr if args.output == "-" else sys.stdout)
    return EXIT_OK


# -- store-only actions ----------------------------------------------------------------
def _check_connection(args) -> int:
    from .lib.schema import latest_version
    from .lib.store import StoreBusy

    store = _store(args)
    pending = store.pending()
    try:
        with store.connect() as conn:
            version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            ents = conn.execute("SELECT count(*) FROM mem_entities").fetchone()[0]
            rels = conn.execute("SELECT count(*) FROM mem_relations").fetchone()[0]
            runs = conn.execute("SELECT count(*) FROM mem_runs").fetchone()[0]
        left = len(store.pending())
    except StoreBusy as exc:
        _err(f"{exc.message}; {len(pending)} writes wait in {store.pending_dir} (replayed by the next command that gets the lock, or --reconnect-memory)")
        return EXIT_STORE
    replayed = len(pending) - left
    print(f"memory store OK: {store.path} (schema {version} of {latest_version()}): {ents} entities, {rels} relations, {runs} runs")
    print(f"pending writes: {left} in {store.pending_dir}" + (f" ({replayed} replayed just now)" if replayed else ""))
    return EXIT_OK


def _reconnect(args) -> int:
    from .lib.store import StoreBusy

    store = _store(args)
    before = len(store.pending())
    try:
        n = store.replay()
    except StoreBusy as exc:
        _err(f"{exc.message}; {before} writes still wait in {store.pending_dir}")
        return EXIT_STORE
    left = len(store.pending())
    print(f"replayed {n} pending write{'s' if n != 1 else ''} from {store.pending_dir} into {store.path}" + (f"; {left} could not be applied" if left else ""))
    return EXIT_OK


def _import(args) -> int:
    from .lib import memory

    ents, rels, status = memory.import_jsonl(_store(args), args.import_memory)
    where = "" if status == "applied" else f" (store busy: queued in {status})"
    print(f"imported {args.import_memory}: {ents} entities, {rels} relations{where}")
    return EXIT_OK


def _export(args) -> int:
    from .lib import memory

    with _store(args).connect() as conn:
        ents, rels = memory.export_jsonl(conn, args.export_memory)
    print(f"exported {ents} entities and {rels} relations to {args.export_memory}")
    return EXIT_OK


def _analyze(args) -> int:
    from .lib import memory

    with _store(args).connect() as conn:
        info = memory.analyze_memory(conn)
        graph = memory.search_nodes(conn, args.memory_query) if args.memory_query else None
    if args.analyze_memory:
        print(memory.format_analysis(info))
    if graph is not None:
        print(f"query {args.memory_query!r}: " + memory.format_graph(graph))
    return EXIT_OK


def _query(args) -> int:
    if args.analyze_memory:
        return EXIT_OK  # printed with the analysis
    return _analyze(args)


def _check_usage(args) -> int:
    from .lib import usage

    with _store(args).connect() as conn:
        print(usage.format_report(usage.usage_report(conn)))
    return EXIT_OK


_ACTIONS = {
    "reconnect_memory": _reconnect,
    "import_memory": _import,
    "check_memory_connection": _check_connection,
    "export_memory": _export,
    "analyze_memory": _analyze,
    "memory_query": _query,
    "check_usage": _check_usage,
}


# -- each summary ----------------------------------------------------------------------
def annotate(args):
    """``--store-memory``: the marker that marks the log's analysis against the memory
    before it is rendered (kept on ``args`` for :func:`after_summary` to record)."""
    if not args.store_memory:
        args._memory_marker = None
        return None
    from .lib import memory

    args._memory_marker = memory.Marker(_store(args), suite=args.suite, commit=args.commit)
    return args._memory_marker


def after_summary(args, summary, out_path) -> int | None:
    if not (args.store_memory or args.track_usage or args.enable_monitoring):
        return _after_last(args)
    from .lib import alerts, memory, usage

    say = sys.stderr if out_path is None else sys.stdout
    store = _store(args)
    log = summary.analysis.source
    suite = args.suite or memory.derive_suite(log, summary.analysis.profile)
    run_id = None
    if args.store_memory:
        marker = args._memory_marker  # set by annotate(), and called on this summary's analysis
        args._memory_marker = None
        status = marker.record(summary_path=out_path)
        run, marks = marker.run, marker.marks
        run_id = run.run_id
        where = "stored" if status == "applied" else f"queued in {status} (store busy; replayed later)"
        if marks is None:
            print(f"  memory: run {run.run_id} {where}; not marked (the store was busy)", file=say)
        else:
            extra = []
            if marks.new_errors:
                extra.append(f"{len(marks.new_errors)} new error{'s' if len(marks.new_errors) != 1 else ''}")
            if marks.flaky_tests:
                extra.append("flaky: " + ", ".join(marks.flaky_tests))
            print(f"  memory: run {run.run_id} {where} (suite {run.suite}" + (f", commit {run.commit[:12]}" if run.commit else "") + ")"
                  + (f"; {'; '.join(extra)}" if extra else ""), file=say)
    if args.track_usage or args.enable_monitoring:
        payload = usage.usage_payload(summary, log, suite, run_id=run_id, monitor=_monitor(args) if args.enable_monitoring else None)
        status = store.write("usage_record", payload)
        where = "" if status == "applied" else f" (queued in {status})"
        print(f"  usage: {payload['tokens_out']:,} of {payload['budget']:,} tokens ({payload['budget_pct']}%), component {suite}{where}", file=say)
        try:
            sent = alerts.deliver_pending(store, None, default_to=args.alert_email)
            if sent:
                print(f"  alert: {sent} mail{'s' if sent != 1 else ''} sent", file=say)
        except alerts.AlertError as exc:
            _warn(f"usage alert not mailed (kept for the next run): {exc.message}")
        except Exception as exc:  # a busy store: alerts stay pending
            from .lib.store import StoreBusy

            if not isinstance(exc, StoreBusy):
                raise
    return _after_last(args)


def _after_last(args) -> int:
    left = getattr(args, "_memory_logs_left", 0) - 1
    args._memory_logs_left = left
    if left != 0:
        return 0
    rc = 0
    for name in _ACTIONS_AFTER:
        if getattr(args, name):
            rc = max(rc, _ACTIONS[name](args) or 0)
    return rc


# -- subcommands ------------------------------------------------------------------------
def report_main(argv: list[str]) -> int:
    """``tokopt report --html FILE``: a static usage and recurring-errors report."""
    from .lib import report_html

    p = argparse.ArgumentParser(prog="tokopt report", description="Write a static HTML report (readable offline): token usage over time and the top recurring errors, from the store.")
    p.add_argument("--html", required=True, metavar="FILE", help="where to write the report")
    p.add_argument("--top", type=int, default=10, metavar="N", help="recurring errors to chart (default: 10)")
    p.add_argument("--days", type=int, default=30, metavar="N", help="days of usage to chart (default: 30)")
    p.add_argument("--store-path", metavar="FILE", help="the DuckDB store (default: $TOKOPT_DUCKDB_PATH or .tokopt/tokopt.duckdb)")
    args = p.parse_args(argv)
    with _store(args).connect() as conn:
        info = report_html.write_report(conn, args.html, top=args.top, days=args.days)
    print(f"report: {args.html} ({info['runs']} usage records, {info['errors']} recurring errors)")
    return EXIT_OK


