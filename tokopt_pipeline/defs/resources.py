"""The resources every asset, check and sensor reaches storage and folders through.

Paths left unset are read from the environment when used (never at import time):
``TOKOPT_DUCKDB_PATH`` (default ``.tokopt/tokopt.duckdb``), ``TOKOPT_PENDING_DIR``
(``.mcp_local_storage``), ``TOKOPT_LOG_DIR`` (``logs/incoming``) and
``TOKOPT_OUTPUT_DIR`` (``logs``). Moving the store to a server database changes this
module, not the assets.
"""


import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import dagster as dg

from ..lib.store import Store
from ..lib.logfiles import DEFAULT_LOG_DIR, DEFAULT_OUTPUT_DIR


class TokoptStore(dg.ConfigurableResource):
    """The embedded DuckDB store (one file, migrated on open, one writer at a time)."""

    path: Optional[str] = None
    pending_dir: Optional[str] = None
    lock_timeout: float = 120.0

    def store(self) -> Store:
        s = Store.from_env(self.path, self.pending_dir)
        s.lock_timeout = self.lock_timeout
        return s

    @contextmanager
    def connect(self) -> Iterator:
        """A migrated connection (pending writes replayed first)."""
        with self.store().connect() as conn:
            yield conn

    def write(self, op: str, payload: dict) -> str:
        """Apply a store operation, or queue it in the pending folder if the lock does not come."""
        return self.store().write(op, payload)


class TokoptSettings(dg.ConfigurableResource):
    """Folders and thresholds shared by assets, checks, sensors and schedules."""

    log_dir: Optional[str] = None
    output_dir: Optional[str] = None
    warning_pct: float = 80.0
    critical_pct: float = 95.0
    retention_days: int = 30
    max_logs: int = 10
    max_log_size_mb: float = 5.0

    def log_folder(self) -> Path:
        return Path(self.log_dir or os.environ.get("TOKOPT_LOG_DIR") or DEFAULT_LOG_DIR).absolute()

    def output_folder(self) -> Path:
        return Path(self.output_dir or os.environ.get("TOKOPT_OUTPUT_DIR") or DEFAULT_OUTPUT_DIR).absolute()


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"store": TokoptStore(), "settings": TokoptSettings()})
