"""Partition keys and output names derived from log paths (no Dagster import: the CLI uses it)."""

import hashlib
import os
import re
from pathlib import Path

DEFAULT_LOG_DIR = Path("logs") / "incoming"
DEFAULT_OUTPUT_DIR = Path("logs")

_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")
_DOTS = re.compile(r"\.{2,}")
MAX_KEY = 180


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _sanitize(text: str) -> str:
    safe = _DOTS.sub("_", _UNSAFE.sub("_", text)).strip("/") or "log"
    return safe


def partition_key(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """The partition key of a log file.

    A file inside the watched folder ``root`` is keyed by its path relative to it
    (``team-a/build.log``); any other file by ``ext/<hash of its real path>/<name>``.
    Characters a key cannot carry safely are replaced, and a short hash of the
    original is appended then, so two different files never share a key.
    """
    path = os.path.abspath(os.fspath(path))
    real = os.path.realpath(path)
    if root is not None:
        root_real = os.path.realpath(os.fspath(root))
        # A path inside the folder (reached through the folder, links not followed).
        for candidate in (path, real):
            if _within(candidate, root_real) and candidate != root_real:
                rel = os.path.relpath(candidate, root_real).replace(os.sep, "/")
                safe = _sanitize(rel)
                if safe != rel or len(safe) > MAX_KEY:
                    safe = f"{safe[: MAX_KEY - 9]}-{_short_hash(rel)}"
                return safe
    name = _sanitize(os.path.basename(path))[:MAX_KEY - 13]
    return f"ext/{_short_hash(real)}/{name}"


def output_name(key: str) -> str:
    """The stem of a partition's summary file: ``team-a/build.log`` -> ``team-a__build``."""
    from ..lib.outputs import output_stem

    parts = key.split("/")
    if parts[0] == "ext" and len(parts) >= 3:
        return output_stem(parts[-1])
    return "__".join([p for p in parts[:-1]] + [output_stem(parts[-1])])
