"""The ``TOKOPT_*`` environment variables the command reads, each read and checked in
one place, so a wrong value is a usage error naming the variable (exit 2), never a
traceback.

=========================  =================================================
variable                   value
=========================  =================================================
``TOKOPT_STORE_URL``      the store on a PostgreSQL server (a ``postgresql://`` URL)
``TOKOPT_DUCKDB_PATH``     the store file (a path)
``TOKOPT_PENDING_DIR``     the folder of writes waiting for the store (a path)
``TOKOPT_LOCK_TIMEOUT``    seconds to wait for the store's lock (a number >= 0)
``TOKOPT_LOG_DIR``         the watched folder (a path or an fsspec URL)
``TOKOPT_OUTPUT_DIR``      where Dagster writes summaries (a path or an fsspec URL)
``TOKOPT_SENSOR_INTERVAL`` seconds between two sensor scans (a whole number >= 0)
``TOKOPT_EXECUTOR``        how Dagster runs a run's steps: in_process, multiprocess or k8s
``TOKOPT_MAX_CONCURRENT``  the multiprocess executor's processes (a whole number >= 1)
``TOKOPT_SMTP_PORT``       the SMTP port (1-65535)
``TOKOPT_SMTP_STARTTLS``   1/0, true/false, yes/no, on/off
=========================  =================================================

The other ``TOKOPT_SMTP_*`` variables and ``TOKOPT_ALERT_EMAIL`` are text, checked
where they are used. An empty variable counts as unset.

Example:
    timeout = seconds("TOKOPT_LOCK_TIMEOUT", 10.0)
    check_environment()          # every variable above, at command start
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from tokopt_pipeline.lib.errors import BadEnvironment

__all__ = ["check_environment", "seconds", "whole_number", "path_value", "postgres_url", "PATHS"]

#: Variables holding a path: anything but a value of blanks.
PATHS = ("TOKOPT_DUCKDB_PATH", "TOKOPT_PENDING_DIR", "TOKOPT_LOG_DIR", "TOKOPT_OUTPUT_DIR")
_BOOL_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off"}
_EXECUTORS = ("in_process", "multiprocess", "k8s")


def _raw(name: str, env: Mapping[str, str] | None) -> str | None:
    value = (os.environ if env is None else env).get(name)
    return None if value is None or value == "" else value


def _bad(name: str, value: str, want: str, example: str) -> BadEnvironment:
    shown = value if len(value) <= 40 else value[:39] + "…"
    return BadEnvironment(f"{name}={shown!r} is not {want}: set it like {name}={example}, or unset it")


def seconds(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    """A number of seconds (>= 0, finite) from ``name``, or ``default`` when unset."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = float(value.strip())
    except ValueError:
        raise _bad(name, value, "a number of seconds", "10") from None
    if not math.isfinite(number) or number < 0:
        raise _bad(name, value, "a number of seconds (0 or more)", "10")
    return number


def whole_number(name: str, default: int | None, env: Mapping[str, str] | None = None,
                 low: int = 0, high: int | None = None, example: str = "30") -> int | None:
    """A whole number from ``name`` within ``low``..``high``, or ``default`` when unset."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        span = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise _bad(name, value, f"a whole number {span}", example)
    return number


def path_value(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """A path from ``name`` (None when unset); a value of blanks only is refused."""
    value = _raw(name, env)
    if value is None:
        return None
    if not value.strip():
        raise _bad(name, value, "a path", "/path/to/it")
    return value


def postgres_url(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """A ``postgresql://`` (or ``postgres://``) URL from ``name`` (None when unset)."""
    value = _raw(name, env)
    if value is None:
        return None
    if not value.strip().lower().startswith(("postgresql://", "postgres://")):
        raise _bad(name, value, "a PostgreSQL URL (unset: the store is the DuckDB file)", "postgresql://user@host:5432/db")
    return value.strip()


def check_environment(env: Mapping[str, str] | None = None) -> None:
    """Check every ``TOKOPT_*`` variable with a typed value (see the table above).

    Raises:
        BadEnvironment: the first wrong value, named with what it should be (exit 2).
    """
    for name in PATHS:
        path_value(name, env)
    seconds("TOKOPT_LOCK_TIMEOUT", 10.0, env)
    postgres_url("TOKOPT_STORE_URL", env)
    whole_number("TOKOPT_SENSOR_INTERVAL", None, env)
    whole_number("TOKOPT_MAX_CONCURRENT", None, env, low=1, example="4")
    executor = _raw("TOKOPT_EXECUTOR", env)
    if executor is not None and executor.strip().lower().replace("-", "_") not in _EXECUTORS:
        raise _bad("TOKOPT_EXECUTOR", executor, f"one of {', '.join(_EXECUTORS)}", "multiprocess")
    whole_number("TOKOPT_SMTP_PORT", None, env, low=1, high=65535, example="587")
    starttls = _raw("TOKOPT_SMTP_STARTTLS", env)
    if starttls is not None and starttls.strip().lower() not in _BOOL_WORDS:
        raise _bad("TOKOPT_SMTP_STARTTLS", starttls, "one of 1, 0, true, false, yes, no, on, off", "1")
