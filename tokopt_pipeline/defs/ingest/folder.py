"""The watched folder: which files are logs ready to summarize.

:func:`scan` walks the folder recursively without following links out of it, and
leaves out temporary and hidden files (editors' swap files, partial downloads,
``.tmp`` files an atomic writer renames later). Plain logic, no Dagster.
"""


import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..partitions import partition_key

TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".swp", ".swx", ".crdownload", ".download", ".lock", "~")


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


def scan(root: str | os.PathLike) -> dict[str, LogFile]:
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
