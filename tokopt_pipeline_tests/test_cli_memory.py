"""The memory and monitoring flags of ``tokopt``, run as a user runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tokopt_pipeline.cli import tokopt
from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import labelled
from tokopt_pipeline_tests.conftest import run_main as run
from tokopt_pipeline_tests.lib.memory.test_memory import FIXED, FLIP, make_suite_logs

pytestmark = pytest.mark.slow  # the command run in subprocesses, several times per test (22 s in all)

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "memory.md"


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Path]:
    return make_suite_logs(tmp_path_factory.mktemp("cli-suite"))


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(tmp_path / "pending"))
    monkeypatch.setenv("TOKOPT_SMTP_CONFIG", str(tmp_path / "no-smtp.toml"))
    for k in ("TOKOPT_SMTP_HOST", "TOKOPT_SMTP_PORT", "TOKOPT_LOCK_TIMEOUT"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path


def test_four_runs_mark_new_and_flaky_in_the_summaries(env, logs, capsys):
    for log in logs:
        rc, out, err = run(capsys, log, "--store-memory", "--track-usage", "--token-budget", "3000", "--output-dir", "out")
        assert rc == 0, err
        assert "memory: run nightly-" in out
    third = (env / "out" / "nightly-3.summary.md").read_text()
    fourth = (env / "out" / "nightly-4.summary.md").read_text()
    assert labelled(third, "test_flip", "flaky")
    assert "**new** `KeyError: 'late_key'`" in fourth and "**new** `ValueError" not in fourth
    # The store records the summary that was written: marks and token count included.
    from tokopt_pipeline.lib.engine import tokens as tok

    with Store.from_env().connect() as conn:
        for log, text in ((logs[2], third), (logs[3], fourth)):
            stored = conn.execute(
                "SELECT s.text, s.tokens_out, r.tokens_out FROM summaries s JOIN runs r USING (run_id) WHERE r.path = ?", [str(log)]
            ).fetchall()
            assert stored == [(text, tok.count(text), tok.count(text))]

    rc, out, err = run(capsys, "--analyze-memory")
    assert rc == 0
    assert "entities: 4 ErrorType, 4 Test, 4 TestRun" in out
    assert re.search(r"^\s+4\s+4  ValueError: database connection refused on port N \[", out, re.M)
    assert f"flaky tests: {FLIP}" in out and FIXED not in out.split("flaky tests:")[1]

    rc, out, _ = run(capsys, "--memory-query", "LATE_KEY")
    assert rc == 0 and "query 'LATE_KEY': 2 entities" in out and "test_suite.py::test_late (Test)" in out

    rc, out, _ = run(capsys, "--check-usage")
    assert rc == 0 and "today: 4 runs" in out and "    nightly: 4 runs" in out

    rc, out, _ = run(capsys, "--check-memory-connection")
    assert rc == 0 and "memory store OK" in out and "12 entities" in out and "pending writes: 0" in out


def test_the_memory_reads_the_log_once(env, logs, capsys, monkeypatch):
    """Passing tests and the commit come from the summary's own pass: a second read of
    the log would fail here."""

    def no_second_read(path):
        raise AssertionError(f"{path} read a second time")

    monkeypatch.setattr(memory.runs, "scan_run_meta", no_second_read)
    for log in logs[:3]:
        rc, out, err = run(capsys, log, "--store-memory", "--token-budget", "3000", "--output-dir", "out")
        assert rc == 0, err
    assert labelled((env / "out" / "nightly-3.summary.md").read_text(), "test_flip", "flaky")
    with Store.from_env().connect() as conn:
        passed = conn.execute("SELECT count(*) FROM mem_results WHERE NOT failed").fetchone()[0]
    assert passed > 0


def test_summary_on_stdout_is_marked_too(env, logs, capsys):
    for log in logs[:3]:
        rc, out, err = run(capsys, log, "--store-memory", "--output", "-", "--suite", "ci", "--token-budget", "3000")
        assert rc == 0, err
    assert out.startswith("# tokopt summary: nightly-3.log")
    assert labelled(out, "test_flip", "flaky")
    assert "memory: run ci-" in err
    with Store.from_env().connect() as conn:
        (stored,) = conn.execute("SELECT s.text FROM summaries s JOIN runs r USING (run_id) WHERE r.path = ?", [str(logs[2])]).fetchone()
    assert stored == out


def test_component_summaries_are_marked_too(env, logs, capsys):
    budgets = '{"test_suite": 2000, "misc": 500}'
    for log in logs:
        rc, out, err = run(capsys, log, "--store-memory", "--component-budgets", budgets, "--token-budget", "3000", "--output-dir", "out")
        assert rc == 0, err
    third = (env / "out" / "nightly-3.summary.md").read_text()
    fourth = (env / "out" / "nightly-4.summary.md").read_text()
    assert "## Component: test_suite" in third and labelled(third, "test_flip", "flaky")
    assert "**new** `KeyError: 'late_key'`" in fourth and "**new** `ValueError" not in fourth


def test_corrupt_import_is_refused_and_the_store_untouched(env, logs, capsys):
    run(capsys, logs[0], "--store-memory", "--output-dir", "out")
    assert run(capsys, "--export-memory", "mem.jsonl")[0] == 0
    with Store.from_env().connect() as conn:
        before = memory.read_graph(conn)
    lines = (env / "mem.jsonl").read_text().splitlines()
    lines[1] = lines[1][: len(lines[1]) // 2]  # cut short, as a truncated copy would be
    (env / "bad.jsonl").write_text("\n".join(lines) + "\n")
    rc, out, err = run(capsys, "--import-memory", "bad.jsonl")
    assert rc == 4
    assert "bad.jsonl:2: not valid JSON" in err and "nothing was imported" in err
    (env / "foreign.jsonl").write_text('{"timestamp": "2024-05-01T10:00:00Z", "level": "ERROR", "message": "boom"}\n')
    rc, _, err = run(capsys, "--import-memory", "foreign.jsonl")
    assert rc == 4 and "foreign.jsonl:1: record type None is neither 'entity' nor 'relation'" in err
    with Store.from_env().connect() as conn:
        assert memory.read_graph(conn) == before
    rc, out, _ = run(capsys, "--import-memory", "mem.jsonl")
    assert rc == 0 and "imported mem.jsonl:" in out


def test_busy_store_queues_then_reconnect_replays(env, logs, capsys, monkeypatch):
    db = env / "store.duckdb"
    assert run(capsys, "--check-memory-connection")[0] == 0  # create the store
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setenv("TOKOPT_LOCK_TIMEOUT", "0.3")
        rc, out, err = run(capsys, logs[0], "--store-memory", "--output-dir", "out")
        assert rc == 0, err
        assert "not marked (the store was busy)" in out and "queued in" in out
        assert (env / "out" / "nightly-1.summary.md").is_file()
        rc, _, err = run(capsys, "--check-memory-connection")
        assert rc == 6 and "locked by another process" in err and "writes wait in" in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    rc, out, err = run(capsys, "--reconnect-memory")
    assert rc == 0, err
    assert re.search(r"replayed [1-9]\d* pending writes? from", out)
    with Store.from_env().connect() as conn:
        assert [r["log_path"] for r in memory.run_summary_rows(conn)] == [str(logs[0])]


def test_monitoring_needs_an_address_and_smtp(env, capsys):
    rc, _, err = run(capsys, "--enable-monitoring")
    assert rc == 2 and "--enable-monitoring needs --alert-email ADDR" in err
    rc, _, err = run(capsys, "--enable-monitoring", "--alert-email", "ops@example.com", "--warning-threshold", "96")
    assert rc == 2 and "must be below --critical-threshold (95)" in err
    rc, _, err = run(capsys, "--enable-monitoring", "--alert-email", "ops@example.com")
    assert rc == 6 and "no SMTP server configured: set TOKOPT_SMTP_HOST" in err
    rc, _, err = run(capsys, "--warning-threshold", "50")
    assert rc == 2 and "take effect with --enable-monitoring" in err


def test_monitoring_mails_a_crossing_from_the_command(env, logs, capsys, monkeypatch):
    from aiosmtpd.controller import Controller

    from tokopt_pipeline_tests.lib.usage.test_alerts import Inbox, _free_port

    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    try:
        monkeypatch.setenv("TOKOPT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("TOKOPT_SMTP_PORT", str(ctl.port))
        rc, out, err = run(capsys, "--enable-monitoring", "--alert-email", "ops@example.com", "--warning-threshold", "50", "--critical-threshold", "99")
        assert rc == 0 and "monitoring on: alerts to ops@example.com" in out
        # A budget this small is filled: use over 50%, twice; one mail.
        for log in logs[:2]:
            rc, out, err = run(capsys, log, "--track-usage", "--token-budget", "200", "--suite", "nightly", "--output-dir", "out")
            assert rc == 0, err
    finally:
        ctl.stop()
    assert len(inbox.messages) == 1
    assert "WARNING: nightly used" in inbox.messages[0][2]["Subject"]


def test_html_report_is_self_contained(env, logs, capsys):
    for log in logs:
        run(capsys, log, "--store-memory", "--track-usage", "--output-dir", "out")
    rc, out, _ = run(capsys, "report", "--html", "report.html")
    assert rc == 0 and "4 usage records, 4 recurring errors" in out
    html = (env / "report.html").read_text()
    assert html.count("<svg") == 2 and "ValueError: database connection refused" in html
    assert "<script" not in html and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)


def test_every_flag_is_documented():
    doc = DOC.read_text()
    from tokopt_pipeline.cli.aliases import ALIASES, WITHOUT_A_LOG

    summarize = tokopt.commands["summarize"]
    flags = [f for f, a in {**ALIASES, **WITHOUT_A_LOG}.items() if a.command[0] in ("memory", "usage")]
    flags += [p.opts[0] for p in summarize.params if p.name in ("store_memory", "commit", "suite", "track_usage", "enable_monitoring",
                                                                 "alert_email", "warning_threshold", "critical_threshold")]
    assert len(flags) >= 15
    missing = [f for f in flags if f not in doc]
    assert not missing, f"not in docs/memory.md: {missing}"
    for word in ("tokopt mcp", "tokopt report --html", "TOKOPT_SMTP_HOST", '"type":"entity"', "MEMORY_FILE_PATH"):
        assert word in doc
