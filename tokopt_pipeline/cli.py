"""The ``tokopt`` command: a thin layer over :mod:`tokopt_pipeline.lib`.

``tokopt LOG`` (or ``tokopt --log-file LOG``) writes a budgeted summary of LOG.
Subcommands (``tokopt mcp``, ``tokopt report``) live in their own modules and are
dispatched from :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

EXIT_CODES_HELP = """exit codes:
  0  success
  1  a check failed (threshold exceeded, validation failed)
  2  bad command-line usage
  3  input not found, a directory, or not readable
  4  input not usable: empty, binary, corrupt or truncated archive
  5  output could not be written
  6  store or configuration problem
"""

EPILOG = """examples:
  tokopt build.log                              summary in ./logs/build.summary.md
  tokopt --log-file build.log --token-budget 4000 --output -
  tokopt ci.log.gz --format json --output summary.json
  kubectl logs pod | tokopt - --priority-filter high --output -
  tokopt app.log --add-priority-pattern 'PaymentDeclined=critical'

""" + EXIT_CODES_HELP

# Subcommands: first word -> "module:function" taking argv (the rest) and returning an exit code.
SUBCOMMANDS: dict[str, str] = {}
SUBCOMMANDS.update({"mcp": ".mcp_server:main", "report": ".cli_memory:report_main"})

# Flag groups that live in their own modules. Each module has
# ``add_arguments(parser)`` and ``handle(args) -> int | None``; ``handle`` runs before
# the summary and returns an exit code when it handled the command, None otherwise.
# Modules may also define ``annotate(args) -> Callable[[Analysis], None] | None``, called
# once per log: the callable it returns marks the analysis before the summary is
# rendered (so every later hook sees the marked summary), and
# ``after_summary(args, summary, out_path) -> int | None``.
EXTENSIONS: list[str] = [".cli_store", ".cli_config"]
EXTENSIONS += [".cli_memory"]


def _extensions():
    import importlib

    return [importlib.import_module(m, __package__) for m in EXTENSIONS]


def number_type(convert, what: str, ok, out_of_range: str):
    """An argparse ``type``: ``convert(text)`` (else "expected WHAT"), kept when ``ok``
    holds for it (else ``out_of_range``, formatted with the value ``v`` and ``text``)."""

    def parse(text: str):
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(out_of_range.format(v=v, text=text))
        return v

    return parse


_positive_int = number_type(int, "a whole number", lambda v: v > 0, "expected a number above 0, got {v}")
_non_negative_int = number_type(int, "a whole number", lambda v: v >= 0, "expected 0 or more, got {v}")
_positive_float = number_type(float, "a number", lambda v: v > 0, "expected a number above 0, got {v}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tokopt",
        description=(
            "Summarize a log (CI, test or application output) into a summary that fits a hard "
            "LLM token budget (cl100k_base, counted exactly) and never drops a failure: every "
            "failing test, every distinct error with one representative traceback, and every "
            "run's totals; whatever does not fit is replaced by an exact count."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="LOG", help="log file(s) to summarize (plain, .gz, .bz2 or .xz, detected by content); - reads stdin")

    g = p.add_argument_group("input and output")
    g.add_argument("--log-file", metavar="PATH", help="log file to process (same as the positional LOG)")
    g.add_argument("--output-dir", default="./logs", metavar="DIR", help="folder for summaries and other outputs (default: ./logs)")
    g.add_argument("--output", "-o", metavar="FILE", help="write the summary to FILE instead (- for stdout)")
    g.add_argument("--format", choices=["markdown", "json", "text"], default="markdown", help="summary format (default: markdown)")
    g.add_argument("--max-log-size", type=_positive_float, default=5, metavar="MB", help="rotation: delete kept summaries larger than MB from --output-dir (default: 5)")
    g.add_argument("--max-logs", type=_positive_int, default=10, metavar="N", help="rotation: keep at most N summaries in --output-dir, newest first (default: 10)")
    g.add_argument("--export-templates", metavar="FILE.csv", help="also write one row per input line: line_number,template_id,template")
    g.add_argument("--preprocess", action="store_true", help="also write the tagged, templated chunks next to the summary (<name>.chunks.jsonl)")

    g = p.add_argument_group("budget")
    g.add_argument("--token-budget", type=_positive_int, default=76659, metavar="N", help="hard limit for the summary in tokens (default: 76659)")
    g.add_argument("--token-buffer", type=_non_negative_int, default=0, metavar="N", help="safety margin subtracted from the budget (default: 0)")
    g.add_argument("--auto-truncate", action="store_true", help="prioritize critical information when the budget is tight (always on: the summary is never over budget; accepted for compatibility)")

    g = p.add_argument_group("what to keep")
    g.add_argument("--profile", default="auto", metavar="NAME", help="tagging rules: pytest, github-actions, python-logging, java, syslog, json-lines, generic, or auto (default: detect)")
    g.add_argument("--add-priority-pattern", action="append", default=[], metavar="REGEX=LEVEL", help="extra rule, evaluated first; LEVEL is critical, high, medium, low or verbose (repeatable)")
    g.add_argument("--priority-filter", metavar="LEVEL", help="keep only LEVEL and more important content (e.g. high)")
    g.add_argument("--no-redact", dest="redact", action="store_false", help="do not redact secrets (redaction is on by default)")

    g = p.add_argument_group("processing")
    g.add_argument("--chunk-size", type=_positive_int, metavar="LINES", help="lines per chunk (default: adaptive, 500 for small files up to 50,000 for large ones)")
    g.add_argument("--stream-processing", action="store_true", help="stream the input in bounded batches (always on: memory does not grow with file size)")
    g.add_argument("--parallel-workers", type=_positive_int, metavar="N", help="threads for the vectorized stages and the tokenizer (default: all cores)")
    g.add_argument("--memory-optimized", action="store_true", help="batches of 10,000 lines instead of 200,000: about a third of the peak memory, about 1.7x the time")
    g.add_argument("--strict-estimation", action="store_true", help="count the input's tokens exactly (slower) instead of estimating large inputs")
    g.add_argument("--calibrate-token-model", nargs="+", metavar="LOG", help="fit the token estimator on these logs (exact counts) and save it to .tokopt/token_model.json")

    g = p.add_argument_group("diagnostics")
    g.add_argument("--verbose", "-v", action="store_true", help="report progress and stage timings on stderr")
    g.add_argument("--debug-tokens", action="store_true", help="print where the summary's tokens went (per section, shown and omitted) on stderr")
    for ext in _extensions():
        ext.add_arguments(p)
    return p


def _options_from_args(args):
    from .lib.settings import summary_options

    return summary_options(args)


class _Progress:
    """A one-line progress report on a terminal; silent when stderr is not a tty or in CI."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self.last = 0.0
        self.start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        mb = done / 1e6
        rate = mb / max(1e-6, now - self.start)
        pct = f"{100 * min(done, total) / total:5.1f}% " if total else ""
        sys.stderr.write(f"\r{pct}{mb:,.0f} MB read, {rate:,.0f} MB/s")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")


def _say(msg: str, to_stderr: bool) -> None:
    print(msg, file=sys.stderr if to_stderr else sys.stdout)


def _annotator(args):
    """The extensions' ``annotate`` hooks for one log, combined into one callable (None
    when no extension marks anything)."""
    hooks = [h for h in (getattr(ext, "annotate", None) for ext in _extensions()) if h is not None]
    marks = [m for m in (h(args) for h in hooks) if m is not None]
    if not marks:
        return None
    if len(marks) == 1:
        return marks[0]

    def annotate(analysis) -> None:
        for mark in marks:
            mark(analysis)

    return annotate


def run_summary(args, log: str) -> int:
    from .lib import outputs
    from .lib.summarize import summarize

    opts = _options_from_args(args)
    to_stdout = args.output == "-"
    if args.output and not to_stdout:
        out_path = Path(args.output)
    else:
        out_path = outputs.summary_path(args.output_dir, log, args.format)
    if out_path.exists() and out_path.is_dir():
        from .lib.errors import OutputError

        raise OutputError(f"cannot write {out_path}: is a directory")
    chunks_path = out_path.with_name(outputs.output_stem(log) + ".chunks.jsonl") if args.preprocess else None
    if args.preprocess and to_stdout:
        chunks_path = Path(args.output_dir) / (outputs.output_stem(log) + ".chunks.jsonl")
    annotate = _annotator(args)
    progress = _Progress(True)
    t0 = time.monotonic()
    summary = summarize(log, opts, export_templates=args.export_templates, preprocess_to=chunks_path, progress=progress, annotate=annotate)
    progress.done()
    elapsed = time.monotonic() - t0
    if to_stdout:
        sys.stdout.write(summary.text)
        sys.stdout.flush()
    else:
        outputs.atomic_write_text(out_path, summary.text)
        if not args.output:
            outputs.rotate(args.output_dir, args.max_logs, args.max_log_size, keep=out_path)
    f = summary.figures()
    est = "" if f["tokens_in_exact"] else "≈"
    where = "stdout" if to_stdout else str(out_path)
    _say(
        f"summary: {where}\n"
        f"  {f['lines']:,} lines, {f['bytes']:,} bytes, profile {f['profile']}\n"
        f"  tokens {est}{f['tokens_in']:,} in -> {f['tokens_out']:,} out ({f['budget_pct']}% of {f['budget']:,}), reduction {f['reduction_pct']}%\n"
        f"  {f['failing_tests']} failing tests, {f['error_groups']} distinct errors, {f['critical_events']} critical events"
        + (f" ({f['critical_omitted']} counted but not shown)" if f["critical_omitted"] else ""),
        to_stdout,
    )
    if chunks_path:
        _say(f"  chunks: {chunks_path}", to_stdout)
    if args.export_templates:
        _say(f"  templates: {args.export_templates}", to_stdout)
    if args.verbose:
        mb = f["bytes"] / 1e6
        import polars as pl

        threads = pl.thread_pool_size()
        _say(f"  time {elapsed:.2f}s ({mb / max(elapsed, 1e-6):.1f} MB/s), {f['templates']} templates, {f['runs']} runs, {threads} worker thread{'s' if threads != 1 else ''}", True)
    if args.debug_tokens:
        _debug_tokens(summary)
    rc = 0
    for ext in _extensions():
        hook = getattr(ext, "after_summary", None)
        if hook is not None:
            rc = max(rc, hook(args, summary, None if to_stdout else out_path) or 0)
    return rc


def _debug_tokens(summary) -> None:
    from .lib import tokens as tok

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


def run_calibration(args) -> int:
    from .lib import tokens as tok
    from .lib.profiles import detect_profile
    from .lib.reader import open_log

    model = tok.load_model()
    by_profile: dict[str, list] = {}
    for path in args.calibrate_token_model:
        src = open_log(path)
        lines: list[str] = []
        profile = None
        for batch in src.batches(batch_lines=20_000):
            if profile is None:
                profile = args.profile if args.profile != "auto" else detect_profile(batch.lines[:2000])
            lines.extend(batch.lines)
            if len(lines) >= 200_000:
                by_profile.setdefault(profile, []).extend(tok.block_samples(lines))
                lines = []
        if lines:
            by_profile.setdefault(profile or "generic", []).extend(tok.block_samples(lines))
    for profile, samples in by_profile.items():
        model.profiles[profile] = tok.fit(samples)
        c = model.profiles[profile]
        err = [abs(c.predict(b, l) - t) / max(t, 1) for b, l, t in samples]
        print(f"{profile}: tokens = {c.per_byte:.4f}*bytes + {c.per_line:.3f}*lines  ({len(samples)} blocks, mean error {100 * sum(err) / len(err):.1f}%)")
    path = model.save(tok.DEFAULT_MODEL_PATH)
    print(f"saved {path}")
    return 0


def _threads_from_argv(argv: list[str]) -> None:
    """Apply --parallel-workers before polars is imported (its pool is sized then)."""
    for i, arg in enumerate(argv):
        value = None
        if arg == "--parallel-workers" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--parallel-workers="):
            value = arg.split("=", 1)[1]
        if value and value.isdigit() and int(value) > 0:
            os.environ["POLARS_MAX_THREADS"] = value
            os.environ["RAYON_NUM_THREADS"] = value


def main(argv: list[str] | None = None) -> int:
    from .lib.errors import TokoptError

    argv = list(sys.argv[1:] if argv is None else argv)
    _threads_from_argv(argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        mod, func = SUBCOMMANDS[argv[0]].split(":")
        try:
            return getattr(importlib.import_module(mod, __package__), func)(argv[1:])
        except TokoptError as exc:
            print(f"tokopt: error: {exc.message}", file=sys.stderr)
            return exc.exit_code
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.parallel_workers:
        os.environ["POLARS_MAX_THREADS"] = str(args.parallel_workers)
        os.environ["RAYON_NUM_THREADS"] = str(args.parallel_workers)
    try:
        if args.calibrate_token_model:
            return run_calibration(args)
        for ext in _extensions():
            rc = ext.handle(args)
            if rc is not None:
                return rc
        logs = ([args.log_file] if args.log_file else []) + list(args.paths)
        if not logs:
            parser.print_usage(sys.stderr)
            print("tokopt: error: give a log file (tokopt LOG, or --log-file LOG); see tokopt --help", file=sys.stderr)
            return 2
        if len(logs) > 1 and args.output:
            print("tokopt: error: --output takes one log; use --output-dir for several", file=sys.stderr)
            return 2
        rc = 0
        for log in logs:
            rc = max(rc, run_summary(args, log))
        return rc
    except TokoptError as exc:
        print(f"tokopt: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tokopt: interrupted; nothing was written", file=sys.stderr)
        return 130


def run() -> None:
    """The ``tokopt`` command: :func:`main`, then a quick exit.

    Once the outputs are written and the streams flushed, nothing is left to do but
    what the interpreter's shutdown would do: wait for the threads that still run, then
    tear down every module, which takes ~0.07 s with polars and DuckDB loaded. The
    first is done here; the second is skipped. An exception, ``SystemExit`` among them
    (``--help``, a usage error), takes the usual way out.
    """
    import threading

    rc = main()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: the reader left; nothing to save
            pass
    os._exit(rc if isinstance(rc, int) else 1)


if __name__ == "__main__":  # pragma: no cover
    run()
