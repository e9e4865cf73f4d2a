"""The store under the conditions users meet: an older file, a killed writer, a busy lock."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from tokopt_pipeline.lib.engine.render import summarize_analysis
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline.lib.store import records
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline.lib.store.schema import MIGRATIONS, latest_version
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG, REPO

from .helpers import materialize_log, metadata

WAIT = 60  # seconds any wait in this module may take at most


def wait_for(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_an_older_store_is_upgraded_in_place_keeping_its_rows(tmp_path):
    db = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)")
    version, description, sql = MIGRATIONS[0]
    conn.execute(sql)
    conn.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
    conn.execute("INSERT INTO runs (run_id, source, tokens_out) VALUES ('old-1', 'cli', 123)")
    conn.close()
    with Store(db, tmp_path / "pending").connect() as c:
        assert c.execute("SELECT max(version) FROM schema_version").fetchone()[0] == latest_version()
        assert c.execute("SELECT run_id, tokens_out FROM runs").fetchall() == [("old-1", 123)]
        assert c.execute("SELECT count(*) FROM analyses").fetchone() == (0,)


def test_a_store_from_a_newer_tokopt_is_refused_not_misread(tmp_path):
    db = tmp_path / "new.duckdb"
    with Store(db, tmp_path / "p").connect() as c:
        c.execute("INSERT INTO schema_version (version, description) VALUES (999, 'future')")
    from tokopt_pipeline.lib.errors import StoreError

    with pytest.raises(StoreError, match="newer tokopt"):
        with Store(db, tmp_path / "p").connect():
            pass


def test_the_stored_analysis_renders_the_same_summary():
    s = summarize(str(EXAMPLE_LOG), SummaryOptions(token_budget=3000))
    again = summarize_analysis(records.analysis_from_json(records.analysis_to_json(s.analysis)), SummaryOptions(token_budget=3000))
    assert again.text == s.text


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tokopt_pipeline.lib.store.db import Store, operation

    @operation("half_written_run")
    def half(conn, payload):
        conn.execute("INSERT INTO runs (run_id, file_key, source) VALUES ('half', 'numpy_pytest.log', 'dagster')")
        conn.execute("INSERT INTO summaries (run_id, format, budget, tokens_out, text) VALUES ('half', 'markdown', 1, 1, 'x')")
        Path(sys.argv[3]).write_text("inside the transaction")
        time.sleep(600)

    Store(Path(sys.argv[1]), Path(sys.argv[2])).write("half_written_run", {})
    """
)


@pytest.mark.slow
def test_a_writer_killed_mid_run_leaves_the_store_consistent_and_a_rerun_succeeds(pipeline, tmp_path):
    path = pipeline.drop("numpy_pytest.log")
    materialize_log(pipeline, path, budget=4000)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(pipeline.db), str(pipeline.pending), str(marker)], cwd=REPO)
    try:
        wait_for(marker.exists, "the writer to be inside its transaction")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT)
    assert pipeline.query("SELECT count(*) FROM runs WHERE run_id = 'half'") == [(0,)]
    assert pipeline.query("SELECT count(*) FROM summaries WHERE run_id = 'half'") == [(0,)]
    _, result = materialize_log(pipeline, path, budget=4000)
    assert result.success
    assert metadata(result, "budget_trimmed_summaries")["tokens_out"] <= 4000
    assert pipeline.query("SELECT count(*) FROM runs") == [(2,)]


LOCK_HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    from tokopt_pipeline.lib.store.db import Store
    from pathlib import Path
    with Store(Path(sys.argv[1]), Path(sys.argv[2])).connect() as conn:
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def tokopt(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "tokopt_pipeline", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=WAIT)


@pytest.mark.slow
def test_the_cli_records_in_the_same_store_and_never_loses_a_run_while_it_is_locked(tmp_path):
    db, pending = tmp_path / "store.duckdb", tmp_path / "pending"
    env = {**os.environ, "TOKOPT_DUCKDB_PATH": str(db), "TOKOPT_PENDING_DIR": str(pending), "TOKOPT_LOCK_TIMEOUT": "0.5"}
    log = str(EXAMPLE_LOG)
    ok = tokopt([log, "--token-budget", "3000", "--output-dir", str(tmp_path / "out")], env, tmp_path)
    assert ok.returncode == 0, ok.stderr
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db), str(pending)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "locked"
        busy = tokopt([log, "--token-budget", "2000", "--output-dir", str(tmp_path / "out")], env, tmp_path)
        assert busy.returncode == 0, busy.stderr
        assert "busy" in busy.stderr and "next writer" in busy.stderr
        assert (tmp_path / "out" / "numpy_pytest.summary.md").exists()
        assert len(list(pending.glob("*.json"))) == 1
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=WAIT)
        holder.stdout.close()
    skipped = tokopt([log, "--no-store", "--output-dir", str(tmp_path / "out")], env, tmp_path)
    assert skipped.returncode == 0
    with Store(db, pending).connect() as c:  # the next writer replays what was pending
        rows = c.execute("SELECT source, budget, file_key FROM runs ORDER BY budget").fetchall()
    assert [r[:2] for r in rows] == [("cli", 2000), ("cli", 3000)]
    assert rows[0][2].endswith("/numpy_pytest.log")
    assert list(pending.glob("*.json")) == []


@pytest.mark.slow
def test_an_unusable_store_fails_the_command_with_the_store_exit_code(tmp_path):
    db = tmp_path / "not-a-store.duckdb"
    db.write_text("this is not a database")
    r = tokopt([str(EXAMPLE_LOG), "--store-path", str(db), "--output-dir", str(tmp_path / "out")], dict(os.environ), tmp_path)
    assert r.returncode == 6
    assert "--no-store" in r.stderr
    assert (tmp_path / "out" / "numpy_pytest.summary.md").exists()
