"""``tokopt summarize`` (the default command: ``tokopt LOG``): a budgeted summary of
each log, and what may go with it: the settings it was made with, the store's record
of the run, the memory's marks (``--store-memory``), usage tracking and alerts.

Every summary is recorded in the DuckDB store the Dagster assets use too
(``.tokopt/tokopt.duckdb``, ``TOKOPT_DUCKDB_PATH`` or ``--store-path``), so the command
and the UI see the same runs. A write that finds the store locked waits
``TOKOPT_LOCK_TIMEOUT`` seconds, then is saved in the pending folder
(``.mcp_local_storage/``), which the next writer replays: nothing is lost.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from tokopt_pipeline.cli.command import Command
from tokopt_pipeline.cli.config import adapt, apply_settings, logs_of, save_profile
from tokopt_pipeline.cli.output import CommandUsageError, Progress, say, warn
from tokopt_pipeline.cli.params import args_of, use
from tokopt_pipeline.lib.errors import EXIT_STORE

__all__ = ["summarize", "summarize_logs", "SUMMARY_OPTIONS", "DEFAULT_LOG"]

#: The log read when none is given (the spec's default for --log-file), if it is there.
DEFAULT_LOG = "test_output.log"

#: The options of a summary, in the order ``--help`` lists them.
SUMMARY_OPTIONS = (
    "log_file", "output", "output_dir", "format", "token_budget", "token_buffer", "priority_filter", "profile",
    "add_priority_pattern", "preset", "optimization_profile", "store_memory", "baseline_log", "no_baseline", "track_usage", "preprocess", "chunk_size",
    "verbose", "redact", "max_log_size", "max_logs", "export_templates", "auto_truncate", "stream_processing",
    "parallel_workers", "memory_optimized", "strict_estimation", "debug_tokens", "custom_profile_path", "save_profile",
    "adaptive_optimization", "min_compression", "target_tokens", "component_budgets", "component_by",
    "max_traceback_lines", "store_path", "no_store", "commit", "suite", "enable_monitoring", "alert_email",
    "warning_threshold", "critical_threshold",
)

EXAMPLES = """\b
Examples:
  tokopt build.log                  summary in ./logs/build.summary.md
  tokopt build.log --token-budget 4000 --output -
  tokopt ci.log.gz --format json --output summary.json
  kubectl logs pod | tokopt - --priority-filter high --output -
  tokopt test.log --store-memory --track-usage"""


@click.command("summarize", cls=Command, epilog=EXAMPLES)
@click.argument("paths", nargs=-1, metavar="[LOG]...")
@use(*SUMMARY_OPTIONS)
@click.pass_context
def summarize(ctx: click.Context, **_: object) -> int:
    """Summarize each LOG (CI, test or application output; plain, .gz, .bz2 or .xz;
    - for stdin) within a hard token budget, never dropping a failure. Whatever
    does not fit is replaced by an exact count."""
    return summarize_logs(args_of(ctx))


def summarize_logs(args, distribution: bool = False) -> int:
    """Settle the settings, then summarize each log; the highest exit code wins."""
    from tokopt_pipeline.lib.settings.layers import summary_options

    sources = apply_settings(args)
    if args.verbose and sources:
        print("settings from: " + ", ".join(sources), file=sys.stderr)
    if not args.enable_monitoring and (args.alert_email or args.warning_threshold is not None or args.critical_threshold is not None):
        raise CommandUsageError("--alert-email and the thresholds take effect with --enable-monitoring")
    logs = logs_of(args)
    given = bool(logs)
    if not logs and os.path.isfile(DEFAULT_LOG):
        logs = [DEFAULT_LOG]
    if args.min_compression is not None or args.target_tokens:
        args.adaptive_optimization = True
    if args.adaptive_optimization:
        if len(logs) != 1 or logs[0] == "-":
            raise CommandUsageError("--adaptive-optimization needs one log file (not stdin): tokopt LOG --adaptive-optimization ...")
        adapt(args, logs[0])
    if args.save_profile:
        save_profile(args, sources)
        if not given:
            return 0
    if not logs:
        raise CommandUsageError(f"give a log file (tokopt LOG, or --log-file LOG; without one, ./{DEFAULT_LOG} is read); see tokopt --help")
    if len(logs) > 1 and args.output:
        raise CommandUsageError("--output takes one log; use --output-dir for several")
    opts = summary_options(args)  # a bad setting fails before any log is read
    if args.enable_monitoring:
        from tokopt_pipeline.cli.usage import enable_monitoring

        enable_monitoring(args)
    if not args.no_store:
        # Import DuckDB (~0.05 s) while the log is read; the summary is recorded after.
        # Not a daemon thread: exiting while a C++ extension is half-loaded aborts.
        import threading

        threading.Thread(target=_import_store, name="tokopt-import-store").start()
    if args.baseline_log and args.baseline_log in logs:
        raise CommandUsageError(f"--baseline-log {args.baseline_log} is also the log to summarize: give the log of an earlier, passing run")
    _clean_leftovers(args)
    rc = 0
    for log in logs:
        rc = max(rc, run_summary(args, log, opts, distribution))
    _clean_leftovers(args)
    return rc


def _clean_leftovers(args) -> None:
    """Remove what killed runs left in the folders this command writes to: hidden
    temporary files and ``--export-templates`` spool folders (never a user's file)."""
    from tokopt_pipeline.lib.outputs_cleanup import clean_leftovers

    folders = [args.output_dir]
    if args.output and args.output != "-":
        folders.append(os.path.dirname(os.path.abspath(args.output)))
    if args.export_templates:
        folders.append(os.path.dirname(os.path.abspath(args.export_templates)))
    if args.store_memory or args.track_usage or not args.no_store:
        from tokopt_pipeline.lib.settings.environment import path_value
        from tokopt_pipeline.lib.store.db import DEFAULT_PENDING

        folders.append(path_value("TOKOPT_PENDING_DIR") or str(DEFAULT_PENDING))
    removed = clean_leftovers(folders)
    if removed and args.verbose:
        print(f"  removed {len(removed)} temporary file{'s' if len(removed) != 1 else ''} left by killed runs: "
              + ", ".join(str(p) for p in removed), file=sys.stderr)


def _import_store() -> None:
    try:
        import tokopt_pipeline.lib.store.db  # noqa: F401  (DuckDB, loaded while the log is read)
    except Exception:  # reported when the run is recorded, which imports it again
        pass


def run_summary(args, log: str, opts, distribution: bool = False) -> int:
    """One log's summary with ``opts``, written and reported, then recorded and remembered."""
    from tokopt_pipeline.lib import outputs
    from tokopt_pipeline.lib.engine.summarize import summarize as summarize_log
    from tokopt_pipeline.lib.errors import OutputError
    # /dev/stdout, a link to /proc/self/fd/1 or the file stdout goes to: the same as -
    to_stdout = args.output == "-" or bool(args.output and outputs.is_stdout(args.output))
    out_path = Path(args.output) if args.output and not to_stdout else outputs.summary_path(args.output_dir, log, args.format)
    if out_path.is_dir():
        raise OutputError(f"cannot write {out_path}: is a directory")
    chunks_path = out_path.with_name(outputs.output_stem(log) + ".chunks.jsonl") if args.preprocess else None
    if args.preprocess and to_stdout:
        chunks_path = Path(args.output_dir) / (outputs.output_stem(log) + ".chunks.jsonl")
    marker = marker_for(args)
    progress = Progress()
    t0 = time.monotonic()
    summary = summarize_log(log, opts, export_templates=args.export_templates, preprocess_to=chunks_path, progress=progress, annotate=marker)
    progress.done()
    elapsed = time.monotonic() - t0
    written_now = getattr(args, "written", None)
    if written_now is None:
        written_now = args.written = set()
    if to_stdout:
        sys.stdout.write(summary.text)
        sys.stdout.flush()
    else:
        outputs.atomic_write_text(out_path, summary.text)
    # Rotation deletes only what tokopt wrote in the output folder (its manifest), and
    # nothing this command wrote: the summaries and chunks of every log it was given.
    written_now.update(p for p in (None if to_stdout or args.output else out_path, chunks_path) if p is not None)
    if written_now:
        outputs.record_outputs(args.output_dir, written_now)
    if not to_stdout and not args.output:
        outputs.rotate(args.output_dir, args.max_logs, args.max_log_size, keep=written_now)
    _report(args, summary, out_path, to_stdout or args.format == "json", chunks_path, elapsed, where="stdout" if to_stdout else str(out_path))
    written = None if to_stdout else out_path
    rc, recorded = record(args, summary, written, marker)
    _components_and_distribution(args, summary, written, distribution)
    if recorded is not None:
        remember(args, summary, written, marker, recorded)
    return rc


def _report(args, summary, out_path: Path, to_stdout: bool, chunks_path, elapsed: float, where: str) -> None:
    """The run's figures: on stdout, or on stderr when stdout holds the summary or JSON."""
    f = summary.figures()
    est = "" if f["tokens_in_exact"] else "≈"
    say(
        f"summary: {where}\n"
        f"  {f['lines']:,} lines, {f['bytes']:,} bytes, profile {f['profile']}\n"
        f"  tokens {est}{f['tokens_in']:,} in -> {f['tokens_out']:,} out ({f['budget_pct']}% of {f['budget']:,}), reduction {f['reduction_pct']}%\n"
        f"  {f['failing_tests']} failing tests, {f['error_groups']} distinct errors, {f['critical_events']} critical events"
        + (f" ({f['critical_omitted']} counted but not shown)" if f["critical_omitted"] else ""),
        to_stdout,
    )
    demoted = summary.analysis.baseline
    if demoted:
        say(f"  baseline: {demoted['lines']:,} lines also in the last green run ({demoted['label']}) demoted", to_stdout)
    if chunks_path:
        say(f"  chunks: {chunks_path}", to_stdout)
    if args.export_templates:
        say(f"  templates: {args.export_templates}", to_stdout)
    if args.verbose:
        import polars as pl

        mb = f["bytes"] / 1e6
        threads = pl.thread_pool_size()
        say(f"  time {elapsed:.2f}s ({mb / max(elapsed, 1e-6):.1f} MB/s), {f['templates']} templates, {f['runs']} runs, {threads} worker thread{'s' if threads != 1 else ''}", True)
    if args.debug_tokens:
        _debug_tokens(summary)


def _debug_tokens(summary) -> None:
    from tokopt_pipeline.lib.engine import tokens as tok

    text = summary.text
    parts: list[tuple[str, str]] = []
    current, buf = "header", []
    for line in text.splitlines(keepends=True):
        if line.startswith("## ") or (summary.fmt == "text" and line.strip().isupper() and line.strip()):
            parts.append((current, "".join(buf)))
            current, buf = line.strip("# \n").lower(), []
        buf.append(line)
    parts.append((current, "".join(buf)))
    print(f"{'section':<28}{'tokens':>8}{'shown':>8}{'omitted':>9}", file=sys.stderr)
    for name, body in parts:
        key = next((k for k in summary.shown if name.startswith(k) or k in name), None)
        print(f"{name[:27]:<28}{tok.count(body):>8}{summary.shown.get(key, '') if key else '':>8}{summary.omitted.get(key, '') if key else '':>9}", file=sys.stderr)
    print(f"{'total':<28}{summary.tokens_out:>8}   (budget {summary.budget:,})", file=sys.stderr)


def _store(args):
    from tokopt_pipeline.lib.store.db import Store

    return Store.from_env(args.store_path)


def marker_for(args, exit_code: int | None = None):
    """The memory's marker of this run (``--store-memory``; None without): marks new errors
    and flaky tests, compares with the suite's last green run unless told not to."""
    if not args.store_memory:
        return None
    from tokopt_pipeline.lib import memory

    return memory.Marker(_store(args), suite=args.suite, commit=args.commit, exit_code=exit_code,
                         use_baseline=not (args.no_baseline or args.baseline_log))


def record(args, summary, out_path, marker) -> tuple[int, dict | None]:
    """The run in the store, whole or not at all: its ``runs`` row and rows (as the UI
    shows them), its memory (``--store-memory``) and its usage (``--track-usage``) in one
    transaction, or queued as one pending write when the store is busy. Returns the exit
    code and what was recorded (None: nothing to record, or the store failed)."""
    track = args.track_usage or args.enable_monitoring
    if args.no_store and marker is None and not track:
        return 0, None  # before the imports: the memory's pulls in DuckDB (~0.08 s)
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.errors import StoreError
    from tokopt_pipeline.lib.logfiles import DEFAULT_LOG_DIR, partition_key
    from tokopt_pipeline.lib.store import records
    from tokopt_pipeline.lib.usage import alerts
    from tokopt_pipeline.lib.usage import ledger as usage

    source = summary.analysis.source
    # --suite is checked at the option; a name derived from the log's file name may
    # still hold a control character (a newline in the name): stored escaped.
    suite = args.suite or alerts.escape_label(memory.derive_suite(source, summary.analysis.profile))
    run_id = marker.run.run_id if marker is not None and marker.run is not None else records.new_run_id("cli")
    ops: list[tuple[str, dict]] = []
    usage_payload = None
    if track:
        from tokopt_pipeline.cli.usage import monitor_of

        usage_payload = usage.usage_payload(summary, source, suite, run_id=run_id,
                                            monitor=monitor_of(args) if args.enable_monitoring else None)
    if not args.no_store:
        if source in ("-", ""):
            path, key = "-", "stdin"
        else:
            path = os.path.abspath(source)
            key = partition_key(path, os.environ.get("TOKOPT_LOG_DIR") or DEFAULT_LOG_DIR)
        payload = records.summary_payload(
            summary, run_id=run_id, source="cli", file_key=key, path=path,
            summary_path=str(out_path) if out_path else None,
        )
        payload["usage"] = {"component": suite, "sections": {k: v for k, v in summary.shown.items() if v},
                            "recorded_at": usage_payload["recorded_at"] if usage_payload else None}
        ops.append(("record_run", payload))
    if marker is not None and marker.run is not None:
        ops.append(marker.operation(summary_path=out_path))
    if usage_payload is not None:
        ops.append(("usage_record", usage_payload))
    store = _store(args)
    try:
        where = store.write_all(ops)
    except StoreError as exc:
        print(f"tokopt: error: the summary was written but not recorded: {exc.message} (use --no-store to skip the store)", file=sys.stderr)
        return EXIT_STORE, None
    if where != "applied":
        print(f"tokopt: the store {store.where} is busy; the run is saved in {where} and will be recorded by the next writer", file=sys.stderr)
    elif args.verbose:
        print(f"  recorded in {store.where}", file=sys.stderr)
    return 0, {"status": where, "suite": suite, "usage": usage_payload, "store": store}


def _components_and_distribution(args, summary, out_path, distribution: bool) -> None:
    import json

    # stdout holds the summary (--output -) or, with --format json, only JSON
    stream = sys.stderr if out_path is None or args.format == "json" else sys.stdout
    comps = getattr(summary, "components", None)
    if comps:
        print(f"  components (by {summary.component_mode}):", file=stream)
        for r in comps:
            print(f"    {r.key:<20} {r.tokens:>8,} of {r.budget:>8,} tokens, {r.lines:,} lines", file=stream)
    if distribution:
        from tokopt_pipeline.lib.diagnostics import render_distribution, token_distribution

        d = token_distribution(summary, args.component_by or "auto")
        if args.format == "json":
            print(json.dumps(d, indent=2), file=sys.stderr if out_path is None else sys.stdout)
        else:
            stream.write(render_distribution(d))


def remember(args, summary, out_path, marker, recorded: dict) -> None:
    """What ``--store-memory`` and ``--track-usage`` recorded, said; an alert the run
    raised is mailed (``--enable-monitoring``)."""
    from tokopt_pipeline.lib.usage import alerts

    say_to = sys.stderr if out_path is None or args.format == "json" else sys.stdout
    status, suite, payload, store = recorded["status"], recorded["suite"], recorded["usage"], recorded["store"]
    if marker is not None and marker.run is not None:
        run, marks = marker.run, marker.marks
        where = "stored" if status == "applied" else f"queued in {status} (store busy; replayed later)"
        if marks is None:
            print(f"  memory: run {run.run_id} {where}; not marked (the store was busy)", file=say_to)
        else:
            extra = []
            if marks.new_errors:
                extra.append(f"{len(marks.new_errors)} new error{'s' if len(marks.new_errors) != 1 else ''}")
            if marks.flaky_tests:
                extra.append("flaky: " + ", ".join(marks.flaky_tests))
            print(f"  memory: run {run.run_id} {where} (suite {run.suite}" + (f", commit {run.commit[:12]}" if run.commit else "") + ")"
                  + (f"; {'; '.join(extra)}" if extra else ""), file=say_to)
    if payload is not None:
        where = "" if status == "applied" else f" (queued in {status})"
        print(f"  usage: {payload['tokens_out']:,} of {payload['budget']:,} tokens ({payload['budget_pct']}%), component {suite}{where}", file=say_to)
        try:
            sent = alerts.deliver_pending(store, None, default_to=args.alert_email, warn=warn)
            if sent:
                print(f"  alert: {sent} mail{'s' if sent != 1 else ''} sent", file=say_to)
        except alerts.AlertError as exc:
            warn(f"usage alert not mailed (kept for the next run): {exc.message}")
        except Exception as exc:  # a busy store: alerts stay pending
            from tokopt_pipeline.lib.store.db import StoreBusy

            if not isinstance(exc, StoreBusy):
                raise
