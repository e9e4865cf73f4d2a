"""Diagnostics: report, token distribution, benchmark simulation, tokenizer config."""

from __future__ import annotations

import json

import duckdb
import pytest

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG
from tokopt_pipeline_tests.conftest import run_main as _run


def test_diagnostic_report_without_a_store(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "none" / "t.duckdb"))
    rc, out, _ = _run(capsys, "--diagnostic-report", "--format", "json", "--preset", "ci-integration")
    assert rc == 0
    rep = json.loads(out)
    assert set(rep) >= {"environment", "versions", "configuration", "tokenizer", "store", "token_model"}
    assert rep["tokenizer"]["ok"] is True
    assert rep["store"]["status"] == "absent"
    assert not (tmp_path / "none").exists(), "the report never creates a store"
    assert rep["configuration"]["settings"]["token_budget"] == 16000
    assert rep["versions"]["tiktoken"]


def test_diagnostic_report_reads_a_store_and_its_last_runs(tmp_path, capsys, monkeypatch):
    db = tmp_path / "t.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("CREATE TABLE runs (started_at TIMESTAMP, path VARCHAR, tokens_in BIGINT, tokens_out BIGINT)")
    conn.execute("INSERT INTO runs VALUES ('2024-05-01 10:00:00', 'ci.log', 5000, 400)")
    conn.close()
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(db))
    rc, out, _ = _run(capsys, "--diagnostic-report")
    assert rc == 0
    assert "store                  ok" in out
    assert "ci.log" in out
    assert "tokenizer self-check   ok" in out


@pytest.mark.slow
def test_token_distribution_table_and_json(tmp_path, capsys):
    rc, out, _ = _run(capsys, EXAMPLE_LOG, "--token-distribution", "--token-budget", "3000", "--format", "json", "--output", tmp_path / "s.json")
    assert rc == 0
    d = json.loads(out[out.index("{\n"):])
    assert d["tokens_in"] == 291002
    assert abs(sum(r["tokens"] for r in d["by_priority"]) - d["tokens_in"]) <= 5
    assert d["by_component"] and d["top_templates"]
    assert d["top_templates"][0]["tokens"] >= d["top_templates"][-1]["tokens"]
    rc, out, _ = _run(capsys, EXAMPLE_LOG, "--token-distribution", "--output", tmp_path / "s.md")
    assert "priority" in out and "top templates" in out


def test_token_distribution_needs_a_log(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no test_output.log here
    rc, _, err = _run(capsys, "--token-distribution")
    assert rc == 2
    assert "give a log file" in err


@pytest.mark.slow
def test_debug_tokens_shows_where_the_tokens_went(tmp_path, capsys):
    rc, _, err = _run(capsys, EXAMPLE_LOG, "--debug-tokens", "--token-budget", "3000", "--output", tmp_path / "s.md")
    assert rc == 0
    assert "total" in err and "budget 3,000" in err


@pytest.mark.slow
def test_benchmark_simulation_suggests_settings_that_keep_every_planted_failure(capsys):
    rc, out, _ = _run(capsys, "--benchmark-simulation", "--simulation-size", "0.05", "--format", "json")
    assert rc == 0
    b = json.loads(out)
    shapes = {r["shape"] for r in b["results"]}
    assert shapes == {"pytest", "application-log", "github-actions", "json-lines"}
    for shape, s in b["suggestions"].items():
        rows = [r for r in b["results"] if r["shape"] == shape]
        row = next(r for r in rows if r["preset"] == s["preset"])
        assert row["failures_kept"] == max(r["failures_kept"] for r in rows)
        assert all(r["tokens_out"] <= r["budget"] for r in rows)
        # json-lines too: the fatal lines that differ only in the name share a template,
        # which keeps their distinct lines.
        assert row["failures_kept"] == row["failures_planted"] == 5, row


def test_update_tokenizer_config_writes_a_complete_model(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    local = tmp_path / ".tokopt" / "token_model.json"
    local.parent.mkdir()
    local.write_text(json.dumps({"profiles": {"pytest": {"per_byte": 0.31, "per_line": 1.5}, "generic": {"per_byte": 9.0, "per_line": 0}}}))
    rc, out, _ = _run(capsys, "--update-tokenizer-config")
    assert rc == 0
    doc = json.loads(local.read_text())
    assert doc["encoding"] == "cl100k_base" and doc["encoding_check"] == "ok"
    assert doc["profiles"]["pytest"] == {"per_byte": 0.31, "per_line": 1.5}, "local calibration kept"
    packaged = tok.load_model(tok.PACKAGED_MODEL)
    assert doc["profiles"]["generic"]["per_byte"] == packaged.profiles["generic"].per_byte
    assert "generic: out-of-range coefficients replaced" in out
    assert set(doc["profiles"]) >= set(packaged.profiles)
    assert tok.load_model(local).profiles["pytest"].per_line == 1.5
