"""The embedded DuckDB store: one file, one writer at a time, nothing lost.

DuckDB lets one process write a file (another process cannot even open it read-only
while it does). tokopt serializes its writers: Dagster runs go through a concurrency
pool of 1, and the CLI waits a bounded time for the lock. When the lock does not come,
the write is saved as a JSON file in the pending folder (``.mcp_local_storage/`` by
default) and replayed, in order, by the next process that gets the lock. Writes are
*operations* — a name and a JSON payload — applied by handlers registered with
:func:`operation`, so a pending write replays exactly as it would have run.

The file's schema is versioned (:mod:`.schema`); :func:`migrate` upgrades an older
file in place, each step in a transaction. A file newer than this code is refused
rather than misread.

Example:
    store = Store.from_env()
    with store.connect() as conn:
        conn.sql("SELECT count(*) FROM runs").fetchone()
    store.write("record_run", {...})   # applied now, or queued if the store is busy
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tokopt_pipeline.lib.errors import StoreError
from tokopt_pipeline.lib.outputs import atomic_write_text
from tokopt_pipeline.lib.store.schema import MIGRATIONS, latest_version

DEFAULT_PATH = Path(".tokopt") / "tokopt.duckdb"
DEFAULT_PENDING = Path(".mcp_local_storage")

_OPERATIONS: dict[str, Callable[[duckdb.DuckDBPyConnection, dict], None]] = {}
# Modules that register operations; imported before a replay so every handler exists.
OPERATION_MODULES: list[str] = ["tokopt_pipeline.lib.store.records"]
OPERATION_MODULES += ["tokopt_pipeline.lib.memory", "tokopt_pipeline.lib.usage.ledger"]


def operation(name: str):
    """Register ``fn(conn, payload)`` as the handler of write operation ``name``."""

    def deco(fn):
        _OPERATIONS[name] = fn
        return fn

    return deco


class StoreBusy(StoreError):
    """The store's lock is held by another process."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date; return the version now in the file."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)")
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    current = int(row[0])
    if current > latest_version():
        raise StoreError(f"the store was written by a newer tokopt (schema {current}, this one knows {latest_version()}): upgrade tokopt")
    for version, description, sql in sorted(MIGRATIONS):
        if version <= current:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
            conn.execute("COMMIT")
        except Exception as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"could not upgrade the store to schema {version}: {exc}") from exc
        current = version
    return current


@dataclass
class Store:
    """A DuckDB file plus its pending folder."""

    path: Path = DEFAULT_PATH
    pending_dir: Path = DEFAULT_PENDING
    lock_timeout: float = 10.0

    @classmethod
    def from_env(cls, path: str | os.PathLike | None = None, pending_dir: str | os.PathLike | None = None) -> Store:
        """``TOKOPT_DUCKDB_PATH`` / ``TOKOPT_PENDING_DIR`` override the defaults."""
        p = Path(path or os.environ.get("TOKOPT_DUCKDB_PATH") or DEFAULT_PATH)
        pend = Path(pending_dir or os.environ.get("TOKOPT_PENDING_DIR") or DEFAULT_PENDING)
        timeout = float(os.environ.get("TOKOPT_LOCK_TIMEOUT", "10"))
        return cls(p, pend, timeout)

    @contextmanager
    def connect(self, timeout: float | None = None, replay: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A migrated read-write connection; waits up to ``timeout`` s for the lock.

        Raises:
            StoreBusy: the lock did not come in time.
            StoreError: the file is not a DuckDB store or cannot be upgraded.
        """
        timeout = self.lock_timeout if timeout is None else timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store's folder {self.path.parent}: {exc.strerror or exc}") from exc
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            try:
                conn = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"the store {self.path} is locked by another process") from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        try:
            migrate(conn)
            if replay:
                self._replay(conn)
            yield conn
        finally:
            conn.close()

    # -- writes that never get lost -------------------------------------------
    def write(self, op: str, payload: dict, timeout: float | None = None) -> str:
        """Apply operation ``op`` now, or queue it in the pending folder if the store is
        busy. Returns ``"applied"`` or the path of the pending file."""
        if op not in _OPERATIONS:
            _load_operation_modules()
        if op not in _OPERATIONS:
            raise StoreError(f"unknown store operation {op!r}")
        try:
            with self.connect(timeout=timeout) as conn:
                self._apply(conn, op, payload)
            return "applied"
        except StoreBusy:
            return str(self.queue(op, payload))

    def queue(self, op: str, payload: dict) -> Path:
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}-{op}.json"
        path = self.pending_dir / name
        atomic_write_text(path, json.dumps({"op": op, "payload": payload}, default=str))
        return path

    def pending(self) -> list[Path]:
        if not self.pending_dir.is_dir():
            return []
        return sorted(p for p in self.pending_dir.glob("*.json") if not p.name.startswith("."))

    def replay(self, timeout: float | None = None) -> int:
        """Apply everything pending (the spec's ``--reconnect-memory``); return how many."""
        with self.connect(timeout=timeout, replay=False) as conn:
            return self._replay(conn)

    def _replay(self, conn) -> int:
        files = self.pending()
        if not files:
            return 0
        _load_operation_modules()
        done = 0
        for path in files:
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
                op, payload = rec["op"], rec["payload"]
            except (OSError, ValueError, KeyError):
                bad = path.with_suffix(".bad")
                path.rename(bad)
                continue
            if op not in _OPERATIONS:
                continue
            self._apply(conn, op, payload)
            path.unlink()
            done += 1
        return done

    def apply(self, conn, op: str, payload: dict) -> None:
        """Apply operation ``op`` on an open connection, in one transaction."""
        if op not in _OPERATIONS:
            _load_operation_modules()
        if op not in _OPERATIONS:
            raise StoreError(f"unknown store operation {op!r}")
        self._apply(conn, op, payload)

    def _apply(self, conn, op: str, payload: dict) -> None:
        conn.execute("BEGIN TRANSACTION")
        try:
            _OPERATIONS[op](conn, payload)
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise


def _load_operation_modules() -> None:
    import importlib

    for m in OPERATION_MODULES:
        importlib.import_module(m)
