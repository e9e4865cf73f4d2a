"""The store on a PostgreSQL server: selected by URL, the same schema version, a server
that does not answer is StoreBusy (never a pending file), and writers at once lose nothing."""

from __future__ import annotations

import os
import socket

import pytest

from tokopt_pipeline.lib.errors import BadEnvironment
from tokopt_pipeline.lib.store.db import Store, StoreBusy
from tokopt_pipeline.lib.store.schema import latest_version
from tokopt_pipeline_tests.conftest import another_store_url, postgres_store_url
from tokopt_pipeline_tests.store_load import make_logs, run_writers, summarize_one


@pytest.fixture
def pg_url(pg_cluster, monkeypatch) -> str:
    url = postgres_store_url(pg_cluster)
    monkeypatch.setenv("TOKOPT_STORE_URL", url)
    return url


@pytest.mark.postgres
def test_the_url_selects_the_server_and_the_schema_is_the_files_version(pg_url, tmp_path):
    store = Store.from_env()
    assert store.postgres and store.url == pg_url
    with store.connect() as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == latest_version()
    assert store.write("register_log", {"file_key": "a.log", "path": "/x/a.log", "lines": 3}) == "applied"
    assert not (tmp_path / "pending").exists() and not store.path.exists()  # nothing on the DuckDB side


def test_a_url_that_is_not_postgres_is_refused(monkeypatch):
    monkeypatch.setenv("TOKOPT_STORE_URL", "mysql://root@localhost/db")
    with pytest.raises(BadEnvironment, match="TOKOPT_STORE_URL"):
        Store.from_env()


def test_a_server_that_does_not_answer_is_store_busy_and_nothing_is_queued(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TOKOPT_STORE_URL", f"postgresql://tokopt@127.0.0.1:{port}/tokopt")
    store = Store(tmp_path / "s.duckdb", tmp_path / "pending", lock_timeout=0.3)
    with pytest.raises(StoreBusy, match="did not answer"):
        store.write("register_log", {"file_key": "a.log", "path": "/x/a.log"})
    assert not (tmp_path / "pending").exists()


@pytest.mark.postgres
def test_a_writer_waits_for_a_held_lock_then_gives_up_as_store_busy(pg_url, tmp_path):
    holder, writer = Store(lock_timeout=5), Store(lock_timeout=0.3)
    import threading

    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        holder.hold()
        held.set()
        release.wait(10)
        holder.release()

    t = threading.Thread(target=hold)
    t.start()
    try:
        held.wait(10)
        with pytest.raises(StoreBusy, match="busy"):
            writer.write("register_log", {"file_key": "b.log", "path": "/x/b.log"})
    finally:
        release.set()
        t.join()
    assert writer.write("register_log", {"file_key": "b.log", "path": "/x/b.log"}) == "applied"


@pytest.mark.postgres
def test_a_run_is_marked_and_recorded_in_one_transaction(pg_url, tmp_path, monkeypatch):
    """Two runs of the same new error: while the first is between marking and recording,
    the second waits, so only the first marks the error new (as one after the other)."""
    monkeypatch.chdir(tmp_path)
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.engine.render import SummaryOptions, summarize_analysis
    from tokopt_pipeline.lib.engine.summarize import summarize

    logs = make_logs(tmp_path / "logs", 3)
    summarize_one(logs[0], tmp_path / "out")  # history: the first run ever marks nothing
    first = memory.Marker(Store(lock_timeout=5), suite="ci")
    a = summarize(str(logs[1]), SummaryOptions(token_budget=3000), annotate=first)
    assert first.marks is not None and first.marks.new_errors  # log 1 has errors log 0 had not
    # Another writer (a thread here: a process, a Dagster step) marking meanwhile waits for the first.
    second = memory.Marker(Store(lock_timeout=0.5), suite="ci")
    import threading

    t = threading.Thread(target=summarize, args=(str(logs[1]), SummaryOptions(token_budget=3000)),
                         kwargs={"annotate": second})
    t.start()
    t.join()
    assert second.marks is None  # the store was busy for 0.5 s: left unmarked, never marked new twice
    assert first.record() == "applied"
    third = memory.Marker(Store(lock_timeout=5), suite="ci")
    b = summarize(str(logs[1]), SummaryOptions(token_budget=3000), annotate=third)
    assert third.marks is not None and third.marks.new_errors == []
    assert "new" in summarize_analysis(a.analysis, SummaryOptions(token_budget=3000)).text
    third.release()
    assert b.text


def marked(folder) -> dict[str, list[str]]:
    """Of each summary in ``folder``: its failing-test and error lines, which carry the
    marks (``[new, E1]``, ``**new**``, ``[flaky]``)."""
    return {p.name: [ln for ln in p.read_text().splitlines() if ln.startswith(("- **E", "- `"))]
            for p in sorted(folder.glob("*.summary.md"))}


def entities(conn) -> list[tuple]:
    return conn.execute(
        "SELECT group_key, exc_type, message, level, occurrences, runs, files FROM error_entities ORDER BY group_key"
    ).fetchall()


@pytest.mark.slow
@pytest.mark.postgres
def test_eight_writers_at_once_lose_nothing(pg_cluster, tmp_path, monkeypatch):
    """8 processes record 24 runs (memory, usage, error entities rebuilt after each) at
    once: no error, every run recorded, sequence numbers contiguous, and the same marks
    and error entities as the same runs recorded one after the other."""
    monkeypatch.chdir(tmp_path)
    logs = make_logs(tmp_path / "logs", 24)
    url = postgres_store_url(pg_cluster)
    env = {"TOKOPT_STORE_URL": url, "TOKOPT_LOG_DIR": str(tmp_path / "logs"), "TOKOPT_LOCK_TIMEOUT": "30"}
    figures = run_writers(logs, workers=8, env=env, out=tmp_path / "out")
    assert figures["errors"] == [] and figures["ops"] == 24

    monkeypatch.setenv("TOKOPT_STORE_URL", url)
    with Store.from_env().connect() as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM mem_runs ORDER BY seq").fetchall()]
        assert seqs == list(range(1, 25))
        gaps = conn.execute(
            "SELECT entity FROM mem_observations GROUP BY entity HAVING max(seq) <> count(*) OR min(seq) <> 1"
        ).fetchall()
        assert gaps == []
        order = [os.path.basename(p) for (p,) in conn.execute("SELECT log_path FROM mem_runs ORDER BY seq").fetchall()]
        marks = dict(conn.execute("SELECT log_path, new_errors FROM mem_runs").fetchall())
        assert conn.execute("SELECT count(*) FROM usage_ledger WHERE tracked").fetchone()[0] == 24
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 24
        concurrent = entities(conn)

    # The same runs one after the other, in the order they were recorded, in a new store.
    monkeypatch.setenv("TOKOPT_STORE_URL", another_store_url())
    monkeypatch.setenv("TOKOPT_LOG_DIR", str(tmp_path / "logs"))
    for name in order:
        summarize_one(tmp_path / "logs" / name, tmp_path / "out-serial")
    Store.from_env().write("refresh_error_entities", {})
    with Store.from_env().connect() as conn:
        assert dict(conn.execute("SELECT log_path, new_errors FROM mem_runs").fetchall()) == marks
        assert entities(conn) == concurrent
    assert sum(marks.values()) > 0  # some runs did mark new errors
    # What the summaries say: the same marks as when written one after the other.
    written = marked(tmp_path / "out")
    assert len(written) == 24 and written == marked(tmp_path / "out-serial")


@pytest.mark.postgres
def test_a_write_whose_connection_the_server_drops_is_retried_once_and_kept_once(pg_url):
    """The server ends the writer's session mid-transaction (as on a failover or a
    restart): nothing of that attempt is kept, the next attempt commits, one row."""
    from tokopt_pipeline.lib.store import db

    calls = []

    @db.operation("test_dropped_once")
    def dropped_once(conn, payload):
        conn.execute("INSERT INTO log_files (file_key, path) VALUES (?, ?)", [payload["key"], "/x"])
        calls.append(1)
        if len(calls) == 1:
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    before = len(db.RETRIES)
    store = Store(lock_timeout=5)
    assert store.write("test_dropped_once", {"key": "k.log"}) == "applied"
    assert len(calls) == 2 and len(db.RETRIES) == before + 1
    with store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM log_files WHERE file_key = 'k.log'").fetchone()[0] == 1
