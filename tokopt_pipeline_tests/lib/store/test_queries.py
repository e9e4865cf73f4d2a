"""Reads of the store, against a real DuckDB file written through the same operations
the command and the assets use."""

from datetime import datetime

import pytest

from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline.lib.store import queries, records
from tokopt_pipeline.lib.store.db import Store

LOG = """\
============================= test session starts ==============================
tests/test_a.py::test_one FAILED
tests/test_a.py::test_two PASSED
=================================== FAILURES ===================================
___________________________________ test_one ___________________________________
E   ValueError: bad | value
FAILED tests/test_a.py::test_one - ValueError: bad | value
========================= 1 failed, 1 passed in 0.10s ==========================
"""


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=30)


@pytest.fixture
def analysis(tmp_path):
    path = tmp_path / "build.log"
    path.write_text(LOG)
    return analyze(str(path), SummaryOptions())


def record(store, analysis, run_id: str, started: str, key: str = "build.log", keep_analysis: bool = True, **run):
    payload = records.analysis_payload(analysis, run_id=run_id, source="dagster", file_key=key, path=f"/logs/{key}",
                                       keep_analysis=keep_analysis)
    payload["run"].update({"started_at": started, **run})
    store.write("record_run", payload)


def test_a_log_never_registered_or_analysed_reads_as_none(store):
    with store.connect() as conn:
        assert queries.registered_log(conn, "build.log") is None
        assert queries.latest_analysis_run(conn, "build.log") is None
        assert queries.run_count(conn) == 0 and queries.file_keys_with_runs(conn) == set()
        with pytest.raises(LookupError, match="no analysis"):
            queries.stored_analysis(conn, "nope")


def test_the_latest_analysis_is_the_newest_run_that_kept_one(store, analysis):
    store.write("register_log", {"file_key": "build.log", "path": "/logs/build.log", "lines": analysis.lines})
    record(store, analysis, "r1", "2026-01-01 10:00:00", suite="unit", commit_sha="abc")
    record(store, analysis, "r3", "2026-01-02 10:00:00")
    record(store, analysis, "r2", "2026-01-02 10:00:00")                     # same time: the greater id wins
    record(store, analysis, "r9", "2026-01-03 10:00:00", keep_analysis=False)  # a CLI run: no analysis kept
    record(store, analysis, "x1", "2026-01-04 10:00:00", key="other.log")
    with store.connect() as conn:
        assert queries.registered_log(conn, "build.log") == {"path": "/logs/build.log", "lines": analysis.lines}
        run = queries.latest_analysis_run(conn, "build.log")
        assert run == {"run_id": "r3", "path": "/logs/build.log", "suite": None, "commit": None,
                       "started_at": datetime(2026, 1, 2, 10, 0)}
        assert queries.stored_analysis(conn, "r3") == analysis
        assert queries.chunk_rows(conn, "r3") == [(c.index, c.first_line, c.last_line, c.lines) for c in analysis.chunks]
        assert queries.run_count(conn) == 5
        assert queries.file_keys_with_runs(conn) == {"build.log", "other.log"}
        assert queries.registered_paths(conn) == {"build.log": "/logs/build.log"}


def test_error_entities_in_numbers_and_as_a_table(store, analysis):
    record(store, analysis, "r1", "2026-01-01 10:00:00")
    record(store, analysis, "r2", "2026-01-02 11:30:00", key="other.log")
    with store.connect() as conn:
        assert queries.error_entity_figures(conn) == {"distinct_errors": 0, "occurrences": 0, "recurring": 0, "new_today": 0}
        store.apply(conn, "refresh_error_entities", {})
        figures = queries.error_entity_figures(conn)
        table = queries.top_errors_markdown(conn, 15).splitlines()
    assert figures["distinct_errors"] == len(analysis.groups) >= 1
    assert figures["recurring"] == figures["distinct_errors"] and figures["new_today"] == 0
    assert table[:2] == ["| error | occurrences | runs | files | last seen |", "|---|---:|---:|---:|---|"]
    assert len(table) == 2 + figures["distinct_errors"]
    row = next(r for r in table if "ValueError" in r)
    assert "bad \\| value" in row  # a pipe in the message does not break the table
    assert row.endswith("| 2 | 2 | 2026-01-02 11:30 |")


pytestmark = pytest.mark.usefixtures("backend")  # every test on DuckDB and on PostgreSQL
