"""Planted secrets through the real command: none survives anywhere tokopt writes.

The log holds every kind of :mod:`tokopt_pipeline_tests.secrets_corpus` (over 100 kinds,
each in several contexts, some on error lines a summary shows verbatim, some in
passing test ids the memory keeps) between ordinary lines. It is summarized in every
format with the preprocessed chunks and the exported templates, recorded in the store,
once while the store is locked (so the run waits in the pending folder) and once
replayed; then the store's every table, the pending files, the memory export, the MCP
answers, the HTML report and the token distribution are searched. The failure in the
log must still be reported.
"""

from __future__ import annotations

import gzip
import os
from functools import partial
from pathlib import Path

import duckdb
import pytest

from tokopt_pipeline_tests.conftest import store_text, tokopt
from tokopt_pipeline_tests.fixtures_secrets import planted_secrets_log
from tokopt_pipeline_tests.secrets_corpus import KINDS, leaks, ordinary_lines, planted_log

_tokopt = partial(tokopt, check=True)

pytestmark = pytest.mark.slow  # the command run in subprocesses on every output format


def _assert_clean(text: str, secrets: list[str], kinds: list[str] | None, where: str) -> None:
    leaked = leaks(text, secrets, kinds)
    assert not leaked, f"{where} leaks {len(leaked)} planted secrets: {leaked[:10]}"


def _planted(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    import random

    log = planted_log(seed=11)
    # Ordinary output around the secrets, enough that templates repeat.
    noise = "\n".join(ordinary_lines(random.Random(5), 600)) + "\n"
    path = tmp_path / "ci.log"
    path.write_text(noise + log.text + noise, encoding="utf-8")
    assert len(set(log.kinds)) == len(KINDS) >= 60
    assert not leaks(noise, log.secrets)  # the secrets are only where they were planted
    return path, log.secrets, log.kinds


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_no_planted_secret_survives_in_any_output_or_the_store(tmp_path, fmt):
    log, secrets, kinds = _planted(tmp_path)
    out = tmp_path / "out"
    done = _tokopt(log.name, "--format", fmt, "--output-dir", out, "--preprocess", "--export-templates",
                   out / "templates.csv", cwd=tmp_path)
    _assert_clean(done.stdout.decode() + done.stderr.decode(), secrets, kinds, "the console")
    files = sorted(out.iterdir())
    ext = {"markdown": "md", "json": "json", "text": "txt"}[fmt]
    assert {p.name for p in files} == {f"ci.summary.{ext}", "ci.chunks.jsonl", "templates.csv", ".tokopt-outputs.json"}
    for p in files:
        _assert_clean(p.read_text(encoding="utf-8"), secrets, kinds, p.name)
    summary = (out / f"ci.summary.{ext}").read_text(encoding="utf-8")
    assert "test_login" in summary
    assert "REDACTED" in summary
    db = Path(os.environ["TOKOPT_DUCKDB_PATH"])
    stored = store_text(db)
    assert "test_login" in stored  # the run was recorded
    _assert_clean(stored, secrets, kinds, "the store")


def test_no_planted_secret_survives_in_pending_files_memory_mcp_or_report(tmp_path):
    log, secrets, kinds = _planted(tmp_path)
    db = Path(os.environ["TOKOPT_DUCKDB_PATH"])
    pending = Path(os.environ["TOKOPT_PENDING_DIR"])
    _tokopt("memory", "check", cwd=tmp_path)  # creates the store
    # The store locked by this process: the run's writes wait in the pending folder.
    holder = duckdb.connect(str(db))
    try:
        env = {**os.environ, "TOKOPT_LOCK_TIMEOUT": "0.3"}
        _tokopt(log.name, "--output", tmp_path / "locked.md", cwd=tmp_path, env=env)
    finally:
        holder.close()
    files = sorted(pending.glob("*.json"))
    assert files, "the locked run left nothing pending"
    for p in files:
        _assert_clean(p.read_text(encoding="utf-8"), secrets, kinds, f"pending file {p.name}")
    _tokopt("memory", "reconnect", cwd=tmp_path)
    _tokopt(log.name, "--output", tmp_path / "again.md", cwd=tmp_path)
    stored = store_text(db)
    assert "test_login" in stored
    _assert_clean(stored, secrets, kinds, "the store")

    export = tmp_path / "memory.jsonl"
    _tokopt("memory", "export", export, cwd=tmp_path)
    _assert_clean(export.read_text(encoding="utf-8"), secrets, kinds, "the memory export")
    report = tmp_path / "report.html"
    _tokopt("report", "--html", report, cwd=tmp_path)
    _assert_clean(report.read_text(encoding="utf-8"), secrets, kinds, "the HTML report")
    dist = _tokopt(log.name, "--token-distribution", "--component-by", "step", cwd=tmp_path)
    _assert_clean(dist.stdout.decode(), secrets, kinds, "the token distribution")

    # What the MCP tools answer: the graph, a search, a stored run's summary.
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.store.db import Store
    from tokopt_pipeline.mcp_server import summary_of

    store = Store(db, pending)
    with store.connect() as conn:
        graph = memory.read_graph(conn)
        found = memory.search_nodes(conn, "token")
        runs = memory.run_summary_rows(conn)
    answers = [str(graph), str(found)] + [summary_of(store, r["run_id"], 4000, f) for r in runs[:1]
                                          for f in ("markdown", "json", "text")]
    _assert_clean("\n".join(answers), secrets, kinds, "the MCP answers")


def test_no_secret_survives_compressed_input_on_stdin(tmp_path):
    text, secrets = planted_secrets_log()
    done = _tokopt("-", "--output", "-", "--token-budget", "2000", cwd=tmp_path, stdin=gzip.compress(text.encode()))
    _assert_clean(done.stdout.decode(), secrets, None, "stdout")
    _assert_clean(done.stderr.decode(), secrets, None, "stderr")
    assert "test_login" in done.stdout.decode()


def test_no_secret_survives_with_a_tiny_budget_or_the_token_debug_report(tmp_path):
    log, secrets, kinds = _planted(tmp_path)
    for budget in ("300", "1500"):
        done = _tokopt(log.name, "--token-budget", budget, "--output", "-", "--debug-tokens", "--verbose", cwd=tmp_path)
        _assert_clean(done.stdout.decode() + done.stderr.decode(), secrets, kinds, f"budget {budget}")
