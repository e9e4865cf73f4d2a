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
rather than misread, and so is a file that is not a tokopt store (a SQLite file,
another program's DuckDB database, random bytes) or a damaged one (truncated): the
message says what to do, and the file is left exactly as it was. A pending write that
cannot be replayed (foreign, corrupt) is moved to ``quarantine/`` in the pending folder
with a warning naming it, and the others are replayed.

DuckDB is opened with extension autoloading and autoinstalling off
(:data:`DUCKDB_CONFIG`): tokopt never reaches the network, nor writes ``~/.duckdb``.

The same store runs on a PostgreSQL server when ``TOKOPT_STORE_URL`` (or
``Store(url=...)``) is a ``postgresql://`` URL (:mod:`.postgres`, DDL in
:mod:`.schema_pg`). There is no file lock and no pending folder: an operation's writes
are one transaction under the writers' advisory lock, retried a bounded number of times
on a transient error (serialization failure, deadlock, lock timeout, a server that
refuses or drops the connection), then raised as :class:`StoreBusy`. A memory marker
(:meth:`Store.hold`) keeps its transaction open from marking to recording, so two runs
marked at once are marked as if one came after the other.

One concept (over 400 lines): the store as its callers see it, opened on either backend,
written by named operations that are never lost.

Example:
    store = Store.from_env()
    with store.connect() as conn:
        conn.execute("SELECT count(*) FROM runs").fetchone()
    store.write("record_run", {...})   # applied now, or queued if the store is busy
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
from duckdb import DuckDBPyConnection

from tokopt_pipeline.lib.errors import StoreError
from tokopt_pipeline.lib.outputs import atomic_write_text
from tokopt_pipeline.lib.settings.environment import path_value, postgres_url, seconds
from tokopt_pipeline.lib.store.health import (
    check_opened,
    damaged,
    disk_full,
    first_line,
    is_disk_full,
    sniff,
)
from tokopt_pipeline.lib.store.schema import MIGRATIONS, latest_version

DEFAULT_PATH = Path(".tokopt") / "tokopt.duckdb"
DEFAULT_PENDING = Path(".mcp_local_storage")
QUARANTINE = "quarantine"

#: Every connection's settings: no extension is loaded or installed on demand (a query
#: or a file that needs one fails instead of downloading it).
DUCKDB_CONFIG = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}

#: Attempts of a write on PostgreSQL before a transient error is raised as StoreBusy.
PG_ATTEMPTS = 8


class Rows(Protocol):
    """What a statement returns, on either engine."""

    def fetchone(self) -> tuple[Any, ...] | None: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...


class Connection(Protocol):
    """A store connection: DuckDB's, or :class:`.postgres.PgConnection`."""

    def execute(self, query: str, parameters: Any = None, /) -> Rows: ...


#: An operation's payload: a JSON object (as it is read back from a pending file).
Payload = dict[str, Any]
#: The handler of an operation: applies ``payload`` on the connection, in the caller's transaction.
Handler = Callable[[Connection, Payload], None]
_H = TypeVar("_H", bound=Handler)

_OPERATIONS: dict[str, Handler] = {}
# Modules that register operations; imported before a replay so every handler exists.
OPERATION_MODULES: list[str] = ["tokopt_pipeline.lib.store.records", "tokopt_pipeline.lib.store.retention"]
OPERATION_MODULES += ["tokopt_pipeline.lib.memory", "tokopt_pipeline.lib.usage.ledger"]

# DuckDB errors that say the file or the disk is at fault, not the statement.
_FILE_ERRORS = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException, duckdb.FatalException)


def operation(name: str) -> Callable[[_H], _H]:
    """Register ``fn(conn, payload)`` as the handler of write operation ``name``."""

    def deco(fn: _H) -> _H:
        _OPERATIONS[name] = fn
        return fn

    return deco


class StoreBusy(StoreError):
    """The store's lock is held by another process."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def _pandas_known_absent() -> None:
    """Record in ``sys.modules`` that pandas is not installed, when it is not.

    DuckDB's Python client looks for pandas on every parameter value it converts; with
    pandas absent each look is a failed import that searches the whole ``sys.path``
    (a run's 6,500 test names as one list parameter: 1.7 s). A ``None`` entry is what
    Python itself reads as "not importable", so the look costs nothing and every other
    library still sees pandas as missing, as it is."""
    if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
        sys.modules["pandas"] = None  # type: ignore[assignment]


def open_duckdb(path: str | os.PathLike[str], read_only: bool = False) -> DuckDBPyConnection:
    """A DuckDB connection with tokopt's settings (:data:`DUCKDB_CONFIG`)."""
    _pandas_known_absent()
    return duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))


def on_postgres(conn: object) -> bool:
    """Whether ``conn`` is a PostgreSQL connection (:class:`.postgres.PgConnection`)."""
    return getattr(conn, "dialect", None) == "postgres"


def one_row(conn: Connection, sql: str, params: object = None) -> tuple[Any, ...]:
    """The row of a query that always returns exactly one (an aggregate such as ``count(*)``)."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise StoreError(f"the store returned no row for {sql[:80]!r}")
    return row


def one_value(conn: Connection, sql: str, params: object = None) -> Any:
    """The first column of :func:`one_row`."""
    return one_row(conn, sql, params)[0]


def migrate(conn: Connection) -> int:
    """Bring the schema up to date: apply, in version order, every migration the file
    has not had; return the highest version now in the file."""
    if on_postgres(conn):
        return _migrate_pg(conn)
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)")
    applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_version").fetchall()}
    _refuse_newer(applied)
    for version, description, sql in sorted(MIGRATIONS):
        if version in applied:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
            conn.execute("COMMIT")
        except Exception as exc:
            _rollback(conn)
            if isinstance(exc, _FILE_ERRORS):
                raise
            raise StoreError(f"could not upgrade the store to schema {version}: {exc}") from exc
        applied.add(version)
    return max(applied)


def _refuse_newer(applied: set[int]) -> None:
    """Raise when the store holds a schema version this tokopt does not know."""
    if applied - {v for v, _, _ in MIGRATIONS}:
        raise StoreError(
            f"the store was written by a newer tokopt (schema {max(applied)}, this one knows {latest_version()}): upgrade tokopt"
        )


def _migrate_pg(conn: Connection) -> int:
    """:func:`migrate` on PostgreSQL: every missing migration in one transaction, under
    the writers' lock (two processes starting at once migrate once)."""
    from tokopt_pipeline.lib.store.schema_pg import migrations

    known = {v for v, _, _ in MIGRATIONS}
    if one_value(conn, "SELECT to_regclass('schema_version') IS NOT NULL"):
        applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_version").fetchall()}
        _refuse_newer(applied)
        if applied >= known:
            return max(applied)
    try:
        begin_write(conn)
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description VARCHAR, "
                     "applied_at TIMESTAMP DEFAULT current_timestamp)")
        applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_version").fetchall()}
        _refuse_newer(applied)
        for version, description, sql in sorted(migrations()):
            if version in applied:
                continue
            try:
                conn.execute(sql)
            except Exception as exc:
                if _transient(exc):
                    raise
                raise StoreError(f"could not upgrade the store to schema {version}: {first_line(exc)}") from exc
            conn.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
            applied.add(version)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise
    return max(applied)


def begin_write(conn: Connection) -> None:
    """Begin a write transaction. On PostgreSQL it first waits for the writers' lock of
    this store (its schema), held until the transaction ends: one writer at a time,
    readers never wait. On DuckDB the file has one writer already."""
    conn.execute("BEGIN TRANSACTION")
    if on_postgres(conn):
        from tokopt_pipeline.lib.store.postgres import WRITE_LOCK

        conn.execute("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", [WRITE_LOCK])


def _transient(exc: BaseException) -> bool:
    """A PostgreSQL error another attempt may not meet (False on DuckDB)."""
    if type(exc).__module__.startswith("psycopg"):
        from tokopt_pipeline.lib.store.postgres import is_transient

        return is_transient(exc)
    return False


def _rollback(conn: Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except Exception:  # no transaction left, the connection lost, or the database invalidated: nothing was committed
        pass


def warn(message: str) -> None:
    """A warning on stderr (never on stdout, where summaries and MCP answers go)."""
    print(f"tokopt: warning: {message}", file=sys.stderr)


def store_url() -> str | None:
    """``TOKOPT_STORE_URL``: a ``postgresql://`` (or ``postgres://``) URL puts the store
    on that server; unset, the store is the DuckDB file.

    Raises:
        BadEnvironment: the variable holds something else than such a URL (exit 2).
    """
    return postgres_url("TOKOPT_STORE_URL")


# Transactions held open by a memory marker, from marking to recording: per store URL,
# process and thread (:meth:`Store.hold`).
_HELD: dict[tuple[str, int, int], tuple[int, Connection]] = {}
_TOKENS = iter(range(1, 1 << 62))


@dataclass
class Store:
    """A DuckDB file plus its pending folder, or a PostgreSQL database (``url``)."""

    path: Path = DEFAULT_PATH
    pending_dir: Path = DEFAULT_PENDING
    lock_timeout: float = 10.0
    #: A ``postgresql://`` URL; None: the DuckDB file. Defaults to ``TOKOPT_STORE_URL``.
    url: str | None = field(default_factory=store_url)

    @classmethod
    def from_env(
        cls, path: str | os.PathLike[str] | None = None, pending_dir: str | os.PathLike[str] | None = None
    ) -> Store:
        """``TOKOPT_STORE_URL`` / ``TOKOPT_DUCKDB_PATH`` / ``TOKOPT_PENDING_DIR`` /
        ``TOKOPT_LOCK_TIMEOUT`` override the defaults; a wrong value raises
        :class:`BadEnvironment` (exit 2). A ``path`` given (``--store-path``) is the
        DuckDB file, whatever ``TOKOPT_STORE_URL`` says."""
        p = Path(path or path_value("TOKOPT_DUCKDB_PATH") or DEFAULT_PATH)
        pend = Path(pending_dir or path_value("TOKOPT_PENDING_DIR") or DEFAULT_PENDING)
        return cls(p, pend, seconds("TOKOPT_LOCK_TIMEOUT", 10.0), url=None if path else store_url())

    @property
    def postgres(self) -> bool:
        """Whether the store is on a PostgreSQL server."""
        return self.url is not None

    @property
    def where(self) -> str:
        """The store's place as a message shows it: the file, or the URL without its password."""
        if self.url is None:
            return str(self.path)
        from urllib.parse import urlsplit

        u = urlsplit(self.url)
        host = u.hostname or ""
        return f"{u.scheme}://{u.username + '@' if u.username else ''}{host}{':' + str(u.port) if u.port else ''}{u.path}"

    def _held_key(self) -> tuple[str, int, int]:
        return (str(self.url), os.getpid(), threading.get_ident())

    def _open_pg(self, timeout: float) -> Connection:
        """A migrated connection to the server, waiting up to ``timeout`` s for a server
        that refuses connections (then :class:`StoreBusy`)."""
        from tokopt_pipeline.lib.store.postgres import connect_pg

        assert self.url is not None
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            conn: Connection | None = None
            try:
                conn = connect_pg(self.url, timeout)
                migrate(conn)
                return conn
            except Exception as exc:
                if conn is not None:
                    _close(conn)
                if not _transient(exc):
                    if isinstance(exc, StoreError):
                        raise
                    raise StoreError(f"cannot use the store {self.where}: {first_line(exc)}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"the store {self.where} did not answer in {timeout:g} s: {first_line(exc)}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def _connect_pg(self, timeout: float) -> Iterator[Connection]:
        held = _HELD.get(self._held_key())
        if held is not None:  # inside a marker's transaction: read what it will record against
            yield held[1]
            return
        conn = self._open_pg(timeout)
        try:
            yield conn
        except Exception as exc:
            if _transient(exc):
                raise StoreBusy(f"the store {self.where} is busy: {first_line(exc)}") from exc
            raise
        finally:
            _close(conn)

    def hold(self, timeout: float | None = None) -> int | None:
        """On PostgreSQL, open the transaction a memory marker marks in and the next
        :meth:`write` / :meth:`write_all` of this process and thread records in, under
        the writers' lock: a run is marked and recorded at once, never interleaved with
        another's. Returns a token for :meth:`release`; None (and does nothing) on
        DuckDB, whose writers are one at a time already.

        Raises:
            StoreBusy: the lock did not come in ``timeout`` s (default: the lock timeout).
        """
        if not self.postgres:
            return None
        self.release()
        timeout = self.lock_timeout if timeout is None else timeout
        conn = self._open_pg(timeout)
        try:
            begin_write(conn)
        except Exception as exc:
            _rollback(conn)
            _close(conn)
            if _transient(exc):
                raise StoreBusy(f"the store {self.where} is busy: {first_line(exc)}") from exc
            raise
        token = next(_TOKENS)
        _HELD[self._held_key()] = (token, conn)
        return token

    def release(self, token: int | None = None) -> None:
        """Give up the transaction :meth:`hold` opened (``token``: only that one) when
        nothing was recorded in it (rolled back)."""
        key = self._held_key()
        held = _HELD.get(key)
        if held is None or (token is not None and held[0] != token):
            return
        del _HELD[key]
        _rollback(held[1])
        _close(held[1])

    @contextmanager
    def connect(self, timeout: float | None = None, replay: bool = True) -> Iterator[Connection]:
        """A migrated read-write connection; waits up to ``timeout`` s for the lock.

        Raises:
            StoreBusy: the lock did not come in time.
            StoreUnusable: the file is damaged or not a tokopt store (left as it is).
            StoreError: the store cannot be upgraded, or the disk is full.
        """
        if self.url is not None:
            with self._connect_pg(self.lock_timeout if timeout is None else timeout) as pg:
                yield pg
            return
        yield from self._connect_duckdb(timeout, replay)

    def _connect_duckdb(self, timeout: float | None, replay: bool) -> Iterator[Connection]:
        timeout = self.lock_timeout if timeout is None else timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full(self.path, exc) from exc
            raise StoreError(f"cannot create the store's folder {self.path.parent}: {exc.strerror or exc}") from exc
        sniff(self.path)
        existed = self.path.exists()
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            try:
                # A write-ahead log beside the file: the last writer may have been killed
                # inside a checkpoint (check_opened allows the part of a block it leaves).
                had_wal = self.path.with_name(self.path.name + ".wal").exists()
                conn = open_duckdb(self.path)
                break
            except duckdb.IOException as exc:
                if _is_lock_error(exc):
                    if time.monotonic() >= deadline:
                        raise StoreBusy(f"the store {self.path} is locked by another process") from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                    continue
                if is_disk_full(exc):
                    raise disk_full(self.path, exc) from exc
                if existed:
                    raise damaged(self.path, first_line(exc)) from exc
                raise StoreError(f"cannot open the store {self.path}: {first_line(exc)}") from exc
            except duckdb.Error as exc:
                if existed:
                    raise damaged(self.path, first_line(exc)) from exc
                raise StoreError(f"cannot open the store {self.path}: {first_line(exc)}") from exc
        try:
            if existed:
                check_opened(conn, self.path, had_wal=had_wal)
            migrate(conn)
            if replay:
                self._replay(conn)
            yield conn
        except _FILE_ERRORS as exc:
            if is_disk_full(exc):
                raise disk_full(self.path, exc) from exc
            raise damaged(self.path, first_line(exc)) from exc
        finally:
            try:
                conn.close()
            except duckdb.Error as exc:  # a checkpoint that failed: the committed writes stay in the WAL
                warn(f"the store {self.path} was not checkpointed on close ({first_line(exc)}); the next run finishes it")

    # -- writes that never get lost -------------------------------------------
    def write(self, op: str, payload: Payload, timeout: float | None = None) -> str:
        """Apply operation ``op`` now, or queue it in the pending folder if the store is
        busy. Returns ``"applied"`` or the path of the pending file."""
        _known(op)
        if self.url is not None:
            self._write_pg([(op, payload)], timeout)
            return "applied"
        try:
            with self.connect(timeout=timeout) as conn:
                self._apply(conn, op, payload)
            return "applied"
        except StoreBusy:
            return str(self.queue(op, payload))

    def write_all(self, ops: list[tuple[str, Payload]], timeout: float | None = None) -> str:
        """Apply several operations in one transaction (all of them or none), or queue
        them as one pending write. Returns ``"applied"`` or the pending file."""
        for op, _ in ops:
            _known(op)
        if self.url is not None:
            self._write_pg(ops, timeout)
            return "applied"
        if len(ops) == 1:
            return self.write(ops[0][0], ops[0][1], timeout=timeout)
        return self.write("batch", {"ops": [{"op": op, "payload": payload} for op, payload in ops]}, timeout=timeout)

    def _write_pg(self, ops: list[tuple[str, Payload]], timeout: float | None) -> None:
        """Apply ``ops`` in one transaction on PostgreSQL, in the transaction a marker
        holds (:meth:`hold`) when there is one; a transient error is retried up to
        :data:`PG_ATTEMPTS` times, then raised as :class:`StoreBusy`."""
        entry = _HELD.pop(self._held_key(), None)
        if entry is not None:
            try:
                if _commit_or_transient(entry[1], ops, begin=False) is None:
                    return
                # the held transaction failed (the server restarted): write afresh below
            finally:
                _close(entry[1])
        timeout = self.lock_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        delay = 0.02
        for attempt in range(1, PG_ATTEMPTS + 1):
            conn = self._open_pg(timeout)  # waits for a server that refuses connections
            try:
                exc = _commit_or_transient(conn, ops, begin=True)
                if exc is None:
                    return
                # Another attempt while attempts and time are left (a lock not granted in
                # the timeout has used the time up: waiting again would double it).
                if attempt == PG_ATTEMPTS or time.monotonic() + delay >= deadline:
                    raise StoreBusy(f"the store {self.where} stayed busy ({attempt} attempt{'s' if attempt > 1 else ''} "
                                    f"in {timeout:g} s): {first_line(exc)}") from exc
                RETRIES.append(type(exc).__name__)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            finally:
                _close(conn)

    def queue(self, op: str, payload: Payload) -> Path:
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}-{op}.json"
        path = self.pending_dir / name
        atomic_write_text(path, json.dumps({"op": op, "payload": payload}, default=str))
        return path

    def pending(self) -> list[Path]:
        if not self.pending_dir.is_dir():
            return []
        return sorted(p for p in self.pending_dir.glob("*.json") if not p.name.startswith("."))

    def quarantined(self) -> list[Path]:
        """The pending writes moved aside because they could not be replayed."""
        folder = self.pending_dir / QUARANTINE
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def replay(self, timeout: float | None = None) -> int:
        """Apply everything pending (the spec's ``--reconnect-memory``); return how many."""
        with self.connect(timeout=timeout, replay=False) as conn:
            return self._replay(conn)

    def quarantine(self, path: Path, why: str) -> Path | None:
        """Move a pending write that cannot be replayed to ``quarantine/``, warning."""
        dest = self.pending_dir / QUARANTINE / path.name
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)
        except OSError as exc:
            warn(f"the pending write {path} cannot be replayed ({why}) nor moved aside ({exc.strerror or exc}); remove it")
            return None
        warn(f"the pending write {path} cannot be replayed ({why}); moved to {dest}")
        return dest

    def _replay(self, conn: Connection) -> int:
        files = self.pending()
        if not files:
            return 0
        _load_operation_modules()
        done = 0
        for path in files:
            try:
                rec = json.loads(path.read_bytes().decode("utf-8"))
            except FileNotFoundError:  # replayed meanwhile by another process
                continue
            except (OSError, ValueError) as exc:
                self.quarantine(path, f"not a JSON file: {getattr(exc, 'strerror', None) or first_line(exc)}")
                continue
            if not (isinstance(rec, dict) and isinstance(rec.get("op"), str) and isinstance(rec.get("payload"), dict)):
                self.quarantine(path, "not a tokopt pending write (no op and payload)")
                continue
            op, payload = rec["op"], rec["payload"]
            if op not in _OPERATIONS:
                self.quarantine(path, f"unknown operation {op[:60]!r}")
                continue
            try:
                self._apply(conn, op, payload)
            except (StoreError, *_FILE_ERRORS, OSError, MemoryError):
                raise
            except Exception as exc:  # the payload does not fit the operation
                self.quarantine(path, f"{op}: {type(exc).__name__}: {first_line(exc)[:200]}")
                continue
            path.unlink(missing_ok=True)
            done += 1
        return done

    def apply(self, conn: Connection, op: str, payload: Payload) -> None:
        """Apply operation ``op`` on an open connection, in one transaction."""
        _known(op)
        self._apply(conn, op, payload)

    def _apply(self, conn: Connection, op: str, payload: Payload) -> None:
        held = _HELD.get(self._held_key())
        if held is not None and conn is held[1]:
            _OPERATIONS[op](conn, payload)  # recorded with the marker's transaction
            return
        try:
            begin_write(conn)
            _OPERATIONS[op](conn, payload)
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn)
            if is_disk_full(exc):
                raise disk_full(self.path, exc) from exc
            raise


def _close(conn: Connection) -> None:
    try:
        conn.close()  # type: ignore[attr-defined]
    except Exception:  # a connection already lost: nothing more to give back
        pass


#: The transient errors a PostgreSQL write retried in this process (their class names), for figures.
RETRIES: list[str] = []


def _commit_or_transient(conn: Connection, ops: list[tuple[str, Payload]], begin: bool) -> BaseException | None:
    """Apply ``ops`` and commit, in a write transaction begun here (``begin``) or in the
    connection's open one. None when committed; a transient error is rolled back and
    returned (another attempt may not meet it); any other error is rolled back and raised."""
    try:
        if begin:
            begin_write(conn)
        for op, payload in ops:
            _OPERATIONS[op](conn, payload)
        conn.execute("COMMIT")
        return None
    except Exception as exc:
        _rollback(conn)
        if not _transient(exc):
            raise
        return exc


def _known(op: str) -> None:
    if op not in _OPERATIONS:
        _load_operation_modules()
    if op not in _OPERATIONS:
        raise StoreError(f"unknown store operation {op!r}")


@operation("batch")
def _batch(conn: Connection, payload: Payload) -> None:
    """Several operations in the caller's one transaction (:meth:`Store.write_all`)."""
    ops = payload["ops"]
    if not isinstance(ops, list):
        raise ValueError("batch: ops must be a list")
    for item in ops:
        if item["op"] == "batch" or item["op"] not in _OPERATIONS:
            raise ValueError(f"batch: unknown operation {item['op']!r}")
        _OPERATIONS[item["op"]](conn, item["payload"])


def _load_operation_modules() -> None:
    import importlib

    for m in OPERATION_MODULES:
        importlib.import_module(m)
