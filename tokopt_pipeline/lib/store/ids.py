"""Identifiers: a recorded run's id and the fingerprint of an error's key."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime

__all__ = ["fingerprint", "new_run_id"]


def fingerprint(key: str) -> str:
    """A short, stable id of an error group's key (exception type | normalized
    message): the same error has the same fingerprint in every run and store."""
    return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def new_run_id(prefix: str) -> str:
    """A new run's id: ``prefix`` (a suite or a source, made safe), the UTC time and
    random hex, e.g. ``ci-20261201T180312-3fa9c1d2``: sortable by time, unique."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', prefix)[:40]}-{stamp}-{uuid.uuid4().hex[:8]}"
