"""Writes: several operations in one transaction (all or none), pending writes that
cannot be replayed moved aside with a warning while the rest are replayed, and a full
disk under the store a clear error (exit 6) that leaves the store as it was."""

from __future__ import annotations

import errno
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from tokopt_pipeline.lib.errors import StoreError
from tokopt_pipeline.lib.store import db, health
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import run_main, tokopt

LOG = """\
============================= test session starts ==============================
tests/test_a.py::test_one FAILED
tests/test_a.py::test_two PASSED
=================================== FAILURES ===================================
___________________________________ test_one ___________________________________
E   ValueError: connection refused on port 5432
FAILED tests/test_a.py::test_one - ValueError: connection refused on port 5432
========================= 1 failed, 1 passed in 0.10s ==========================
"""


def usage(run_id: str, tokens_out: int = 500) -> dict:
    return {"run_id": run_id, "recorded_at": datetime.utcnow().isoformat(), "log_path": "/ci/unit.log", "component": "unit",
            "tokens_in": 20_000, "tokens_in_exact": True, "tokens_out": tokens_out, "budget": 1000,
            "reduction_pct": 97.5, "budget_pct": tokens_out / 10, "sections": {}}


def counts(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("runs", "mem_runs", "mem_results", "usage_ledger", "summaries")}


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "s.duckdb", tmp_path / "pending", lock_timeout=5)


# -- one transaction --------------------------------------------------------------------
@pytest.mark.usefixtures("backend")
def test_operations_written_together_are_kept_all_or_none(store):
    store.write_all([("usage_record", usage("a")), ("usage_record", usage("b"))])
    with pytest.raises(KeyError):
        store.write_all([("usage_record", usage("c")), ("usage_record", {"run_id": "d"})])
    with store.connect() as conn:
        assert [r[0] for r in conn.execute("SELECT run_id FROM usage_ledger ORDER BY 1").fetchall()] == ["a", "b"]


def test_operations_queued_together_replay_together(store):
    # what write_all saves when the store is busy
    path = store.queue("batch", {"ops": [{"op": "usage_record", "payload": usage("q1")},
                                         {"op": "usage_record", "payload": usage("q2")}]})
    with store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM usage_ledger").fetchone()[0] == 2
    assert not path.exists()


# -- pending writes that cannot be replayed -------------------------------------------
BAD_PENDING = {
    "00000000000000000001-aaaa0001-record_run.json": b"\x00\xffnot json at all",
    "00000000000000000002-aaaa0002-record_run.json": b'["a", "list"]',
    "00000000000000000003-aaaa0003-drop_tables.json": b'{"op": "drop_tables", "payload": {}}',
    "00000000000000000004-aaaa0004-record_run.json": b'{"op": "record_run", "payload": {"no": "run"}}',
    "00000000000000000005-aaaa0005-usage_record.json": b'{"op": "usage_record", "payload": {"run_id": "x", "tokens_in": "many"}}',
}


def test_foreign_and_corrupt_pending_writes_are_quarantined_and_the_rest_replayed(tmp_path, capsys, monkeypatch):
    pending = tmp_path / "pending"
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(pending))
    store = Store.from_env()
    good = store.queue("usage_record", usage("good-1"))
    for name, data in BAD_PENDING.items():
        (pending / name).write_bytes(data)
    good2 = store.queue("usage_record", usage("good-2", 700))

    rc, out, err = run_main(capsys, "memory", "check")
    assert rc == 0, err
    assert "pending writes: 0" in out
    assert f"quarantined: {len(BAD_PENDING)} pending writes that could not be replayed" in out
    for name, data in BAD_PENDING.items():
        moved = pending / "quarantine" / name
        assert moved.read_bytes() == data  # kept, byte for byte
        assert f"the pending write {pending / name} cannot be replayed" in err and str(moved) in err
    assert "Traceback" not in err
    assert not good.exists() and not good2.exists()
    rc, out, err = run_main(capsys, "usage", "check")
    assert rc == 0 and "all time: 2 runs" in out and "1,200 out" in out
    assert "warning" not in err  # quarantined once, not warned about again


# -- a full disk ----------------------------------------------------------------------
@pytest.mark.slow
def test_a_full_disk_during_a_write_is_a_clear_error_and_nothing_is_kept(tmp_path, capsys, monkeypatch):
    """The fault injected at the seam: the operation's writes fail with ENOSPC."""
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(tmp_path / "pending"))
    monkeypatch.chdir(tmp_path)
    Path("ci.log").write_text(LOG)
    rc, _, err = run_main(capsys, "ci.log", "--store-memory", "--track-usage", "--output-dir", "out")
    assert rc == 0, err
    store = Store.from_env()
    before = counts(store)

    real = db._OPERATIONS["memory_record_run"]

    def full_disk(conn, payload):
        real(conn, payload)  # the rows are written, then the disk fills
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(db._OPERATIONS, "memory_record_run", full_disk)
    rc, out, err = run_main(capsys, "ci.log", "--store-memory", "--track-usage", "--output-dir", "out")
    assert rc == 6
    assert "no space left on the disk of the store" in err and "Free some space" in err
    assert "Traceback" not in err
    assert counts(store) == before  # neither the run, its memory nor its usage
    monkeypatch.setitem(db._OPERATIONS, "memory_record_run", real)
    rc, _, err = run_main(capsys, "ci.log", "--store-memory", "--track-usage", "--output-dir", "out")
    assert rc == 0, err
    after = counts(store)
    assert after["runs"] == after["mem_runs"] == after["usage_ledger"] == before["runs"] + 1


def test_disk_full_is_told_apart_from_other_errors():
    assert health.is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert health.is_disk_full(Exception('Could not write file "x.wal": No space left on device'))
    assert not health.is_disk_full(OSError(errno.EACCES, "Permission denied"))
    err = health.disk_full(Path("s.duckdb"), OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(err, StoreError) and err.exit_code == 6


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs (needs root and a kernel that lets this process mount)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'mount failed'}); "
                    "the full disk is tested at the seam by test_a_full_disk_during_a_write_is_a_clear_error_and_nothing_is_kept")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.slow
def test_a_full_disk_under_the_store_is_a_clear_error_and_the_store_survives(tmp_path, small_disk):
    (tmp_path / "ci.log").write_text(LOG)
    env = {**os.environ, "TOKOPT_DUCKDB_PATH": str(small_disk / "s.duckdb"), "TOKOPT_PENDING_DIR": str(small_disk / "p")}
    tokopt("ci.log", "--store-memory", "--track-usage", "--output-dir", "out", cwd=tmp_path, env=env, check=True)
    before = tokopt("usage", "check", cwd=tmp_path, env=env, text=True, check=True).stdout
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    done = tokopt("ci.log", "--store-memory", "--track-usage", "--output-dir", "out", cwd=tmp_path, env=env, text=True)
    assert done.returncode == 6, done.stderr
    assert "no space left on the disk of the store" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "out" / "ci.summary.md").is_file()  # the summary itself is on another disk
    filler.unlink()
    check = tokopt("memory", "check", cwd=tmp_path, env=env, text=True)
    assert check.returncode == 0 and "1 runs" in check.stdout, check.stderr
    assert tokopt("usage", "check", cwd=tmp_path, env=env, text=True).stdout == before
    tokopt("ci.log", "--store-memory", "--track-usage", "--output-dir", "out", cwd=tmp_path, env=env, check=True)
    assert "all time: 2 runs" in tokopt("usage", "check", cwd=tmp_path, env=env, text=True).stdout
