"""How the steps that open the store run: their concurrency pool and their retries on
a busy store.

Pool. Every step that opens the store is in the ``tokopt_store`` pool; the instance
sets its limit, not the code, so nothing is read from the environment to define it.
``dagster_home/dagster.yaml`` (``make run``, ``make dev``, the DuckDB file: one writer
at a time) gives every pool a limit of 1; ``deploy/dagster.yaml`` (the store on
PostgreSQL: concurrent writers) gives it 4, one per run. A deployment that keeps the
DuckDB file holds the pool at 1: ``dagster instance concurrency set tokopt_store 1``.

Retries. :data:`STORE_RETRY` retries a step with exponential backoff; a step's body runs
inside :func:`only_busy_retried`, which lets :class:`StoreBusy` (the lock or the server
did not come in time: worth another try) through and turns every other exception into a
``dg.Failure(allow_retries=False)`` (a bad file, a bug: another try would fail the same
way). Whole runs that die (a worker killed) are retried by the instance's run retries
(``deploy/dagster.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from tokopt_pipeline.lib.store.db import StoreBusy

#: The pool of every step that opens the store (its limit is the instance's).
STORE_POOL = "tokopt_store"

#: A step that found the store busy runs again after about 2, 4, 8, 16, 32 s.
STORE_RETRY = dg.RetryPolicy(max_retries=5, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


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
