"""``kill -9`` at any moment of ``tokopt LOG --store-memory --track-usage``: the store
holds the whole run (its ``runs`` row and rows, its memory, its usage) or none of it,
and the next run leaves no temporary file or spool folder of the killed ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import NUMPY_LOG

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

TRIES = 15


def start(cwd, env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tokopt_pipeline", "numpy.log", "--store-memory", "--track-usage", "--suite", "numpy",
         "--output-dir", "out", "--export-templates", "out/templates.csv"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def recorded(store: Store) -> dict[str, set[str]]:
    with store.connect() as conn:
        def ids(sql: str) -> set[str]:
            return {r[0] for r in conn.execute(sql).fetchall()}

        return {
            "runs": ids("SELECT run_id FROM runs"),
            "summaries": ids("SELECT run_id FROM summaries"),
            "memory": ids("SELECT run_id FROM mem_runs"),
            "memory results": ids("SELECT m.run_id FROM mem_results r JOIN mem_runs m ON m.seq = r.run_seq"),
            "usage": ids("SELECT run_id FROM usage_ledger WHERE tracked"),
        }


def leftovers(tmp_path) -> list[str]:
    found = []
    for folder in (tmp_path / "out", tmp_path / "pending"):
        if folder.is_dir():
            found += [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".tokopt-export-")]
    return found


def test_a_killed_run_is_recorded_whole_or_not_at_all(tmp_path):
    env = {**os.environ, "TOKOPT_DUCKDB_PATH": str(tmp_path / "s.duckdb"), "TOKOPT_PENDING_DIR": str(tmp_path / "pending")}
    store = Store(tmp_path / "s.duckdb", tmp_path / "pending", lock_timeout=30)
    # 400 KB of the numpy log: a run of a few seconds, most of it the store's work
    (tmp_path / "numpy.log").write_bytes(NUMPY_LOG.read_bytes()[:400_000])
    t0 = time.monotonic()
    first = start(tmp_path, env)
    err = first.communicate(timeout=300)[1]
    assert first.returncode == 0, err.decode()
    took = time.monotonic() - t0
    whole = recorded(store)
    assert all(len(v) == 1 for v in whole.values()), whole

    killed_mid_run, states = 0, []
    for i in range(TRIES):
        proc = start(tmp_path, env)
        time.sleep(took * (0.3 + 0.75 * i / (TRIES - 1)))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_run += 1
        proc.communicate(timeout=300)
        now = recorded(store)
        runs = now["runs"]
        for what, ids in now.items():
            assert ids == runs, f"try {i}: {what} {sorted(ids ^ runs)} differ from the runs {sorted(runs)}"
        states.append(len(runs))
    assert killed_mid_run >= TRIES // 2, "the kills came too late to test anything"

    final = start(tmp_path, env)
    err = final.communicate(timeout=300)[1]
    assert final.returncode == 0, err.decode()
    assert len(recorded(store)["runs"]) == states[-1] + 1
    assert leftovers(tmp_path) == []
    assert (tmp_path / "out" / "templates.csv").is_file()
