"""Whether the file at the store's path is a healthy tokopt store, and the errors that
say what to do when it is not (or when the disk under it is full).

A file that is not one is refused, never "repaired" or overwritten: a SQLite file,
random bytes, another program's DuckDB database, a folder (:func:`foreign`); an empty
or truncated DuckDB file (:func:`damaged`). :func:`sniff` looks at the first bytes
before DuckDB opens the file; :func:`check_opened` looks at what DuckDB read.
"""

from __future__ import annotations

import errno
from pathlib import Path

import duckdb
from duckdb import DuckDBPyConnection

from tokopt_pipeline.lib.errors import StoreError

__all__ = ["StoreUnusable", "check_opened", "damaged", "disk_full", "first_line", "foreign", "is_disk_full", "sniff"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"          # at byte 8 of every DuckDB file
_HEADERS = 3 * 4096              # the file header and two database headers


class StoreUnusable(StoreError):
    """The file at the store's path is damaged or not a tokopt store; it is left as it is."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError or a DuckDB error) says the disk is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left" in text or "disk quota exceeded" in text


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def damaged(path: Path, why: str) -> StoreUnusable:
    return StoreUnusable(
        f"the store {path} is damaged ({why}); it was left as it is. Move it aside (the next run starts a new, "
        f"empty store) or restore it from a backup, or point --store-path / TOKOPT_DUCKDB_PATH at another file"
    )


def foreign(path: Path, what: str) -> StoreUnusable:
    return StoreUnusable(
        f"{path} is not a tokopt store ({what}); it was left as it is. Point --store-path / TOKOPT_DUCKDB_PATH "
        f"at another file, or move this one away"
    )


def disk_full(path: Path, exc: BaseException) -> StoreError:
    return StoreError(
        f"no space left on the disk of the store {path} ({first_line(exc)}); nothing of this write was kept and "
        f"the store holds what it held before it. Free some space and run again"
    )


def sniff(path: Path) -> None:
    """Refuse a file that is plainly not a DuckDB store, before DuckDB opens it (a SQLite
    file would make DuckDB look for an extension)."""
    try:
        if not path.exists():
            return
        if not path.is_file():
            raise foreign(path, "not a regular file")
        with path.open("rb") as f:
            head = f.read(16)
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror or exc}") from exc
    if head.startswith(_SQLITE_MAGIC):
        raise foreign(path, "a SQLite database")
    if size == 0:
        raise damaged(path, "the file is empty")
    if head[8:12] != _DUCKDB_MAGIC:
        raise foreign(path, "not a DuckDB file")
    if size < _HEADERS:
        raise damaged(path, f"the file ends after {size:,} bytes, inside its headers")


def check_opened(conn: DuckDBPyConnection, path: Path, had_wal: bool = False) -> None:
    """After opening: the file holds whole blocks, at least those in use (else it was
    truncated), and it is tokopt's (a DuckDB database with tables has schema_version).

    ``had_wal``: a write-ahead log was beside the file when it was opened. Then a part of
    a block at the end is no damage: a writer killed inside a checkpoint, while it
    extended the file, leaves one, and its log (just replayed) still holds the writes."""
    try:
        info = conn.execute("SELECT used_blocks, block_size FROM pragma_database_size()").fetchone()
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()}
    except duckdb.Error as exc:
        raise damaged(path, first_line(exc)) from exc
    if info is not None and info[1]:
        # A DuckDB file is its headers and whole blocks (free blocks at the end are cut
        # off by a checkpoint, so only the blocks in use must be there).
        used, block_size = int(info[0] or 0), int(info[1])
        size = path.stat().st_size
        if ((size - _HEADERS) % block_size and not had_wal) or size < _HEADERS + used * block_size:
            raise damaged(path, f"the file ends after {size:,} bytes, inside its blocks: it was truncated")
    if tables and "schema_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise foreign(path, f"a DuckDB database with other tables: {shown}")


