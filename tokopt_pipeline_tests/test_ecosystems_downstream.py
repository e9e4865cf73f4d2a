"""What the runner packs find reaches everything downstream, whatever the ecosystem: the
JSON output, ``--priority-filter``, the cross-run memory with its new marks, and the
MCP summary of a stored run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokopt_pipeline.cli import main
from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.store.db import Store

DATA = Path(__file__).resolve().parent / "data" / "ecosystems"
GO = DATA / "go-test-verbose" / "job.log"
RUST = DATA / "rust-workspace-tests" / "job.log"


def truth(case: str) -> dict:
    return json.loads((DATA / case / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(tmp_path / "pending"))
    monkeypatch.setenv("TOKOPT_SMTP_CONFIG", str(tmp_path / "no-smtp.toml"))
    return tmp_path


def test_json_output_lists_the_go_failures_and_their_totals(env, capsys):
    assert main([str(GO), "--format", "json", "--token-budget", "8000", "--output", "s.json"]) == 0
    doc = json.loads((env / "s.json").read_text(encoding="utf-8"))
    text = json.dumps(doc)
    for test in truth("go-test-verbose")["failing_tests"]:
        assert test in text, test
    runs = next(s for s in doc["sections"] if s["name"] == "runs")
    assert any(r["totals"].startswith("FAIL") for r in runs["items"])


def test_priority_filter_high_keeps_every_failing_rust_test(env, capsys):
    assert main([str(RUST), "--priority-filter", "high", "--token-budget", "8000", "--output", "s.md"]) == 0
    text = (env / "s.md").read_text(encoding="utf-8")
    assert "only high and above" in text
    for test in truth("rust-workspace-tests")["failing_tests"]:
        assert test in text, test
    assert "Compiling" not in text  # cargo's progress is verbose


@pytest.mark.slow
def test_the_memory_remembers_go_failures_and_marks_only_the_first_run_new(env, capsys):
    for n in (1, 2):
        assert main([str(GO), "--store-memory", "--suite", "go", "--token-budget", "6000", "--output", f"s{n}.md"]) == 0
    store = Store(env / "store.duckdb", env / "pending", lock_timeout=5)
    with store.connect() as conn:
        graph = memory.read_graph(conn)
    names = {e["name"] for e in graph["entities"] if e["entityType"] == "Test"}
    failing = truth("go-test-verbose")["failing_tests"]
    assert all(any(t in n for n in names) for t in failing), (failing, names)
    assert "**new**" not in (env / "s2.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_mcp_summary_of_a_stored_rust_run_names_its_failures(env, capsys):
    from tokopt_pipeline.mcp_server import summary_of

    assert main([str(RUST), "--store-memory", "--suite", "rust", "--output", "s.md"]) == 0
    store = Store(env / "store.duckdb", env / "pending", lock_timeout=5)
    text = summary_of(store, str(RUST), 4000)
    for test in truth("rust-workspace-tests")["failing_tests"][:5]:
        assert test in text, test
