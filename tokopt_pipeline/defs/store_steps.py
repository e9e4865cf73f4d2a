"""How the steps that open the store run: their concurrency pool, chosen by the store's
backend, and their retries on a busy store.

Pool. The DuckDB file has one writer at a time, so every step that opens it is in the
``duckdb`` pool, whose limit is 1 in ``dagster_home/dagster.yaml``. A PostgreSQL store
(``TOKOPT_STORE_URL=postgresql://...``) takes concurrent writers, so its steps are in
the ``store_postgres`` pool instead, which ``deploy/dagster.yaml`` sizes with the runs
(its ``default_limit``). The backend is read when the definitions are loaded (the code
server, a run worker), from the same variable the store reads.

Retries. :data:`STORE_RETRY` retries a step with exponential backoff; a step's body runs
inside :func:`only_busy_retried`, which lets :class:`StoreBusy` (the lock or the server
did not come in time: worth another try) through and turns every other exception into a
``dg.Failure(allow_retries=False)`` (a bad file, a bug: another try would fail the same
way). Whole runs that die (a worker killed) are retried by the instance's run retries
(``deploy/dagster.yaml``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from tokopt_pipeline.lib.store.db import StoreBusy

DUCKDB_POOL = "duckdb"
POSTGRES_POOL = "store_postgres"

#: A step that found the store busy runs again after about 2, 4, 8, 16, 32 s.
STORE_RETRY = dg.RetryPolicy(max_retries=5, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def store_backend(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """``"postgres"`` when ``TOKOPT_STORE_URL`` is a PostgreSQL URL, else ``"duckdb"``."""
    url = (environ if environ is not None else os.environ).get("TOKOPT_STORE_URL") or ""
    return "postgres" if url.startswith(("postgresql://", "postgres://", "postgresql+")) else "duckdb"


def store_pool(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The pool of the steps that open the store, for the backend in use."""
    return POSTGRES_POOL if store_backend(environ) == "postgres" else DUCKDB_POOL


#: The pool every store step of these definitions is in.
STORE_POOL = store_pool()


@contextmanager
def only_busy_retried() -> Iterator[None]:
    """Run a store step's body so that :data:`STORE_RETRY` retries it only when the store was busy."""
    try:
        yield
    except (StoreBusy, dg.RetryRequested):
        raise
    except dg.Failure as exc:
        if exc.allow_retries is False:
            raise
        raise dg.Failure(description=exc.description, metadata=exc.metadata, allow_retries=False) from exc
    except Exception as exc:
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc
