"""The resources every asset, check and sensor reaches storage and folders through.

They are bound in :func:`resources` with ``dg.EnvVar``: Dagster reads a variable's
value when a run or a sensor tick starts (never when this module is imported), and
the UI shows the variable a setting comes from rather than its value.

=========================  ============================  =========================
variable                   field                         default
=========================  ============================  =========================
``TOKOPT_DUCKDB_PATH``     ``store.path``                ``.tokopt/tokopt.duckdb``
``TOKOPT_PENDING_DIR``     ``store.pending_dir``         ``.mcp_local_storage``
``TOKOPT_LOG_DIR``         ``settings.log_dir``          ``logs/incoming``
``TOKOPT_OUTPUT_DIR``      ``settings.output_dir``       ``logs``
``TOKOPT_SENSOR_INTERVAL`` ``settings.sensor_interval``  ``30`` (seconds)
=========================  ============================  =========================

A ``dg.EnvVar`` whose variable is missing fails the run, while every one of these has
a default; so a variable is bound only when it is set in the environment the
definitions are loaded in (the code server, a run worker), and an unset one leaves
the field's default. The two folders may be fsspec URLs (``s3://bucket/logs``): the
assets and sensors reach them through :class:`~tokopt_pipeline.defs.files.Folder`. The
store is the DuckDB file unless ``TOKOPT_STORE_URL`` names a PostgreSQL database (read
by :class:`~tokopt_pipeline.lib.store.db.Store` itself).
"""


import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field
from upath import UPath

from tokopt_pipeline.defs.files import Folder
from tokopt_pipeline.lib.logfiles import DEFAULT_LOG_DIR, DEFAULT_OUTPUT_DIR
from tokopt_pipeline.lib.store import RETENTION_DAYS, RETENTION_MAX_MB
from tokopt_pipeline.lib.store.db import DEFAULT_PATH, DEFAULT_PENDING, Store
from tokopt_pipeline.lib.usage.thresholds import CRITICAL_PCT, WARNING_PCT

DEFAULT_SENSOR_INTERVAL = 30


class TokoptStore(dg.ConfigurableResource):
    """The embedded DuckDB store (one file, migrated on open, one writer at a time)."""

    path: str | None = Field(default=None, description=f"The DuckDB file (TOKOPT_DUCKDB_PATH); unset: {DEFAULT_PATH}.")
    pending_dir: str | None = Field(
        default=None, description=f"Writes that did not get the lock wait here (TOKOPT_PENDING_DIR); unset: {DEFAULT_PENDING}."
    )
    lock_timeout: float = 120.0

    def store(self) -> Store:
        return Store(Path(self.path or DEFAULT_PATH), Path(self.pending_dir or DEFAULT_PENDING), self.lock_timeout)

    @contextmanager
    def connect(self) -> Iterator:
        """A migrated connection (pending writes replayed first)."""
        with self.store().connect() as conn:
            yield conn

    def write(self, op: str, payload: dict) -> str:
        """Apply a store operation, or queue it in the pending folder if the lock does not come."""
        return self.store().write(op, payload)


class TokoptSettings(dg.ConfigurableResource):
    """Folders (local or fsspec URLs), thresholds and the sensors' pace, shared by assets, checks, sensors and schedules."""

    log_dir: str | None = Field(
        default=None, description=f"The watched folder, a path or an fsspec URL (TOKOPT_LOG_DIR); unset: {DEFAULT_LOG_DIR}."
    )
    output_dir: str | None = Field(
        default=None, description=f"Where summaries are written, a path or an fsspec URL (TOKOPT_OUTPUT_DIR); unset: {DEFAULT_OUTPUT_DIR}."
    )
    sensor_interval: int = Field(
        default=DEFAULT_SENSOR_INTERVAL,
        description="Seconds between two scans of the watched folder or of the CI reports (TOKOPT_SENSOR_INTERVAL); 0: every tick.",
    )
    alert_email: str | None = Field(
        default=None, description="Where usage_alert_sensor mails alerts (TOKOPT_ALERT_EMAIL); unset: it mails nothing."
    )
    warning_pct: float = WARNING_PCT
    critical_pct: float = CRITICAL_PCT
    retention_days: int = RETENTION_DAYS
    store_max_mb: float = Field(default=RETENTION_MAX_MB, description="Nightly retention prunes the oldest runs while the store is bigger (MB).")
    max_logs: int = 10
    max_log_size_mb: float = 5.0

    def logs(self) -> Folder:
        """The watched folder: a local directory or an fsspec URL (``s3://bucket/logs``)."""
        return Folder(self.log_dir or DEFAULT_LOG_DIR)

    def outputs(self) -> Folder:
        """Where summaries go: a local directory or an fsspec URL."""
        return Folder(self.output_dir or DEFAULT_OUTPUT_DIR)

    def log_folder(self) -> Path | UPath:
        return self.logs().path

    def output_folder(self) -> Path | UPath:
        return self.outputs().path


# resource -> field -> the variable it comes from; the integer fields are read with dg.EnvVar.int.
ENV_VARS = {
    "store": {"path": "TOKOPT_DUCKDB_PATH", "pending_dir": "TOKOPT_PENDING_DIR"},
    "settings": {"log_dir": "TOKOPT_LOG_DIR", "output_dir": "TOKOPT_OUTPUT_DIR", "sensor_interval": "TOKOPT_SENSOR_INTERVAL",
                 "alert_email": "TOKOPT_ALERT_EMAIL"},
}
INT_FIELDS = {"sensor_interval"}


def env_fields(resource: str) -> dict:
    """``dg.EnvVar`` of each of ``resource``'s variables that is set (only whether it is
    set is looked at here; Dagster reads its value when a run or tick starts)."""
    return {
        name: dg.EnvVar.int(var) if name in INT_FIELDS else dg.EnvVar(var)
        for name, var in ENV_VARS[resource].items()
        if var in os.environ
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"store": TokoptStore(**env_fields("store")), "settings": TokoptSettings(**env_fields("settings"))}
    )
