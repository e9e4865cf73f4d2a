"""Writing results safely: atomic writes, output names, and rotation of the output folder.

Every file tokopt writes goes to a temporary file in the same folder and is renamed
into place, so a reader never sees half a summary and a failure leaves nothing behind.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from tokopt_pipeline.lib.errors import OutputError

SUMMARY_SUFFIXES = {"markdown": ".summary.md", "json": ".summary.json", "text": ".summary.txt"}


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, open for writing.

    Created like any file (mode 0666 less the umask), so the renamed result has the
    permissions a plain write would give it; ``mkstemp`` would make it private (0600).
    """
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` via a temp file + rename; raise OutputError on failure."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temp_beside(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


class AtomicWriter:
    """A text file written incrementally and renamed into place only on success.

    Example:
        with AtomicWriter(out) as f:
            f.write("line\\n")
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._tmp = None
        self._fh = None

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = _temp_beside(self.path)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self._fh

    def __exit__(self, exc_type, exc, tb):
        self._fh.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
        return False


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


def summary_path(output_dir: str | os.PathLike, log_path: str, fmt: str) -> Path:
    return Path(output_dir) / (output_stem(log_path) + SUMMARY_SUFFIXES[fmt])


def rotate(output_dir: str | os.PathLike, max_logs: int, max_log_size_mb: float, keep: Path | None = None) -> list[Path]:
    """Keep at most ``max_logs`` summaries in ``output_dir`` (newest kept) and delete
    summaries larger than ``max_log_size_mb``. Returns the removed paths.

    Only files tokopt writes (``*.summary.*`` and ``*.chunks.*``) are touched; ``keep``
    (the file just written) is never removed.
    """
    d = Path(output_dir)
    if not d.is_dir():
        return []
    files = [p for p in d.iterdir() if p.is_file() and (".summary." in p.name or ".chunks." in p.name) and not p.name.startswith(".")]
    removed = []
    limit = int(max_log_size_mb * 1024 * 1024) if max_log_size_mb and max_log_size_mb > 0 else None
    if limit is not None:
        for p in files:
            if p != keep and p.stat().st_size > limit:
                p.unlink(missing_ok=True)
                removed.append(p)
    files = [p for p in files if p not in removed]
    if max_logs and max_logs > 0:
        summaries = sorted((p for p in files if ".summary." in p.name), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in summaries[max_logs:]:
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            removed.append(p)
            chunks = p.with_name(p.name.split(".summary.")[0] + ".chunks.jsonl")
            if chunks.exists():
                chunks.unlink()
                removed.append(chunks)
    return removed
