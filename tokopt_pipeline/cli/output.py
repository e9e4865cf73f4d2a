"""How the command talks: progress on a terminal, messages, reports written or printed."""

from __future__ import annotations

import os
import sys
import time

from tokopt_pipeline.lib.errors import EXIT_USAGE, TokoptError

__all__ = ["Progress", "Bar", "say", "out", "write", "emit", "error", "warn", "CommandUsageError"]


class CommandUsageError(TokoptError):
    """A command given wrongly (exit 2), reported like click's own usage errors."""

    exit_code = EXIT_USAGE


class Progress:
    """A one-line progress report on a terminal; silent when stderr is not a tty or in CI."""

    def __init__(self, enabled: bool = True):
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


class Bar:
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


def out(args) -> object:
    """Where messages go: stderr when the summary itself goes to stdout."""
    return sys.stderr if getattr(args, "output", None) == "-" else sys.stdout


def say(msg: str, to_stderr: bool) -> None:
    print(msg, file=sys.stderr if to_stderr else sys.stdout)


def error(msg: str) -> None:
    print(f"tokopt: error: {msg}", file=sys.stderr)


def warn(msg: str) -> None:
    print(f"tokopt: warning: {msg}", file=sys.stderr)


def write(path: str, text: str) -> None:
    """Write a report: to stdout for ``-`` (or ``/dev/stdout``), appended to the GitHub
    step summary, written through a device, a FIFO or a descriptor link, else atomically
    (a temporary file renamed into place)."""
    from tokopt_pipeline.lib.errors import OutputError
    from tokopt_pipeline.lib.outputs import atomic_write_text, is_stdout

    if path == "-" or is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and os.path.abspath(path) == os.path.abspath(step_summary):
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    atomic_write_text(path, text)


def emit(args, text: str, what: str) -> int:
    """A report to --output FILE (saying where it went: on stderr when the report is
    JSON, so that stdout holds only JSON), or to stdout."""
    from tokopt_pipeline.lib.outputs import is_stdout

    if args.output and args.output != "-" and not is_stdout(args.output):
        write(args.output, text)
        print(f"{what}: {args.output}", file=sys.stderr if getattr(args, "format", None) == "json" else sys.stdout)
    else:
        sys.stdout.write(text)
    return 0
