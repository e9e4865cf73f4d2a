"""The root of the command tree, and the way in: :func:`main` (returns an exit code) and
:func:`run` (the ``tokopt`` console script)."""

from __future__ import annotations

import os
import sys

import click

from tokopt_pipeline.cli.aliases import rewrite
from tokopt_pipeline.cli.ci import ci
from tokopt_pipeline.cli.command import Group
from tokopt_pipeline.cli.config import config
from tokopt_pipeline.cli.diagnose import diagnose
from tokopt_pipeline.cli.memory import memory, report
from tokopt_pipeline.cli.run import run as run_command
from tokopt_pipeline.cli.summarize import summarize
from tokopt_pipeline.cli.usage import usage
from tokopt_pipeline.lib.errors import EXIT_INTERRUPTED, EXIT_PIPE, EXIT_USAGE, TokoptError
from tokopt_pipeline.lib.settings.environment import check_environment

__all__ = ["tokopt", "main", "run", "EXIT_CODES"]

EXIT_CODES = """\b
Exit codes:
    0  success
    1  a check failed (threshold exceeded, validation failed)
    2  bad command-line usage
    3  input not found, a directory, or not readable
    4  input not usable: empty, binary, corrupt or truncated archive
    5  output could not be written
    6  store or configuration problem
  130  interrupted (Ctrl-C)
  141  stdout closed early (tokopt LOG -o - | head): the rest is dropped quietly"""


class _StdoutClosed(Exception):
    """The reader of stdout (or stderr) left before the command was done."""


class Tokopt(Group):
    """``tokopt``: its commands, with ``summarize`` the default."""

    # A closed pipe is caught before click sees it: click would answer it with SystemExit(1).
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError as exc:  # --help into a closed pipe
            raise _StdoutClosed() from exc

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise _StdoutClosed() from exc

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write("Usage: tokopt [summarize] LOG... [OPTIONS]\n       tokopt COMMAND [ARGS]... [OPTIONS]\n")


@click.group(cls=Tokopt, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(package_name="tokopt", prog_name="tokopt", message="%(prog)s %(version)s")
def tokopt() -> None:
    """Summarize a log (CI, test or application output) within a hard LLM token budget
    (cl100k_base, counted exactly), never dropping a failure: every failing test, every
    distinct error with one traceback, every run's totals; whatever does not fit is
    replaced by an exact count. `tokopt LOG` is `tokopt summarize LOG`.

    The spec's command flags work as aliases: --check-usage is `usage check`,
    --validate-ci `ci validate`, --analyze-memory `memory analyze`, and so on
    (docs/cli.md)."""


@tokopt.command("mcp")
@click.option("--store", metavar="PATH", help="the DuckDB store (default: TOKOPT_DUCKDB_PATH or .tokopt/tokopt.duckdb)")
def mcp(store: str | None) -> int:
    """Serve logs and the memory over MCP on stdin/stdout, every result within the
    call's max_tokens (tools: summarize_log, log_lines, log_grep, failures, read_graph,
    search_nodes, open_nodes, get_summary, list_runs)."""
    from tokopt_pipeline.lib.store.db import Store
    from tokopt_pipeline.mcp_server import build_server

    build_server(Store.from_env(store)).run("stdio")
    return 0


for _command in (summarize, run_command, memory, usage, ci, config, diagnose, report):
    tokopt.add_command(_command)


def _threads_from_argv(argv: list[str]) -> None:
    """Apply --parallel-workers before polars is imported (its pool is sized then)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break  # what follows is a command's (tokopt run -- CMD ARGS...)
        value = None
        if arg == "--parallel-workers" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--parallel-workers="):
            value = arg.split("=", 1)[1]
        if value and value.isdigit() and int(value) > 0:
            os.environ["POLARS_MAX_THREADS"] = value
            os.environ["RAYON_NUM_THREADS"] = value


def _command_words(argv: list[str]) -> list[str]:
    """``argv`` with the command first: a command line that does not start with a
    command name (or a help flag) is read through the spec's aliases."""
    if argv and (argv[0] in tokopt.commands or argv[0] in ("-h", "--help", "--version")):
        return argv
    return rewrite(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command on ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _threads_from_argv(argv)
    words: list[str] = []
    try:
        check_environment()
        words = _command_words(argv)
        rc = tokopt.main(args=words, prog_name="tokopt", standalone_mode=False)
        return rc if isinstance(rc, int) else 0
    except click.UsageError as exc:
        ctx = exc.ctx
        print(f"tokopt: error: {exc.format_message()}", file=sys.stderr)
        where = ctx.command_path if ctx is not None else "tokopt"
        print(f"see {where} --help", file=sys.stderr)
        return EXIT_USAGE
    except click.ClickException as exc:
        print(f"tokopt: error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except TokoptError as exc:
        print(f"tokopt: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        print("tokopt: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (BrokenPipeError, _StdoutClosed):
        # The reader of stdout left (`| head`): nothing more to say to it. Later writes
        # (and the flush at exit) go to the null device instead of raising again.
        _stdout_to_devnull()
        return EXIT_PIPE


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured): nothing to redirect
        pass


def run() -> None:
    """The ``tokopt`` command: :func:`main`, then a quick exit.

    Once the outputs are written and the streams flushed, nothing is left to do but
    what the interpreter's shutdown would do: wait for the threads that still run, then
    tear down every module, which takes ~0.07 s with polars and DuckDB loaded. The
    first is done here; the second is skipped.
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
