"""Temporary files that killed runs left behind, found by name and removed by the next run.

tokopt writes every file through a hidden temporary file beside it, renamed into place
when complete, and ``--export-templates`` spills to a hidden folder beside the export;
both are named ``.NAME.tokopt-PID-NONCE.tmp`` (:func:`.outputs.temp_path`). A run killed
with ``kill -9`` (or by a power cut) leaves them. :func:`clean_leftovers` runs when a
command starts and removes those whose process is over (:func:`.outputs.is_stale_temp`).

Older versions named them ``.NAME.<8 hex>.tmp`` and ``.tokopt-export-*``, without the
process id; those are removed when no live process can still be using them:

* they are left over when no process has them (or, for a folder, a file in it) open
  (checked in ``/proc``) and they have not changed for :data:`GRACE` seconds (a file is
  closed a moment before it is renamed);
* anything matching older than :data:`MAX_AGE` seconds is left over whatever the
  checks say (on a system without ``/proc`` that is the only check).

Only the top level of the given folders is looked at, and only names matching the
patterns above: a user's own files are never touched.

Example:
    removed = clean_leftovers(["logs", ".mcp_local_storage"])
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from tokopt_pipeline.lib.outputs import is_stale_temp, temp_owner

__all__ = ["clean_leftovers", "GRACE", "MAX_AGE", "TEMP_FILE", "SPOOL_DIR"]

#: ``outputs._temp_beside``: ``.summary.md.1a2b3c4d.tmp``
TEMP_FILE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
#: ``export.TemplateExporter``: ``tempfile.mkdtemp(prefix=".tokopt-export-")``
SPOOL_DIR = re.compile(r"^\.tokopt-export-[A-Za-z0-9_]+$")
GRACE = 1.0
MAX_AGE = 24 * 3600.0
_PROC = Path("/proc")


def _open_paths() -> set[str] | None:
    """Every path some process has open (None where ``/proc`` cannot tell)."""
    if not (_PROC / "self" / "fd").is_dir():
        return None
    paths: set[str] = set()
    for pid in os.listdir(_PROC):
        if not pid.isdigit():
            continue
        fd_dir = _PROC / pid / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                paths.add(os.readlink(fd_dir / fd))
            except OSError:
                continue
    return paths


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return False


def clean_leftovers(folders: Iterable[str | os.PathLike[str] | None], now: float | None = None) -> list[Path]:
    """Remove the temporary files and spool folders of killed runs from ``folders``
    (their top level only). Returns what was removed; never raises."""
    now = time.time() if now is None else now
    candidates: list[tuple[Path, bool, float]] = []  # path, is a spool folder, its first write
    removed: list[Path] = []
    seen: set[Path] = set()
    for folder in folders:
        if folder is None:
            continue
        d = Path(folder)
        try:
            if d in seen or not d.is_dir():
                continue
            seen.add(d)
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if temp_owner(e.name) is not None:
                    path = Path(e.path)
                    if is_stale_temp(path, now) and _remove(path):
                        removed.append(path)
                elif TEMP_FILE.match(e.name) and e.is_file(follow_symlinks=False):
                    candidates.append((Path(e.path), False, e.stat(follow_symlinks=False).st_mtime))
                elif SPOOL_DIR.match(e.name) and e.is_dir(follow_symlinks=False):
                    times = [e.stat(follow_symlinks=False).st_mtime]
                    times += [p.stat().st_mtime for p in Path(e.path).iterdir()]
                    candidates.append((Path(e.path), True, min(times)))
            except OSError:
                continue
    if not candidates:
        return removed
    open_paths = _open_paths()
    for path, spool, first in candidates:
        age = now - first
        real = os.path.realpath(path)
        in_use = open_paths is not None and (
            real in open_paths or (spool and any(p.startswith(real + os.sep) for p in open_paths))
        )
        if in_use:
            continue
        if age > MAX_AGE:
            stale = True
        elif open_paths is None:
            stale = False
        else:
            stale = age > GRACE
        if stale and _remove(path):
            removed.append(path)
    return removed
