"""Log files as the pipeline knows them: where they are watched for, the partition key
each one gets, and the name of its summary. Plain logic, no Dagster: the Dagster
sensors and assets and the ``tokopt`` command share it, so a log summarized either way
is recorded under the same key.

:func:`partition_key` keys a file inside the watched folder by its path relative to it
(``team-a/build.log``) and any other file by ``ext/<hash of its real path>/<name>``;
:func:`output_name` is the stem of that key's summary file (``team-a__build``).
:func:`scan` walks the watched folder recursively without following links out of it,
and leaves out temporary and hidden files (editors' swap files, partial downloads,
``.tmp`` files an atomic writer renames later).

Example:
    for key, f in scan("logs/incoming").items():
        print(key, f.path, output_name(key))
"""

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from tokopt_pipeline.lib.outputs import output_stem

__all__ = [
    "DEFAULT_LOG_DIR",
    "DEFAULT_OUTPUT_DIR",
    "LogFile",
    "is_temporary",
    "output_name",
    "partition_key",
    "scan",
]

DEFAULT_LOG_DIR = Path("logs") / "incoming"
DEFAULT_OUTPUT_DIR = Path("logs")

TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".swp", ".swx", ".crdownload", ".download", ".lock", "~")

_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")
_DOTS = re.compile(r"\.{2,}")
MAX_KEY = 180


# -- keys -------------------------------------------------------------------------
def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _sanitize(text: str) -> str:
    safe = _DOTS.sub("_", _UNSAFE.sub("_", text)).strip("/") or "log"
    return safe


def partition_key(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> str:
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
    parts = key.split("/")
    if parts[0] == "ext" and len(parts) >= 3:
        return output_stem(parts[-1])
    return "__".join([p for p in parts[:-1]] + [output_stem(parts[-1])])


# -- the watched folder -------------------------------------------------------------
@dataclass(frozen=True)
class LogFile:
    key: str
    path: str
    size: int
    mtime_ns: int

    @property
    def version(self) -> str:
        """Changes whenever the file does: part of the run key."""
        return f"{self.size}:{self.mtime_ns}"


def is_temporary(name: str) -> bool:
    return name.startswith((".", "#")) or name.lower().endswith(TEMP_SUFFIXES)


def scan(root: str | os.PathLike[str]) -> dict[str, LogFile]:
    """Every non-empty regular log file under ``root``, by partition key."""
    root_real = os.path.realpath(os.fspath(root))
    found: dict[str, LogFile] = {}
    if not os.path.isdir(root_real):
        return found
    for dirpath, dirnames, filenames in os.walk(root_real, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if is_temporary(name):
                continue
            path = os.path.join(dirpath, name)
            real = os.path.realpath(path)
            if not real.startswith(root_real.rstrip(os.sep) + os.sep):
                continue  # a link that leads out of the folder
            try:
                st = os.stat(real)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
                continue
            key = partition_key(path, root_real)
            found[key] = LogFile(key, str(Path(path)), st.st_size, st.st_mtime_ns)
    return found
