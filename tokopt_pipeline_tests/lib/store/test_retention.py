"""Retention prunes every table: a run older than the cut goes whole (its rows, its
memory, its usage), and the oldest runs go while the store is over its size cap."""

from __future__ import annotations

import pytest

from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.store.retention import prune_store, store_bytes
from tokopt_pipeline.lib.usage import ledger
from tokopt_pipeline_tests.conftest import run_main

LOG = """\
============================= test session starts ==============================
tests/test_a.py::test_one FAILED
tests/test_a.py::test_two PASSED
tests/test_b.py::test_{n} PASSED
=================================== FAILURES ===================================
___________________________________ test_one ___________________________________
E   ValueError: connection refused on port {n}
FAILED tests/test_a.py::test_one - ValueError: connection refused on port {n}
FAILED tests/test_c.py::test_only_{n} - KeyError: 'run {n}'
========================= 2 failed, 2 passed in 0.10s ==========================
"""

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("backend")]  # three runs of the command per test, each on DuckDB and PostgreSQL

PER_RUN = ("runs", "chunks", "templates", "error_groups", "failed_tests", "summaries", "usage_ledger", "mem_runs",
           "mem_sightings")


def table_counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in PER_RUN}


@pytest.fixture
def three_runs(tmp_path, capsys, monkeypatch) -> tuple[Store, list[str]]:
    """Three runs recorded by the command; the first two made 40 days old."""
    monkeypatch.chdir(tmp_path)
    ids = []
    for n in range(3):
        (tmp_path / f"ci-{n}.log").write_text(LOG.format(n=n))
        rc, out, err = run_main(capsys, f"ci-{n}.log", "--store-memory", "--track-usage", "--suite", "ci", "--output-dir", "out")
        assert rc == 0, err
        ids.append(out.split("memory: run ")[1].split()[0])
    store = Store.from_env()
    with store.connect() as conn:
        for run_id in ids[:2]:
            conn.execute("UPDATE runs SET started_at = started_at - INTERVAL '40 days' WHERE run_id = ?", [run_id])
            conn.execute("UPDATE mem_runs SET recorded_at = recorded_at - INTERVAL '40 days' WHERE run_id = ?", [run_id])
            conn.execute("UPDATE usage_ledger SET recorded_at = recorded_at - INTERVAL '40 days' WHERE run_id = ?", [run_id])
    return store, ids


def test_runs_older_than_the_cut_are_pruned_from_every_table(three_runs, capsys):
    store, ids = three_runs
    with store.connect() as conn:
        before = table_counts(conn)
        assert before["runs"] == before["mem_runs"] == before["usage_ledger"] == 3
    rc, out, err = run_main(capsys, "memory", "prune", "--days", "30")
    assert rc == 0, err
    assert out.startswith("pruned 2 runs, 2 memory runs and 2 usage rows")
    with store.connect() as conn:
        after = table_counts(conn)
        for table in PER_RUN:
            assert 0 < after[table] < before[table] or before[table] == 0, table
        left = {r[0] for r in conn.execute("SELECT run_id FROM runs UNION SELECT run_id FROM mem_runs "
                                           "UNION SELECT run_id FROM usage_ledger").fetchall()}
        assert left == {ids[2]}
        graph = memory.read_graph(conn)
        names = {e["name"] for e in graph["entities"]}
        assert ids[0] not in names and ids[1] not in names and ids[2] in names
        assert "tests/test_c.py::test_only_0" not in names  # seen only in a pruned run
        assert "tests/test_c.py::test_only_2" in names and "tests/test_a.py::test_one" in names
        assert not any(o for e in graph["entities"] for o in e["observations"] if ids[0] in o)
        assert all(r["from"] in names and r["to"] in names for r in graph["relations"])
        tests = {r[0] for r in conn.execute("SELECT test_id FROM mem_tests").fetchall()}
        assert "tests/test_b.py::test_0" not in tests and "tests/test_b.py::test_2" in tests
        assert ledger.usage_report(conn)["periods"]["all time"][0]["runs"] == 1


def test_the_oldest_runs_go_while_the_store_is_over_its_cap(three_runs, backend):
    if backend == "postgres":
        pytest.skip("the size cap is the DuckDB file's (a server database is sized by its administrator)")
    store, ids = three_runs
    with store.connect() as conn:
        conn.execute("CHECKPOINT")
        full = store_bytes(conn)
        got = prune_store(conn, days=None, max_mb=(full - 1) / 1024 / 1024)
        assert got["runs"] >= 1 and got["bytes_after"] < full
        kept = [r[0] for r in conn.execute("SELECT run_id FROM runs ORDER BY started_at").fetchall()]
        assert ids[0] not in kept  # the oldest first
        got = prune_store(conn, days=None, max_mb=0.001)
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM mem_results").fetchone()[0] == 0
    with store.connect() as conn:  # still a good store
        assert conn.execute("SELECT count(*) FROM usage_ledger").fetchone()[0] == 0


def test_an_alert_waiting_for_its_mail_is_kept(three_runs):
    store, ids = three_runs
    with store.connect() as conn:
        conn.execute("INSERT INTO usage_alerts (alert_id, created_at, component, level, run_id) VALUES "
                     "('waiting', now()::TIMESTAMP - INTERVAL '50 days', 'ci', 'warning', ?), "
                     "('mailed', now()::TIMESTAMP - INTERVAL '50 days', 'ci', 'warning', ?)", [ids[0], ids[1]])
        conn.execute("UPDATE usage_alerts SET sent_at = now()::TIMESTAMP WHERE alert_id = 'mailed'")
        prune_store(conn, days=30, max_mb=None)
        assert [r[0] for r in conn.execute("SELECT alert_id FROM usage_alerts").fetchall()] == ["waiting"]
