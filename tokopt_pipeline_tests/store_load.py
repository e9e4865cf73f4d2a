"""Concurrent writers on one store, as the concurrency test and ``bench/store_concurrency.py``
run them: each writer process summarizes its logs the way ``tokopt summarize
--store-memory --track-usage`` does (marks, run rows, memory, usage in one write) and
rebuilds the cross-run error entities after each, all at once.

The logs are small pytest logs whose failures draw on a shared pool of errors, so runs
share error types (the first run to record one makes it **new**) and rows.

Example:
    logs = make_logs(tmp_path / "logs", 24)
    figures = run_writers(logs, workers=8, env={"TOKOPT_STORE_URL": url}, out=tmp_path / "out")
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

ERRORS = [
    ("ValueError", "database connection refused on host alpha"),
    ("KeyError", "'missing key bravo'"),
    ("TimeoutError", "request to charlie timed out"),
    ("RuntimeError", "worker delta crashed"),
    ("AssertionError", "assert echo == foxtrot"),
    ("OSError", "disk golf is read-only"),
    ("TypeError", "hotel() takes no arguments"),
    ("PermissionError", "access to india denied"),
    ("ZeroDivisionError", "division by zero in juliet"),
    ("LookupError", "no kilo in lima"),
]


def make_log(path: Path, i: int) -> Path:
    """Log ``i``: three failing tests (errors drawn from :data:`ERRORS`), one passing."""
    picks = [ERRORS[(i * k + k) % len(ERRORS)] for k in (1, 3, 7)]
    lines = ["============================= test session starts ==============================",
             "collected 4 items", "", f"tests/test_{i}.py::test_ok PASSED"]
    lines += [f"tests/test_{i % 5}.py::test_f{k} FAILED" for k in range(3)]
    lines += ["", "=================================== FAILURES ==================================="]
    for k, (exc, msg) in enumerate(picks):
        lines += [f"___________________________________ test_f{k} ___________________________________", "",
                  f"    def test_f{k}():", f">       raise {exc}()", f"E       {exc}: {msg}", "",
                  f"tests/test_{i % 5}.py:{k + 5}: {exc}"]
    lines.append("=========================== short test summary info ============================")
    lines += [f"FAILED tests/test_{i % 5}.py::test_f{k} - {exc}: {msg}" for k, (exc, msg) in enumerate(picks)]
    lines.append("========================= 3 failed, 1 passed in 0.12s ==========================")
    path.write_text("\n".join(lines) + "\n")
    return path


def make_logs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_log(folder / f"ci-{i:03d}.log", i) for i in range(n)]


def summarize_one(log: Path, out: Path, suite: str | None = "ci") -> int:
    """``tokopt LOG --store-memory --track-usage --suite SUITE`` in this process (the suite
    derived from the log's name when None); its exit code."""
    from tokopt_pipeline.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        rc = main([str(log), "--store-memory", "--track-usage", *(["--suite", suite] if suite else []),
                   "--output-dir", str(out), "--max-logs", "1000"])
    if rc != 0:
        raise RuntimeError(f"tokopt {log.name} exited {rc}: {err.getvalue()[-500:]}")
    return rc


def refresh() -> None:
    from tokopt_pipeline.lib.store.db import Store

    Store.from_env().write("refresh_error_entities", {})


def _writer(job: tuple[dict[str, str], list[str], str, Any]) -> dict[str, Any]:
    env, logs, out, start = job
    os.environ.update(env)
    from tokopt_pipeline.lib.store import db

    start.wait()
    done, errors, pending = 0, [], 0
    t0 = time.perf_counter()
    for log in logs:
        try:
            summarize_one(Path(log), Path(out))
            refresh()
            done += 1
        except Exception as exc:  # counted, not raised: the figures say how many
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
    if "TOKOPT_PENDING_DIR" in env and Path(env["TOKOPT_PENDING_DIR"]).is_dir():
        pending = len(list(Path(env["TOKOPT_PENDING_DIR"]).glob("*.json")))
    return {"done": done, "errors": errors, "retries": len(db.RETRIES), "seconds": time.perf_counter() - t0,
            "pending": pending}


def run_writers(logs: list[Path], workers: int, env: dict[str, str], out: Path) -> dict[str, Any]:
    """``workers`` processes, each summarizing its share of ``logs`` (round robin) and
    refreshing the error entities after each, started together. Returns ``ops`` (runs
    recorded), ``errors`` (their messages), ``retries`` (transient errors retried),
    ``wall`` (seconds) and ``pending`` (writes left in the pending folder, DuckDB)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Event()
        jobs = [(env, [str(p) for p in logs[w::workers]], str(out), start) for w in range(workers)]
        with ctx.Pool(workers) as pool:
            pending = pool.map_async(_writer, jobs)
            time.sleep(0.5)
            t0 = time.perf_counter()
            start.set()
            results = pending.get(timeout=600)
            wall = time.perf_counter() - t0
    return {
        "ops": sum(r["done"] for r in results), "errors": [e for r in results for e in r["errors"]],
        "retries": sum(r["retries"] for r in results), "wall": wall, "pending": max(r["pending"] for r in results),
    }
