"""``tokopt run [OPTIONS] -- CMD [ARGS]...``: run a command, keep its whole output in a
log, print the budgeted summary of that output and exit with the command's exit code.

The log goes to ``OUTPUT_DIR/runs/STEM-YYYYmmdd-HHMMSS.log`` (:mod:`tokopt_pipeline.lib.capture`
runs the command and writes it as the output streams); the summary is made from it as
``tokopt summarize`` would (every summary option applies; the budget defaults to 4,000
tokens here), saved beside the other summaries, and printed, followed by a footer: how
the command ended, the path of the full log and a ``sed -n 'A,Bp' LOG`` line to page into
it at the line numbers the summary cites. The footer's tokens are taken off the budget,
so the whole printed result fits ``--token-budget``. Output shorter than its summary
(and no test run) is printed whole instead, from the redacted log.

Exit codes are the command's (killed by signal N: 128+N; Ctrl-C: 130; not found: 127;
not executable: 126), so ``tokopt run -- pytest`` can stand wherever ``pytest`` did.
tokopt's own problems before the command starts (a bad option, an output folder that
cannot be written) are its usual exit codes 2-6; after it ran, they are reported on
stderr and the exit code stays the command's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path

import click

from tokopt_pipeline.cli.command import Command
from tokopt_pipeline.cli.config import adapt, apply_settings, save_profile
from tokopt_pipeline.cli.output import CommandUsageError, warn
from tokopt_pipeline.cli.params import args_of, use_defaults
from tokopt_pipeline.cli.summarize import SUMMARY_OPTIONS
from tokopt_pipeline.lib.errors import TokoptError

__all__ = ["run", "RUN_OPTIONS", "RUN_TOKEN_BUDGET", "RUNS_FOLDER", "footer"]

#: The default budget of this mode: a summary a coding agent reads after each test run.
RUN_TOKEN_BUDGET = 4000
#: The folder under --output-dir that holds the full logs (rotated with --max-logs).
RUNS_FOLDER = "runs"
#: The options of ``tokopt run``: those of a summary (but its input), then its own.
RUN_OPTIONS = ("tee", "on_failure_only", *(o for o in SUMMARY_OPTIONS if o != "log_file"), "result_json")
#: Lines a paging hint shows at most.
PAGE_LINES = 40
#: The longest command line the footer repeats.
MAX_COMMAND = 160

EXAMPLES = """\b
Examples:
  tokopt run -- pytest -x tests/
  tokopt run --tee -- go test ./...
  tokopt run --on-failure-only --token-budget 2000 -- npm test
  tokopt run -- sh -c 'make build && make test'"""


@click.command("run", cls=Command, epilog=EXAMPLES,
               context_settings={"allow_interspersed_args": False, "ignore_unknown_options": False})
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="-- CMD [ARGS]...")
@use_defaults({"token_budget": (RUN_TOKEN_BUDGET, f"hard limit in tokens (default: {RUN_TOKEN_BUDGET:,})")}, *RUN_OPTIONS)
@click.pass_context
def run(ctx: click.Context, command: tuple[str, ...], **_: object) -> int:
    """Run CMD (no shell: use sh -c '...' for one), keep its whole output (stdout and
    stderr) in a log under OUTPUT_DIR/runs/, print the budgeted summary of it with the
    log's path and how to page into it, and exit with CMD's exit code."""
    args = args_of(ctx, paths=[])
    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise CommandUsageError("give a command to run: tokopt run [OPTIONS] -- CMD [ARGS]...")
    return run_command(args, argv)


def run_command(args, argv: list[str]) -> int:
    """Settle the settings, run ``argv``, summarize its output; the command's exit code."""
    from tokopt_pipeline.lib import capture
    from tokopt_pipeline.lib.settings.layers import summary_options

    sources = apply_settings(args)
    if args.verbose and sources:
        print("settings from: " + ", ".join(sources), file=sys.stderr)
    if not args.enable_monitoring and (args.alert_email or args.warning_threshold is not None or args.critical_threshold is not None):
        raise CommandUsageError("--alert-email and the thresholds take effect with --enable-monitoring")
    if args.min_compression is not None or args.target_tokens:
        args.adaptive_optimization = True
    summary_options(args)  # a bad setting fails before the command runs
    folder = Path(args.output_dir) / RUNS_FOLDER
    log, sink = capture.open_log(folder, capture.log_stem(argv))
    try:
        done = capture.capture(argv, log, sink, tee=args.tee, redact=args.redact)
    except capture.NotStarted:
        log.unlink(missing_ok=True)
        raise
    _rotate_logs(folder, args.max_logs, keep=log)
    shown = _shown_command(argv, args.redact)
    if done.exit_code == 0 and args.on_failure_only and not (args.store_memory or args.track_usage or args.result_json):
        print(_one_line(shown, done))
        return done.exit_code
    try:
        summary_path, text, figures = _summarize(args, done, shown)
    except TokoptError as exc:
        if done.bytes:
            print(f"tokopt: error: no summary of the output: {exc.message}", file=sys.stderr)
        summary_path, text, figures = None, _no_summary(args.format, shown, done, exc.message), None
    if done.exit_code == 0 and args.on_failure_only:
        print(_one_line(shown, done))
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if args.result_json:
        _write_result(args.result_json, shown, done, summary_path, figures, args.token_budget)
    return done.exit_code


def _summarize(args, done, shown: str):
    """The summary of the captured log with its footer, saved and recorded as
    ``tokopt summarize`` does; returns where it was saved, its text and its figures."""
    from tokopt_pipeline.cli.summarize import marker_for, record, remember
    from tokopt_pipeline.lib import outputs
    from tokopt_pipeline.lib.engine import tokens as tok
    from tokopt_pipeline.lib.engine.summarize import summarize as summarize_log
    from tokopt_pipeline.lib.settings.layers import summary_options

    log = str(done.log)
    if done.bytes == 0:
        raise TokoptError("the command printed nothing")
    if args.adaptive_optimization:
        adapt(args, log)
    if args.save_profile:
        save_profile(args, [])
    budget = args.token_budget
    reserve = tok.count(footer(args.format, shown, done, log, cited=[(10**9, 10**9)], lines=10**9)) + 4
    args.token_buffer = (args.token_buffer or 0) + (reserve if reserve * 2 <= budget else 0)
    opts = summary_options(args)
    marker = marker_for(args, exit_code=done.exit_code)
    chunks = Path(args.output_dir) / (outputs.output_stem(log) + ".chunks.jsonl") if args.preprocess else None
    summary = summarize_log(log, opts, export_templates=args.export_templates, preprocess_to=chunks, annotate=marker)
    whole = _whole_log(log, args.format, summary)
    if whole is not None:  # what is printed is what the run spent
        summary.text, summary.tokens_out = whole, tok.count(whole)
    cited = [] if whole is not None else cited_lines(summary.text, args.format)
    end = footer(args.format, shown, done, log, cited=cited, lines=summary.analysis.lines, paging=whole is None)
    text = _join(summary.text, end, args.format)
    if tok.count(text) > budget:  # not expected: the reserve covers the longest footer
        text = _join(summary.text, footer(args.format, shown, done, log, cited=[], lines=summary.analysis.lines), args.format)
    to_stdout_only = args.output == "-"
    out_path = None
    if not to_stdout_only:
        out_path = Path(args.output) if args.output else outputs.summary_path(args.output_dir, log, args.format)
        outputs.atomic_write_text(out_path, text)
        if not args.output:
            written = [out_path, *([chunks] if chunks else [])]
            outputs.record_outputs(args.output_dir, written)  # rotation touches only what tokopt wrote
            outputs.rotate(args.output_dir, args.max_logs, args.max_log_size, keep=written)
    if args.verbose:
        f = summary.figures()
        print(f"summary: {out_path or 'stdout'}: {f['tokens_out']:,} of {f['budget']:,} tokens, "
              f"{f['failing_tests']} failing tests, {f['error_groups']} distinct errors", file=sys.stderr)
    # A store that fails is said on stderr; the exit code stays the command's own.
    _rc, recorded = record(args, summary, out_path, marker)
    if recorded is not None:
        with contextlib.redirect_stdout(sys.stderr):  # the memory's and usage's notes: stdout is the summary's
            remember(args, summary, out_path, marker, recorded)
    return out_path, text, summary.figures()


def _whole_log(log: str, fmt: str, summary) -> str | None:
    """The whole log (cleaned as the summary's reader cleans it; the captured log is
    already redacted) instead of its summary, when that takes fewer tokens: a command
    that printed a few lines gets them back as they were, with nothing left out. JSON
    keeps its structure, and so does a test run (its failing tests and totals)."""
    from tokopt_pipeline.lib.engine import tokens as tok
    from tokopt_pipeline.lib.engine.header import plural
    from tokopt_pipeline.lib.engine.quote import code_fence, md_text, visible
    from tokopt_pipeline.lib.engine.reader import open_log

    a = summary.analysis
    if fmt == "json" or not summary.tokens_in_exact or summary.tokens_in >= summary.tokens_out or a.tests or a.runs:
        return None  # (a test run's failing tests and totals keep their sections)
    lines = [visible(line) for batch in open_log(log).batches() for line in batch.lines]
    n = plural(len(lines), "line")
    name = Path(log).name
    if fmt == "text":
        text = (f"tokopt summary: {name}\n\nThe whole output ({n}), shorter than a summary of it:\n\n"
                + "".join(f"    {line}\n" for line in lines))
    else:
        fence = code_fence("\n".join(lines))
        text = (f"# tokopt summary: {md_text(name)}\n\nThe whole output ({n}), shorter than a summary of it:\n\n"
                + "\n".join([fence, *lines, fence]) + "\n")
    return text if tok.count(text) < summary.tokens_out else None


def _join(summary: str, end: str, fmt: str) -> str:
    if fmt == "json":
        body = summary.rstrip()
        return body[:-1] + "," + end + "}\n" if body.endswith("}") else summary + end + "\n"
    return summary.rstrip("\n") + "\n" + end


# -- what the footer says ----------------------------------------------------------------

_CITED_TEXT = re.compile(r"\blines? (\d[\d,]*)(?:\s*[–-]\s*(\d[\d,]*))?")
_CITED_JSON = re.compile(r'"(?:first_)?line":(\d+)(?:,"last_line":(\d+))?')


def cited_lines(text: str, fmt: str) -> list[tuple[int, int]]:
    """The line ranges a summary cites, those of its errors first."""
    pattern = _CITED_JSON if fmt == "json" else _CITED_TEXT
    marks = {"markdown": "\n## Errors", "text": "\nERRORS", "json": '"name":"errors"'}
    start = text.find(marks[fmt])
    ordered = (text[start:] + text[:start]) if start >= 0 else text
    out = []
    for m in pattern.finditer(ordered):
        a = int(m.group(1).replace(",", ""))
        b = int(m.group(2).replace(",", "")) if m.group(2) else a
        out.append((a, b))
    return out


def page_range(cited: list[tuple[int, int]], lines: int) -> tuple[int, int]:
    """The lines a paging hint shows: the first cited range (at most :data:`PAGE_LINES`
    lines; a single line with a few before it and the rest after), else the log's
    last lines."""
    if not cited:
        return max(1, lines - PAGE_LINES + 1), max(1, lines)
    a, b = cited[0]
    if a == b:
        return max(1, a - 5), a + PAGE_LINES - 6
    return a, min(b, a + PAGE_LINES - 1)


def how_it_ended(done) -> str:
    if done.interrupted:
        return f"interrupted (Ctrl-C), exit {done.exit_code}"
    sig = done.signal
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}, exit {done.exit_code}"
    return "passed, exit 0" if done.exit_code == 0 else f"failed, exit {done.exit_code}"


def footer(fmt: str, shown: str, done, log: str, cited: list[tuple[int, int]], lines: int, paging: bool = True) -> str:
    """The lines after a summary: how the command ended, the full log, how to page into it
    (not when ``paging`` is False: the whole log was shown)."""
    from tokopt_pipeline.lib.engine.header import plural

    a, b = page_range(cited, lines)
    page = f"sed -n '{a},{b}p' {shlex.quote(log)}" if lines and paging else None
    where = "any line number above works the same way" if cited else "its last lines"
    n = plural(lines, "line")
    if fmt == "json":
        doc = {"command": shown, "result": how_it_ended(done), "exit_code": done.exit_code, "seconds": round(done.seconds, 1),
               "full_log": log, "log_lines": lines, "page": page}
        return '"run":' + json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if fmt == "text":
        return (f"\nRUN\n- command: {shown} ({how_it_ended(done)}, {done.seconds:.1f} s)\n- full log: {log} ({n})\n"
                + (f"- page into it: {page} ({where})\n" if page else ""))
    return (f"\n---\n- **command**: {_inline(shown)} · {how_it_ended(done)} · {done.seconds:.1f} s\n"
            f"- **full log**: {_inline(log)} · {n}\n"
            + (f"- **page into it**: {_inline(page)} ({where})\n" if page else ""))


def _inline(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _shown_command(argv: list[str], redact: bool) -> str:
    """The command line as the footer shows it: shell-quoted, secrets redacted, clipped."""
    text = shlex.join(argv)
    if redact:
        from tokopt_pipeline.lib.engine.redact import redact_text

        text = redact_text(text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_COMMAND else text[: MAX_COMMAND - 1] + "…"


def _one_line(shown: str, done) -> str:
    n = f"{done.lines:,} line{'s' if done.lines != 1 else ''}"
    return f"tokopt run: {shown}: {how_it_ended(done)}, {done.seconds:.1f} s; full log: {done.log} ({n})"


def _no_summary(fmt: str, shown: str, done, why: str) -> str:
    """What is printed when the output cannot be summarized (none at all, or binary)."""
    end = footer(fmt, shown, done, str(done.log), cited=[], lines=done.lines)
    if fmt == "json":
        return "{" + json.dumps({"error": why}, ensure_ascii=False)[1:-1] + "," + end + "}\n"
    title = f"tokopt run: {shown}" if fmt == "text" else f"# tokopt run: {_inline(shown)}"
    return f"{title}\n\nNo summary: {why}.\n{end}"


def _write_result(path: str, shown: str, done, summary_path, figures, budget: int) -> None:
    """``--result-json FILE``: the run's result for scripts (the GitHub Action reads it)."""
    from tokopt_pipeline.cli.output import write

    doc = {
        "command": shown,
        "exit_code": done.exit_code,
        "signal": done.signal,
        "interrupted": done.interrupted,
        "seconds": round(done.seconds, 3),
        "full_log": os.path.abspath(done.log),
        "log_lines": done.lines,
        "log_bytes": done.bytes,
        "summary": os.path.abspath(summary_path) if summary_path else None,
        "failing_tests": figures["failing_tests"] if figures else 0,
        "distinct_errors": figures["error_groups"] if figures else 0,
        "tokens_out": figures["tokens_out"] if figures else 0,
        "token_budget": budget,
    }
    try:
        write(path, json.dumps(doc, indent=2) + "\n")
    except TokoptError as exc:
        warn(exc.message)


def _rotate_logs(folder: Path, max_logs: int, keep: Path) -> None:
    """Keep the ``max_logs`` newest full logs in ``folder`` (the one just written always)."""
    if not max_logs or max_logs <= 0:
        return
    try:
        logs = sorted((p for p in folder.iterdir() if p.suffix == ".log" and p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for p in logs[max_logs:]:
        if p != keep:
            with contextlib.suppress(OSError):
                p.unlink()
