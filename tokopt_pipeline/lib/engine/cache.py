"""tokopt's on-disk cache: ``$XDG_CACHE_HOME/tokopt`` (``~/.cache/tokopt`` by default).

It holds only what can be rebuilt from installed packages (detect-secrets' patterns, the
tokenizer's ranks in a form that loads faster), each file named after the versions it
was built from. A missing, unreadable or damaged entry is rebuilt; a home that cannot
be written just means it is rebuilt on every run.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tokopt"


def write_bytes(path: Path, data: bytes) -> None:
    """Write a cache entry atomically; a failure is ignored (the entry is optional: a
    read-only home only means it is rebuilt next time)."""
    from tokopt_pipeline.lib.errors import OutputError
    from tokopt_pipeline.lib.outputs import atomic_write_bytes

    try:
        atomic_write_bytes(path, data)
    except OutputError:
        pass
