"""``tokopt`` options that record every summary in the DuckDB store.

The command writes to the same store the Dagster assets use (``.tokopt/tokopt.duckdb``,
or ``TOKOPT_DUCKDB_PATH``, or ``--store-path``), so the CLI and the UI see the same
runs. When a Dagster run holds the store's lock, the command waits a bounded time
(``TOKOPT_LOCK_TIMEOUT`` seconds, default 10), then saves the write in the pending
folder (``.mcp_local_storage/``), which the next writer replays: nothing is lost.
"""

from __future__ import annotations

import os
import sys

from .lib.errors import EXIT_STORE


def add_arguments(parser) -> None:
    g = parser.add_argument_group("store")
    g.add_argument("--store-path", metavar="FILE", help="DuckDB store the summary is recorded in (default: $TOKOPT_DUCKDB_PATH or .tokopt/tokopt.duckdb)")
    g.add_argument("--no-store", action="store_true", help="do not record the summary in the store")


def handle(args) -> int | None:
    if not getattr(args, "no_store", False) and (getattr(args, "paths", None) or getattr(args, "log_file", None)):
        # Import DuckDB (~0.05 s) while the log is read; the summary is recorded after.
        # Not a daemon thread: exiting while a C++ extension is half-loaded aborts.
        import threading

        threading.Thread(target=_import_store, name="tokopt-import-store").start()
    return None


def _import_store() -> None:
    try:
        from .lib import store  # noqa: F401
    except Exception:  # reported by after_summary, which imports it again
        pass


def after_summary(args, summary, out_path) -> int | None:
    if getattr(args, "no_store", False):
        return None
    from .lib import records
    from .lib.errors import StoreError
    from .lib.store import Store
    from .lib.logfiles import DEFAULT_LOG_DIR, partition_key

    source = summary.analysis.source
    if source in ("-", ""):
        path, key = "-", "stdin"
    else:
        path = os.path.abspath(source)
        key = partition_key(path, os.environ.get("TOKOPT_LOG_DIR") or DEFAULT_LOG_DIR)
    store = Store.from_env(getattr(args, "store_path", None))
    payload = records.summary_payload(
        summary, run_id=records.new_run_id("cli"), source="cli", file_key=key, path=path,
        summary_path=str(out_path) if out_path else None,
    )
    try:
        where = store.write("record_run", payload)
    except StoreError as exc:
        print(f"tokopt: error: the summary was written but not recorded: {exc.message} (use --no-store to skip the store)", file=sys.stderr)
        return EXIT_STORE
    if where != "applied":
        print(f"tokopt: the store {store.path} is busy; the run is saved in {where} and will be recorded by the next writer", file=sys.stderr)
    elif getattr(args, "verbose", False):
        print(f"  recorded in {store.path}", file=sys.stderr)
    return None
