"""The store on a PostgreSQL server: a connection with DuckDB's calling style, and which
of the server's errors are worth another attempt.

:class:`PgConnection` wraps a psycopg 3 connection in autocommit mode so the store's
code runs unchanged on it: ``conn.execute(sql, params).fetchone()/fetchall()`` with
DuckDB's ``?`` placeholders (translated once per statement text), and the store's own
``BEGIN TRANSACTION`` / ``COMMIT`` / ``ROLLBACK`` statements.

Writers on one database take a transaction-scoped advisory lock (:data:`WRITE_LOCK`,
per schema) before they write, so rows several runs share (the memory's sequence
numbers, the cross-run rebuilds) are written by one transaction at a time, while
readers never wait. :func:`is_transient` says which errors a writer retries:
serialization failures, deadlocks, lock timeouts, a server refusing or dropping the
connection, a server starting up or shutting down.

Example:
    conn = connect_pg("postgresql://tokopt@127.0.0.1:5432/tokopt", lock_timeout=10)
    conn.execute("SELECT count(*) FROM runs WHERE source = ?", ["cli"]).fetchone()
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Loader

__all__ = ["PgConnection", "WRITE_LOCK", "connect_pg", "is_transient", "to_pyformat"]

#: The advisory lock class of the store's writers (the second key is the schema's hash).
WRITE_LOCK = 0x746F6B6F  # "toko"

#: SQLSTATEs of errors another attempt may not meet: serialization failure, deadlock,
#: lock not available (lock_timeout), too many connections, the server shutting down or
#: starting, a connection that failed.
_TRANSIENT_STATES = {"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03", "08000", "08001", "08003", "08004",
                     "08006"}


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a server error that another attempt of the same transaction
    may not meet (see :data:`_TRANSIENT_STATES`)."""
    if not isinstance(exc, psycopg.Error):
        return False
    state = getattr(exc, "sqlstate", None)
    if state in _TRANSIENT_STATES:
        return True
    # A connection that could not be made or was lost carries no SQLSTATE.
    return state is None and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """``sql`` with DuckDB's ``?`` placeholders as psycopg's ``%s`` (and a literal ``%``
    doubled); a ``?`` inside a quoted string or identifier is left as it is."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        if ch == "%":
            out.append("%%")
            continue
        out.append(ch)
    return "".join(out)


class _NumberLoader(Loader):
    """``numeric`` as DuckDB returns it: an int when whole (``sum`` of integers), else a
    float (never a Decimal, which mixes with neither in Python arithmetic)."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode("ascii")
        try:
            return int(text)
        except ValueError:  # a fraction, an exponent, NaN, Infinity
            return float(text)


class PgConnection:
    """A psycopg connection answering the store's DuckDB-style calls."""

    dialect = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]):
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        """Run one statement; the cursor answers ``fetchone()`` / ``fetchall()``."""
        if params is None:
            return self.raw.execute(sql)
        return self.raw.execute(to_pyformat(sql), list(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (pipelined by psycopg)."""
        with self.raw.cursor() as cur:
            cur.executemany(to_pyformat(sql), [list(r) for r in rows])

    def close(self) -> None:
        self.raw.close()


def connect_pg(url: str, lock_timeout: float, application_name: str = "tokopt") -> PgConnection:
    """A connection to the database at ``url`` in autocommit mode (the store issues its
    own transactions), where waiting for a lock fails after ``lock_timeout`` seconds.

    Raises:
        psycopg.OperationalError: the server cannot be reached (see :func:`is_transient`).
    """
    ms = max(1, int(lock_timeout * 1000))
    conn = psycopg.connect(
        url, autocommit=True, connect_timeout=max(1, int(lock_timeout) or 1), application_name=application_name,
    )
    conn.adapters.register_loader("numeric", _NumberLoader)
    conn.execute(f"SET lock_timeout = {ms}")
    return PgConnection(conn)

