"""Running a command and keeping its whole output: the engine's input for ``tokopt run``.

:func:`capture` starts a command (no shell: ``argv`` as given), reads its standard
output and standard error through one pipe (so they interleave as the command wrote
them) and appends every complete line to a log file as it arrives, secrets redacted
(:class:`~tokopt_pipeline.lib.engine.redact.Redactor`, line for line, so line numbers
stay those of the output). The file is written as the output streams, not renamed
into place at the end: if tokopt itself dies, the log up to that point is there.

Signals, as a shell's foreground job would see them:

* the command runs in its own process group, so a terminal's Ctrl-C reaches it once,
  through tokopt, which forwards SIGINT to the whole group (a ``make`` and the tests it
  started); a second Ctrl-C sends SIGKILL. SIGTERM and SIGHUP are forwarded as they are;
* the exit status is the command's; killed by signal N, it is 128+N (:func:`exit_status`);
* standard input is passed through, except a terminal: in its own process group the
  command could not read from it (it would be stopped), so it reads /dev/null.

A command that cannot be started is :class:`NotStarted` with the shell's exit codes:
127 not found, 126 found but not executable.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import BinaryIO, TextIO

from tokopt_pipeline.lib.errors import OutputError, TokoptError

__all__ = ["capture", "Capture", "NotStarted", "exit_status", "open_log", "log_stem", "EXIT_NOT_FOUND", "EXIT_NOT_EXECUTABLE"]

#: The shell's exit codes for a command that could not be run.
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126
#: After the command exits, how long output from what it left running (a daemon
#: holding the pipe) is still read, in seconds.
DRAIN_SECONDS = 2.0
_READ = 1 << 16
_SHELLS = {"sh", "bash", "dash", "zsh", "ksh"}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.:+-]*$")


class NotStarted(TokoptError):
    """The command could not be started (not found: 127; not executable: 126)."""


@dataclass
class Capture:
    """What a run left: its log and how it ended."""

    log: Path
    returncode: int  #: as :attr:`subprocess.Popen.returncode`: negative for a signal
    seconds: float
    lines: int
    bytes: int
    interrupted: bool  #: Ctrl-C (SIGINT) reached tokopt while the command ran
    redactions: int

    @property
    def exit_code(self) -> int:
        """The command's exit code as a shell reports it; 130 after a Ctrl-C."""
        return 128 + signal.SIGINT if self.interrupted else exit_status(self.returncode)

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode < 0 else None


def exit_status(returncode: int) -> int:
    """A process's return code as a shell's ``$?``: killed by signal N is 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def log_stem(argv: list[str]) -> str:
    """A file-name stem naming a command: its program and the plain words after it
    before any option (``go test ./...`` -> ``go-test``, ``python -m pytest -q`` ->
    ``python-pytest``);
    ``sh -c 'SCRIPT'`` is named after the script's first words."""
    if not argv:
        return "command"
    prog = os.path.basename(argv[0]) or "command"
    rest = list(argv[1:])
    if prog in _SHELLS and "-c" in rest:
        script = rest[rest.index("-c") + 1:rest.index("-c") + 2]
        words = script[0].split() if script else []
        if words:
            return log_stem(words)
    words = [prog]
    for i, arg in enumerate(rest):
        if len(words) == 3:
            break
        if arg == "-m" and i + 1 < len(rest) and _WORD.match(rest[i + 1]):
            words.append(rest[i + 1])  # python -m pytest
            break
        if arg.startswith("-") or not _WORD.match(arg) or len(arg) > 24:
            break  # the plain words before the first option: a subcommand, a target
        words.append(arg)
    stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", "-".join(words)).strip("._-")
    return stem[:60] or "command"


def open_log(folder: Path, stem: str) -> tuple[Path, BinaryIO]:
    """A new log file ``FOLDER/STEM-YYYYmmdd-HHMMSS.log`` (``-2``, ``-3`` ... when taken),
    open for writing without buffering."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from None
    for n in range(1, 1000):
        path = folder / (f"{stem}-{stamp}.log" if n == 1 else f"{stem}-{stamp}-{n}.log")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path, os.fdopen(fd, "wb", buffering=0)
    raise OutputError(f"cannot write a log in {folder}: every name is taken")


class _Lines:
    """Complete lines to the log, redacted; a partial line waits for its end."""

    def __init__(self, sink: BinaryIO, redact: bool):
        from tokopt_pipeline.lib.engine.redact import Redactor

        self.sink, self.pending = sink, b""
        self.redactor = Redactor(enabled=redact)
        self.lines = self.bytes = 0

    def add(self, data: bytes) -> None:
        data = self.pending + data
        cut = data.rfind(b"\n") + 1
        self.pending = data[cut:]
        if cut:
            self._write(data[:cut])

    def close(self) -> None:
        if self.pending:
            self._write(self.pending)
            self.pending = b""

    def _write(self, block: bytes) -> None:
        ends = block.endswith(b"\n")
        parts = block.split(b"\n")
        if ends:
            parts.pop()
        if self.redactor.enabled:
            text = [p.decode("utf-8", "surrogateescape") for p in parts]
            out = self.redactor.redact_lines(text)
            if self.redactor.changed:
                parts = [s.encode("utf-8", "surrogateescape") for s in out]
        block = b"\n".join(parts) + (b"\n" if ends else b"")
        self.sink.write(block)
        self.lines += len(parts)
        self.bytes += len(block)


def _tee_target(tee: bool) -> BinaryIO | None:
    if not tee:
        return None
    try:
        sys.stdout.flush()
        return sys.stdout.buffer
    except (AttributeError, OSError, ValueError):
        return None


def capture(argv: list[str], log: Path, sink: BinaryIO, tee: bool = False, redact: bool = True,
            env: dict[str, str] | None = None) -> Capture:
    """Run ``argv`` with its output appended to ``sink`` (the open ``log``) and, with
    ``tee``, to standard output as it comes; see the module docstring.

    Raises:
        NotStarted: the command was not found (exit code 127) or cannot be executed (126).
    """
    stdin = subprocess.DEVNULL if _is_tty(sys.stdin) else None
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=stdin,
                                process_group=0, env=env, close_fds=True)
    except OSError as exc:
        sink.close()
        if isinstance(exc, FileNotFoundError):
            raise _not_started(argv[0], "command not found", EXIT_NOT_FOUND) from None
        if isinstance(exc, PermissionError):
            raise _not_started(argv[0], "permission denied (not executable)", EXIT_NOT_EXECUTABLE) from None
        raise _not_started(argv[0], exc.strerror or str(exc), EXIT_NOT_EXECUTABLE) from None  # ENOEXEC ...
    interrupts = [0]  # Ctrl-C presses seen

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT:
            interrupts[0] += 1
            signum = signal.SIGKILL if interrupts[0] > 1 else signal.SIGINT
        try:
            os.killpg(proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    lines = _Lines(sink, redact)
    out = _tee_target(tee)
    try:
        _pump(proc, lines, out)
        proc.wait()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        lines.close()
        sink.close()
        if proc.stdout is not None:
            proc.stdout.close()
    return Capture(log, proc.returncode, time.monotonic() - t0, lines.lines, lines.bytes, interrupts[0] > 0,
                   lines.redactor.stats.total)


def _pump(proc: subprocess.Popen[bytes], lines: _Lines, out: BinaryIO | None) -> None:
    """Copy the pipe to the log (and ``out``) until it closes, or until it has been
    quiet for a while after the command exited."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    exited_at = None
    try:
        while True:
            if sel.select(timeout=0.2):
                data = os.read(fd, _READ)
                if not data:
                    return
                lines.add(data)
                if out is not None:
                    try:
                        out.write(data)
                        out.flush()
                    except (BrokenPipeError, OSError, ValueError):
                        out = None  # the terminal or pipe went away: keep logging
            if proc.poll() is not None:
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at > DRAIN_SECONDS:
                    return
    finally:
        sel.close()


def _is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _not_started(program: str, why: str, code: int) -> NotStarted:
    err = NotStarted(f"cannot run {program!r}: {why}")
    err.exit_code = code
    return err
