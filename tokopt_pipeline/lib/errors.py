"""Errors a user can cause, each with the exit code the `tokopt` command returns.

Exit codes (documented in README and `tokopt --help`):

===  ==========================================================
0    success
1    a check failed (threshold exceeded, validation failed)
2    bad command-line usage
3    input file not found, a directory, or not readable
4    input not usable: empty, binary, corrupt or truncated archive
5    output could not be written
6    store or configuration problem
130  interrupted (Ctrl-C)
141  stdout closed early (``tokopt LOG -o - | head``): the rest of
     the output is dropped quietly, no traceback (128 + SIGPIPE, as
     other tools report it; ``set -o pipefail`` sees it)
===  ==========================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_INPUT = 3
EXIT_BAD_INPUT = 4
EXIT_OUTPUT = 5
EXIT_STORE = 6
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141


class TokoptError(Exception):
    """Base of errors that end a command with a clear message and an exit code."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InputNotFound(TokoptError):
    """The input path does not exist, is a directory, or cannot be read."""

    exit_code = EXIT_NO_INPUT


class BadInput(TokoptError):
    """The input exists but cannot be summarized: empty, binary, corrupt or truncated."""

    exit_code = EXIT_BAD_INPUT


class OutputError(TokoptError):
    """An output file or folder could not be written."""

    exit_code = EXIT_OUTPUT


class StoreError(TokoptError):
    """The store or a configuration file is unusable."""

    exit_code = EXIT_STORE


class BadEnvironment(TokoptError):
    """A ``TOKOPT_*`` environment variable holds a value of the wrong kind."""

    exit_code = EXIT_USAGE
