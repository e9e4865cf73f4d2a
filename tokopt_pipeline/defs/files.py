"""Where logs are read from and summaries are written to: a local folder, or any fsspec
URL (``s3://bucket/logs``, ``gs://...``, ``memory://...``) through universal_pathlib.

A location is named by a URI everywhere it leaves the process that found it (run tags,
metadata): ``file:///abs/path`` for a local file, the URL itself otherwise, so a run
worker on another machine is not handed the daemon's local path. What a user reads (the
``path`` metadata, the store's ``path`` columns, ``make run``'s output) stays the plain
local path for a local file.

Local folders behave as before: the watched folder is scanned with
:func:`tokopt_pipeline.lib.logfiles.scan` and summaries are written atomically
(:func:`tokopt_pipeline.lib.outputs.atomic_write_text`) and recorded for rotation. A
remote summary is written as one whole object (an object store has no rename; a reader
sees the old object or the new one). A remote log is copied to a temporary file for the
analysis, which reads local files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from upath import UPath

from tokopt_pipeline.lib.logfiles import LogFile, is_temporary, partition_key, scan
from tokopt_pipeline.lib.outputs import atomic_write_text, record_outputs

LOCAL_SCHEMES = ("", "file", "local")
# Remote keys are built by lib.logfiles.partition_key relative to this stand-in root
# (the key of ``s3://b/logs/team/x.log`` under ``s3://b/logs`` is ``team/x.log``).
_KEY_ROOT = "/tokopt-remote-root"


def scheme(location: str) -> str:
    """The URL scheme of ``location`` ("" for a plain path)."""
    if "://" not in location:
        return ""
    return urlsplit(location).scheme.lower()


def is_local(location: str) -> bool:
    return scheme(location) in LOCAL_SCHEMES


def local_path(location: str) -> Path:
    """The absolute local path of a plain path or a ``file://`` URL."""
    if "://" in location:
        return Path(unquote(urlsplit(location).path)).absolute()
    return Path(location).absolute()


def to_uri(location: str | os.PathLike[str]) -> str:
    """The URI of a path or URL: ``file:///abs/path`` for a local file, a URL as it is."""
    text = os.fspath(location)
    return local_path(text).as_uri() if is_local(text) else text


def display(location: str) -> str:
    """What a user reads: the plain path of a local file, the URL of a remote one."""
    return str(local_path(location)) if is_local(location) else location


def exists(location: str | None) -> bool:
    """Whether a file is at ``location`` (a path or a URL); False for None or "" or an unreachable URL."""
    if not location:
        return False
    if is_local(location):
        return local_path(location).is_file()
    try:
        return UPath(location).is_file()
    except (OSError, ValueError):
        return False


@contextmanager
def local_copy(location: str) -> Iterator[Path]:
    """A local file with the content of ``location``: the file itself when it is local,
    a temporary copy (removed afterwards) when it is remote."""
    if is_local(location):
        yield local_path(location)
        return
    source = UPath(location)
    with tempfile.TemporaryDirectory(prefix="tokopt-log-") as tmp:
        target = Path(tmp) / (source.name or "log")
        with source.open("rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield target


class Folder:
    """A folder of logs or of summaries, local or remote."""

    def __init__(self, location: str | os.PathLike[str]):
        self.location = os.fspath(location)
        self.local = is_local(self.location)
        self.path: Path | UPath = local_path(self.location) if self.local else UPath(self.location)

    def __str__(self) -> str:
        return display(self.location) if self.local else str(self.path)

    @property
    def uri(self) -> str:
        return to_uri(str(self.path))

    def exists(self) -> bool:
        return self.path.is_dir() if self.local else _remote_dir_exists(self.path)

    def child(self, name: str) -> str:
        """The location of ``name`` (a relative path with ``/``) in the folder: a local path or a URL."""
        return str(self.path / name)

    def key(self, location: str) -> str:
        """The partition key of the log at ``location`` (as :func:`partition_key` gives it for a local file)."""
        if self.local or is_local(location):
            return partition_key(local_path(location), self.path if self.local else None)
        root = str(self.path).rstrip("/") + "/"
        rel = location[len(root):] if location.startswith(root) else UPath(location).name
        return partition_key(f"{_KEY_ROOT}/{rel}", _KEY_ROOT)

    def scan(self) -> dict[str, LogFile]:
        """Every non-empty log under the folder (recursively) by partition key; ``path``
        is the file's URI."""
        if self.local:
            return {k: LogFile(k, to_uri(f.path), f.size, f.mtime_ns) for k, f in scan(self.path).items()}
        assert isinstance(self.path, UPath)
        if not _remote_dir_exists(self.path):
            return {}
        found: dict[str, LogFile] = {}
        root = self.path.path.rstrip("/")
        for name, info in sorted(self.path.fs.find(root, detail=True).items()):
            rel = name[len(root):].lstrip("/")
            parts = rel.split("/")
            if info.get("type") != "file" or not info.get("size") or any(is_temporary(p) for p in parts):
                continue
            uri = str(self.path / rel)
            key = self.key(uri)
            found[key] = LogFile(key, uri, int(info["size"]), _version_stamp(info))
        return found

    def write_text(self, name: str, text: str) -> str:
        """Write ``name`` in the folder; returns its location (a local path or a URL).
        Local: atomic, and recorded for the nightly rotation. Remote: one whole object."""
        if self.local:
            out = atomic_write_text(Path(self.path) / name, text)
            record_outputs(out.parent, [out])  # the nightly retention rotates only what tokopt wrote
            return str(out)
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return str(target)


def _remote_dir_exists(path: UPath) -> bool:
    try:
        return bool(path.fs.isdir(path.path))
    except (OSError, ValueError):
        return False


def _version_stamp(info: dict) -> int:
    """A number that changes when a remote object does (its mtime, else creation time, else its ETag's hash)."""
    for field in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(field)
        if value is None:
            continue
        stamp = value.timestamp() if hasattr(value, "timestamp") else float(value)
        return int(stamp * 1e9)
    etag = str(info.get("ETag") or info.get("etag") or info.get("md5Hash") or "")
    return int.from_bytes(etag.encode()[:8].ljust(8, b"\0"), "big")
