"""Writing results safely: atomic writes, output names, and rotation of the output folder.

One concept (over 400 lines): how a result reaches disk, from its temporary file to
the rotation of the folder it lands in.

Every regular file tokopt writes goes to a temporary file in the target's folder and
is renamed into place, so a reader never sees half a summary and a failure leaves
nothing behind. A path that is not a regular file is written through, never replaced:
a device (``/dev/null``, a terminal), a FIFO, and a link to an open descriptor
(``/dev/stdout``, ``/proc/self/fd/N``, ``/dev/fd/N``). A symlink to a regular file keeps
the link: its target is rewritten (temporary file and rename in the target's folder).

Temporary names. A temporary file, or folder (``--export-templates`` spills), is named
``.NAME.tokopt-PID-NONCE.tmp`` (:func:`temp_path`, glob :data:`TEMP_GLOB`): recognisable
as tokopt's and as the process's that made it. :func:`is_stale_temp` tells the leftovers
of a killed run (its process is gone) from the files of a run still writing, for the
cleanup at the next run.

Rotation. The output folder's manifest (:data:`MANIFEST`, ``.tokopt-outputs.json``)
lists the files tokopt wrote there (:func:`record_outputs`), with their size and
modification time. :func:`rotate` deletes only files that are listed and unchanged
since (a file the user wrote, or edited since, is never touched), and never the files
the same command just wrote (``keep``).

One concept (over 400 lines): writing tokopt's result files safely, from the temporary
file to the rotation of the folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from tokopt_pipeline.lib.errors import OutputError

__all__ = [
    "SUMMARY_SUFFIXES", "MANIFEST", "TEMP_GLOB", "STALE_AFTER_SECONDS", "AtomicWriter", "atomic_write_text",
    "atomic_write_bytes", "temp_path", "temp_owner", "is_stale_temp", "writes_through", "is_stdout", "output_stem",
    "summary_path", "record_outputs", "rotate",
]

SUMMARY_SUFFIXES = {"markdown": ".summary.md", "json": ".summary.json", "text": ".summary.txt"}

#: The output folder's list of the files tokopt wrote there (hidden, JSON, written atomically).
MANIFEST = ".tokopt-outputs.json"

#: Every temporary file or folder tokopt makes: ``.NAME.tokopt-PID-NONCE.tmp``.
TEMP_GLOB = ".*.tokopt-*.tmp"
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.tokopt-(?P<pid>[0-9]+)-(?P<nonce>[0-9a-f]{8})\.tmp$", re.DOTALL)
#: A temporary whose process id is in use again is stale once it is this old (a day).
STALE_AFTER_SECONDS = 24 * 3600
#: File names are at most 255 bytes; the temporary's decoration takes up to ~40.
_MAX_NAME_BYTES = 200


# -- temporary names ---------------------------------------------------------------------

def temp_path(target: str | os.PathLike[str]) -> Path:
    """A fresh temporary name beside ``target``: ``.NAME.tokopt-PID-NONCE.tmp``."""
    target = Path(target)
    name = target.name.encode("utf-8", "surrogateescape")[:_MAX_NAME_BYTES].decode("utf-8", "ignore") or "out"
    return target.parent / f".{name}.tokopt-{os.getpid()}-{os.urandom(4).hex()}.tmp"


def temp_owner(path: str | os.PathLike[str]) -> int | None:
    """The process id in a tokopt temporary name, or None when ``path`` is not one."""
    m = _TEMP_RE.match(Path(path).name)
    return int(m.group("pid")) if m else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OverflowError:
        return False
    return True


def is_stale_temp(path: str | os.PathLike[str], now: float | None = None) -> bool:
    """Whether ``path`` is a tokopt temporary (file or folder) left by a run that is over.

    Stale: the process named in it is gone, or (its id in use again) it is older than
    :data:`STALE_AFTER_SECONDS`. Never this process's own temporaries, and never a
    name that is not tokopt's.
    """
    pid = temp_owner(path)
    if pid is None or pid == os.getpid():
        return False
    if not _alive(pid):
        return True
    try:
        mtime = os.lstat(path).st_mtime
    except OSError:
        return False
    return (time.time() if now is None else now) - mtime > STALE_AFTER_SECONDS


def _new_temp(target: Path) -> tuple[int, Path]:
    """A new temporary file beside ``target``, open for writing.

    Created like any file (mode 0666 less the umask), so the renamed result has the
    permissions a plain write would give it; ``mkstemp`` would make it private (0600).
    """
    for _ in range(100):
        tmp = temp_path(target)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target.parent))


# -- where a write goes -------------------------------------------------------------------

#: Links that name an open descriptor: written through, never replaced.
_FD_LINK = re.compile(r"^/(?:proc/(?:self|thread-self|[0-9]+)(?:/task/[0-9]+)?/fd/[0-9]+|dev/fd/[0-9]+|dev/std(?:in|out|err))$")


def _resolve(path: Path) -> tuple[Path, bool]:
    """``(where to write, in place?)``: the final target of ``path``'s links, and
    whether it must be written through (a descriptor link, a device, a FIFO...)."""
    if _FD_LINK.match(os.path.abspath(path)):
        return path, True
    current = Path(os.path.abspath(path))
    for _ in range(40):
        try:
            link = os.readlink(current)
        except OSError:  # not a link (or not there)
            break
        nxt = Path(os.path.normpath(current.parent / link))
        if _FD_LINK.match(str(nxt)):
            return path, True
        current = nxt
    final = Path(os.path.realpath(path))
    try:
        st = os.stat(final)
    except FileNotFoundError:
        return final, False
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {path}: is a directory")
    return final, not stat.S_ISREG(st.st_mode)


def writes_through(path: str | os.PathLike[str]) -> bool:
    """Whether a write to ``path`` goes through it in place (a device, a FIFO, a
    descriptor link such as ``/dev/stdout``) rather than by temporary file and rename."""
    return _resolve(Path(path))[1]


def is_stdout(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is this process's standard output (``/dev/stdout``, a link to
    ``/proc/self/fd/1``, or the very file stdout is redirected to)."""
    try:
        so = os.fstat(sys.stdout.fileno())
        st = os.stat(path)
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (so.st_dev, so.st_ino)


def _open_through(path: Path) -> int:
    # Appending: a descriptor link to a regular file (3>>file) keeps what it holds.
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_CLOEXEC)


def _fail(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


# -- writing ------------------------------------------------------------------------------

def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` via a temp file + rename (devices, FIFOs and
    descriptor links written through); raise OutputError on failure."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    path = Path(path)
    target, through = _resolve(path)
    if through:
        try:
            fd = _open_through(target)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise _fail(path, exc) from exc
        return path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temp(target)
    except OSError as exc:
        raise _fail(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _fail(path, exc) from exc
        raise
    return path


class AtomicWriter:
    """A text file written incrementally and renamed into place only on success
    (written through when ``path`` is a device, a FIFO or a descriptor link).

    Example:
        with AtomicWriter(out) as f:
            f.write("line\\n")
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._target: Path | None = None
        self._tmp: Path | None = None
        self._fh: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        self._target, through = _resolve(self.path)
        try:
            if through:
                fd = _open_through(self._target)
            else:
                self._target.parent.mkdir(parents=True, exist_ok=True)
                fd, self._tmp = _new_temp(self._target)
        except OSError as exc:
            raise _fail(self.path, exc) from exc
        self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self._fh

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        assert self._fh is not None and self._target is not None
        try:
            self._fh.close()
            if exc_type is None and self._tmp is not None:
                os.replace(self._tmp, self._target)
        except OSError as err:
            self._remove_temp()
            if exc_type is None:
                raise _fail(self.path, err) from err
            return False
        if exc_type is not None:
            self._remove_temp()
        return False

    def _remove_temp(self) -> None:
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)


# -- names --------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def output_stem(log_path: str) -> str:
    """A file-name stem derived from the input: ``ci/job 1.log.gz`` -> ``job_1``."""
    if log_path in ("-", ""):
        return "stdin"
    name = Path(log_path).name
    for ext in (".gz", ".bz2", ".xz", ".log", ".txt", ".out"):
        if name.lower().endswith(ext) and len(name) > len(ext):
            name = name[: -len(ext)]
    stem = _UNSAFE.sub("_", name).strip("._") or "log"
    return stem[:120]


def summary_path(output_dir: str | os.PathLike[str], log_path: str, fmt: str) -> Path:
    return Path(output_dir) / (output_stem(log_path) + SUMMARY_SUFFIXES[fmt])


# -- the manifest and rotation ------------------------------------------------------------

def _rotatable(name: str) -> bool:
    return bool(name) and "/" not in name and name not in (".", "..") and not name.startswith(".") and (".summary." in name or ".chunks." in name)


#: A manifest entry as read back from its JSON: ``size``, ``mtime_ns``, ``written``.
_Entry = dict[str, Any]


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the folder itself: no lock file)."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_manifest(folder: Path) -> dict[str, _Entry]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and _rotatable(k) and isinstance(v, dict)}


def _write_manifest(folder: Path, files: dict[str, _Entry]) -> None:
    body = {"about": "files tokopt wrote in this folder; rotation (--max-logs, --max-log-size) deletes only these", "version": 1, "files": files}
    atomic_write_text(folder / MANIFEST, json.dumps(body, indent=1, sort_keys=True) + "\n")


def _fingerprint(path: Path) -> dict[str, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _unchanged(path: Path, entry: _Entry) -> bool:
    now = _fingerprint(path)
    return now is not None and now["size"] == entry.get("size") and now["mtime_ns"] == entry.get("mtime_ns")


def record_outputs(output_dir: str | os.PathLike[str], paths: Iterable[str | os.PathLike[str] | None]) -> None:
    """Add the files just written in ``output_dir`` to its manifest (others are ignored:
    files elsewhere, or named unlike a summary or chunks file)."""
    folder = Path(output_dir)
    here = os.path.realpath(folder)
    names = [Path(p).name for p in paths if p is not None and os.path.realpath(Path(p).parent) == here and _rotatable(Path(p).name)]
    if not names or not folder.is_dir():
        return
    try:
        with _locked(folder):
            files = _read_manifest(folder)
            for name in names:
                fp = _fingerprint(folder / name)
                if fp is not None:
                    files[name] = {**fp, "written": time.time()}
            files = {k: v for k, v in files.items() if _fingerprint(folder / k) is not None}
            _write_manifest(folder, files)
    except OSError as exc:
        raise _fail(folder / MANIFEST, exc) from exc


def rotate(output_dir: str | os.PathLike[str], max_logs: int, max_log_size_mb: float,
           keep: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None) -> list[Path]:
    """Keep at most ``max_logs`` summaries in ``output_dir`` (newest kept) and delete
    summaries and chunks larger than ``max_log_size_mb``. Returns the removed paths.

    Only files the manifest lists and that are unchanged since tokopt wrote them are
    touched; ``keep`` (what the command just wrote) is never removed.
    """
    folder = Path(output_dir)
    if not folder.is_dir() or not (folder / MANIFEST).is_file():
        return []
    if keep is None:
        keep = ()
    elif isinstance(keep, (str, os.PathLike)):
        keep = (keep,)
    kept = {os.path.realpath(p) for p in keep if p is not None}
    removed: list[Path] = []
    try:
        with _locked(folder):
            files = _read_manifest(folder)
            ours = {name: e for name, e in files.items() if _unchanged(folder / name, e)}
            candidates = {name: e for name, e in ours.items() if os.path.realpath(folder / name) not in kept}
            limit = int(max_log_size_mb * 1024 * 1024) if max_log_size_mb and max_log_size_mb > 0 else None
            doomed: list[str] = []
            if limit is not None:
                doomed += [n for n, e in candidates.items() if int(e.get("size", 0)) > limit]
            if max_logs and max_logs > 0:
                summaries = sorted((n for n in ours if ".summary." in n and n not in doomed),
                                   key=lambda n: float(ours[n].get("written") or ours[n].get("mtime_ns", 0) / 1e9), reverse=True)
                for n in summaries[max_logs:]:
                    if n not in candidates:
                        continue
                    doomed.append(n)
                    chunks = n.split(".summary.")[0] + ".chunks.jsonl"
                    if chunks in candidates and chunks not in doomed:
                        doomed.append(chunks)
            for n in doomed:
                with contextlib.suppress(FileNotFoundError):
                    (folder / n).unlink()
                removed.append(folder / n)
            left = {n: e for n, e in ours.items() if n not in doomed}
            if left != files:
                _write_manifest(folder, left)
    except OSError as exc:
        raise _fail(folder, exc) from exc
    return removed
