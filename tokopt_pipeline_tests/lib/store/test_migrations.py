"""A store written by an older tokopt (schema 20: two usage ledgers, test results one
string row per test) opens, migrates in place, and shows the same usage figures and the
same memory. The store and the figures the older tokopt showed for it are in
tokopt_pipeline_tests/data/store/ (made by make_old_store.py there)."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime

import pytest

from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.store.schema import latest_version
from tokopt_pipeline.lib.usage import ledger
from tokopt_pipeline_tests.conftest import DATA, run_main

OLD = DATA / "store" / "old_store.duckdb.gz"
EXPECTED = json.loads((DATA / "store" / "old_store.expected.json").read_text())


@pytest.fixture
def old_store(tmp_path) -> Store:
    path = tmp_path / "old.duckdb"
    with gzip.open(OLD, "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return Store(path, tmp_path / "pending", lock_timeout=5)


def test_the_fixture_is_an_old_store(old_store):
    import duckdb

    conn = duckdb.connect(str(old_store.path), read_only=True)
    try:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == EXPECTED["schema"] == 20
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        conn.close()
    assert {"usage_records", "usage_daily", "mem_test_results"} <= tables and "usage_ledger" not in tables


def test_an_old_store_migrates_and_its_usage_figures_stay_the_same(old_store):
    now = datetime.fromisoformat(EXPECTED["now"])
    with old_store.connect() as conn:
        versions = {r[0] for r in conn.execute("SELECT version FROM schema_version").fetchall()}
        report = ledger.usage_report(conn, now=now)
        history = ledger.usage_history(conn)
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        rows, tracked = conn.execute("SELECT count(*), count(*) FILTER (WHERE tracked) FROM usage_ledger").fetchone()
        alerts = conn.execute("SELECT component, level, run_id FROM usage_alerts ORDER BY ALL").fetchall()
    assert max(versions) == latest_version() and {11, 21} <= versions
    assert {"usage_records", "mem_test_results"}.isdisjoint(tables)
    assert json.loads(json.dumps(report, default=str)) == EXPECTED["report"]
    assert ledger.format_report(report) == EXPECTED["text"]
    assert [{**h, "recorded_at": str(h["recorded_at"])} for h in history] == EXPECTED["history"]
    assert [list(a) for a in alerts] == EXPECTED["alerts"]
    # one row per summary: the 5 recorded runs (4 of them tracked, each paired with its
    # usage record) and the 3 usage records without a run (a --no-store run, 2 older)
    assert (rows, tracked) == (8, 7)


def test_the_dagster_figures_count_every_summary_once(old_store):
    with old_store.connect() as conn:
        figures = ledger.rollup_figures(conn)
    old = EXPECTED["rollup_all_time"]  # the 5 runs the old roll-up counted
    assert figures["runs_total"] == old["runs_total"] + 3  # and the 3 usage records that had no run
    assert figures["tokens_out_total"] == old["tokens_out_total"] + 253 + 700 + 950


def test_an_old_stores_memory_reads_the_same_and_keeps_marking(old_store, tmp_path):
    with old_store.connect() as conn:
        results = conn.execute(
            "SELECT m.run_id, t.test_id, CASE WHEN r.failed THEN 'failed' ELSE 'passed' END "
            "FROM mem_results r JOIN mem_runs m ON m.seq = r.run_seq JOIN mem_tests t USING (test_key) ORDER BY ALL"
        ).fetchall()
        flaky = [r[0] for r in conn.execute("SELECT name FROM mem_entities WHERE flaky ORDER BY 1").fetchall()]
    assert [list(r) for r in results] == EXPECTED["test_results"]
    assert flaky == EXPECTED["flaky"]
    # a new failure of the flaky test in the same suite is marked flaky from that history
    from tokopt_pipeline.lib.engine.analysis import analyze
    from tokopt_pipeline.lib.settings.options import SummaryOptions

    log = tmp_path / "unit-4.log"
    log.write_text((DATA / "store" / "make_old_store.py").read_text().split('BAD_LOG = """', 1)[1].split('"""', 1)[0])
    analysis = analyze(str(log), SummaryOptions())
    run = memory.prepare_run(analysis, str(log), suite="unit", commit="dddd4444")
    with old_store.connect() as conn:
        marks, _ = memory.compute_marks(conn, run)
    assert marks.flaky_tests == ["tests/test_b.py::test_flip"]


def test_the_commands_show_the_old_figures(old_store, capsys, monkeypatch):
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(old_store.path))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(old_store.pending_dir))
    all_time = [line for line in EXPECTED["text"].splitlines() if "all time:" in line or line.startswith("    ")][-4:]
    for command in (["--check-usage"], ["usage", "check"]):
        rc, out, err = run_main(capsys, *command)
        assert rc == 0, err
        for line in all_time:
            assert line in out
        assert EXPECTED["text"].splitlines()[-1] in out  # the monitoring line
    rc, out, err = run_main(capsys, "report", "--html", str(old_store.path.parent / "r.html"), "--days", "36500")
    assert rc == 0, err
    assert "(7 usage records" in out
    html = (old_store.path.parent / "r.html").read_text()
    assert "3,229" in html or "3229" in html  # tokens out over all time, as before


def test_a_store_migrated_twice_is_the_same(old_store):
    with old_store.connect() as conn:
        applied = conn.execute("SELECT count(*) FROM schema_version").fetchone()[0]
    first = old_store.path.read_bytes()
    with old_store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == applied
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == latest_version()
    assert len(old_store.path.read_bytes()) == len(first)
