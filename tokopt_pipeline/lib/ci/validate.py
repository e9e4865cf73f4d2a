"""CI validation: are these files within the token budget?

``tokopt --validate-ci [PATHS...]`` counts the tokens of each file (cl100k_base,
exact) and writes the spec's report::

    {"validation_time": "...", "token_budget": 76659, "total_files_checked": 10,
     "files_over_budget": 0, "files_under_budget": 10, "skipped_files": 2,
     "total_token_count": 45000, "percentage_of_budget_used": 58.7,
     "files": [{"file_path": "file1.py", "file_size_bytes": 5242, "token_count": 2500,
                "under_budget": true, "percentage_of_budget": 3.3}, ...],
     "skipped": [{"file_path": "logo.png", "reason": "binary"}, ...]}

PATHS may be files, folders (walked recursively, skipping ``.git``, virtualenvs,
``node_modules`` and caches) or globs (``'logs/**/*.log'``); ``--changed-since REV``
takes the files ``git diff --name-only REV`` reports (deleted files left out). Binary
files (a NUL byte in the first 8 KB), files that cannot be read, and paths that are not
regular files are skipped, each with its reason in ``skipped``. ``total_files_checked``
counts the files that were counted, ``skipped_files`` the others. A file is under budget
when its count is at most the budget; percentages have one decimal.

Files up to 4 MB are counted in one piece; larger ones in 1 MB blocks cut at line ends
(the sum can exceed the one-piece count by a few tokens, so it errs on the safe side).
"""

from __future__ import annotations

import datetime as _dt
import glob
import os
import subprocess
from collections.abc import Callable
from typing import TypedDict, final

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.priority import UsageError

__all__ = ["collect_files", "check_file", "validate", "exit_code", "render_table", "render_markdown", "SKIP_DIRS",
           "FileEntry", "Skipped", "Report"]

SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
BINARY_SNIFF = 8192
ONE_PIECE = 4 * 1024 * 1024
BLOCK = 1024 * 1024


@final
class FileEntry(TypedDict):
    """A counted file of the report's ``files``."""

    file_path: str
    file_size_bytes: int
    token_count: int
    under_budget: bool
    percentage_of_budget: float


@final
class Skipped(TypedDict):
    """A path of the report's ``skipped``, with why it was not counted."""

    file_path: str
    reason: str


class Report(TypedDict):
    """The ``--report-json`` report (see the module docstring)."""

    validation_time: str
    token_budget: int
    total_files_checked: int
    files_over_budget: int
    files_under_budget: int
    skipped_files: int
    total_token_count: int
    percentage_of_budget_used: float
    files: list[FileEntry]
    skipped: list[Skipped]


def _pct(n: float, d: float) -> float:
    return round(100.0 * n / d, 1) if d else 0.0


def changed_files(rev: str, cwd: str | os.PathLike[str] = ".", pathspecs: list[str] | None = None) -> list[str]:
    """Files ``git diff --name-only REV`` reports, relative to ``cwd``, deleted ones left out."""
    cmd = ["git", "diff", "--name-only", "--relative", "--diff-filter=d", rev, "--"] + list(pathspecs or [])
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, which is not on PATH") from None
    if out.returncode != 0:
        msg = (out.stderr.strip().splitlines() or ["git diff failed"])[-1]
        raise UsageError(f"--changed-since {rev}: {msg}")
    return [l for l in out.stdout.splitlines() if l.strip()]


def collect_files(paths: list[str], changed_since: str | None = None,
                  cwd: str | os.PathLike[str] = ".") -> tuple[list[str], list[Skipped]]:
    """Expand PATHS (files, folders, globs) into files; return (files, skipped entries)."""
    files: list[str] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        if p not in seen:
            seen.add(p)
            files.append(p)

    if changed_since:
        for p in changed_files(changed_since, cwd, paths):
            add(p)
        return files, skipped
    for arg in paths or ["."]:
        if os.path.isdir(arg):
            for root, dirs, names in os.walk(arg):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                for n in sorted(names):
                    add(os.path.normpath(os.path.join(root, n)))
        elif os.path.lexists(arg):
            add(arg)
        elif any(c in arg for c in "*?["):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                skipped.append({"file_path": arg, "reason": "no files match this pattern"})
            for m in matches:
                if os.path.isfile(m) or os.path.islink(m):
                    add(m)
        else:
            skipped.append({"file_path": arg, "reason": "not found"})
    return files, skipped


def _count_file(path: str, size: int) -> int:
    with open(path, "rb") as f:
        if size <= ONE_PIECE:
            return tok.count(f.read().decode("utf-8", errors="replace"))
        total, rest = 0, b""
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            total += tok.count(block[:cut].decode("utf-8", errors="replace"))
            rest = block[cut:]
        if rest:
            total += tok.count(rest.decode("utf-8", errors="replace"))
        return total


def check_file(path: str, budget: int) -> FileEntry | Skipped:
    """One ``files[]`` entry, or a skipped entry ``{"file_path", "reason"}``."""
    if os.path.islink(path) and not os.path.exists(path):
        return {"file_path": path, "reason": "unreadable: broken symbolic link"}
    try:
        st = os.stat(path)
    except OSError as exc:
        return {"file_path": path, "reason": f"unreadable: {exc.strerror or exc}"}
    import stat as _stat

    if not _stat.S_ISREG(st.st_mode):
        return {"file_path": path, "reason": "not a regular file"}
    try:
        with open(path, "rb") as f:
            head = f.read(BINARY_SNIFF)
        if b"\x00" in head:
            return {"file_path": path, "reason": "binary"}
        n = _count_file(path, st.st_size)
    except OSError as exc:
        return {"file_path": path, "reason": f"unreadable: {exc.strerror or exc}"}
    return {
        "file_path": path,
        "file_size_bytes": st.st_size,
        "token_count": n,
        "under_budget": n <= budget,
        "percentage_of_budget": _pct(n, budget),
    }


def validate(paths: list[str], budget: int, changed_since: str | None = None, cwd: str | os.PathLike[str] = ".",
             progress: Callable[[int, int], None] | None = None) -> Report:
    """The report for PATHS (or the files changed since a revision) at ``budget``."""
    if budget <= 0:
        raise UsageError("the token budget must be above 0")
    files, skipped = collect_files(paths, changed_since, cwd)
    entries: list[FileEntry] = []
    for i, p in enumerate(files, 1):
        shown = p
        full = p if os.path.isabs(p) else os.path.join(cwd, p) if changed_since else p
        e = check_file(full, budget)
        e["file_path"] = shown
        if "reason" in e:
            skipped.append(e)
        else:
            entries.append(e)
        if progress is not None:
            progress(i, len(files))
    total = sum(e["token_count"] for e in entries)
    over = sum(1 for e in entries if not e["under_budget"])
    return {
        "validation_time": _dt.datetime.now().isoformat(),
        "token_budget": budget,
        "total_files_checked": len(entries),
        "files_over_budget": over,
        "files_under_budget": len(entries) - over,
        "skipped_files": len(skipped),
        "total_token_count": total,
        "percentage_of_budget_used": _pct(total, budget),
        "files": entries,
        "skipped": skipped,
    }


def exit_code(report: Report, fail_on_threshold: float | None) -> int:
    """1 when the check fails, else 0.

    With ``fail_on_threshold`` the check is ``percentage_of_budget_used > threshold``;
    without it, any file over the budget fails.
    """
    if fail_on_threshold is not None:
        return 1 if report["percentage_of_budget_used"] > fail_on_threshold else 0
    return 1 if report["files_over_budget"] else 0


def render_table(report: Report, limit: int = 50) -> str:
    """The report as a table for a terminal or a CI log."""
    b = report["token_budget"]
    out = [f"{'tokens':>10} {'% budget':>9}  {'status':<6} file"]
    files = sorted(report["files"], key=lambda e: -e["token_count"])
    for e in files[:limit]:
        out.append(f"{e['token_count']:>10,} {e['percentage_of_budget']:>8.1f}%  {'ok' if e['under_budget'] else 'OVER':<6} {e['file_path']}")
    if len(files) > limit:
        out.append(f"{'':>10} {'':>9}  {'':<6} … {len(files) - limit} more files")
    for s in report["skipped"]:
        out.append(f"{'-':>10} {'-':>9}  {'skip':<6} {s['file_path']} ({s['reason']})")
    out.append(
        f"{report['total_files_checked']} files checked, {report['files_over_budget']} over the budget of {b:,} tokens, "
        f"{report['skipped_files']} skipped; total {report['total_token_count']:,} tokens = {report['percentage_of_budget_used']}% of the budget"
    )
    return "\n".join(out) + "\n"


def render_markdown(report: Report, limit: int = 100) -> str:
    """The report as Markdown (for ``$GITHUB_STEP_SUMMARY`` or a PR comment)."""
    b = report["token_budget"]
    out = [
        "## Token validation",
        "",
        f"**{report['percentage_of_budget_used']}%** of the {b:,}-token budget used: {report['total_token_count']:,} tokens in "
        f"{report['total_files_checked']} files, {report['files_over_budget']} over budget, {report['skipped_files']} skipped.",
        "",
        "| file | bytes | tokens | % of budget | status |",
        "|---|---:|---:|---:|---|",
    ]
    for e in sorted(report["files"], key=lambda e: -e["token_count"])[:limit]:
        out.append(f"| `{e['file_path']}` | {e['file_size_bytes']:,} | {e['token_count']:,} | {e['percentage_of_budget']} | {'ok' if e['under_budget'] else '**over**'} |")
    for s in report["skipped"]:
        out.append(f"| `{s['file_path']}` | | | | skipped: {s['reason']} |")
    return "\n".join(out) + "\n"
