"""The cross-run memory: dedupe by fingerprint, new errors, flaky tests, JSONL in and out.

The logs are real: pytest runs (``-v``) of a generated test module whose failures
change from run to run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.errors import BadInput
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import another_store_url, labelled

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("backend")]  # real pytest runs in subprocesses feed the memory (13 s in all), each on DuckDB and PostgreSQL

SUITE_MODULE = '''
import os
RUN = int(os.environ["TOKOPT_TEST_RUN"])

def test_ok_one():
    assert True

def test_ok_two():
    assert 1 + 1 == 2

def test_recurring():
    raise ValueError("database connection refused on port 5432")

def test_flip():
    if RUN in (1, 3):
        assert {"a": 1} == {"a": 2}, "payload mismatch"

def test_fixed():
    if RUN == 1:
        raise RuntimeError("cache directory missing")

def test_late():
    if RUN == 4:
        raise KeyError("late_key")
'''
RECURRING = "test_suite.py::test_recurring"
FLIP, FIXED, LATE = "test_suite.py::test_flip", "test_suite.py::test_fixed", "test_suite.py::test_late"


def make_suite_logs(folder: Path, runs: int = 4) -> list[Path]:
    """Run pytest -v on the generated module ``runs`` times; return the captured logs.

    Run 1: recurring, flip, fixed fail. Run 2: recurring. Run 3: recurring, flip.
    Run 4: recurring, late.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_suite.py").write_text(SUITE_MODULE)
    logs = []
    for n in range(1, runs + 1):
        env = dict(os.environ, TOKOPT_TEST_RUN=str(n), PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(folder), "test_suite.py"],
            cwd=folder, env=env, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
        log = folder / f"nightly-{n}.log"
        log.write_text(proc.stdout)
        logs.append(log)
    return logs


@pytest.fixture(scope="module")
def suite_logs(tmp_path_factory) -> list[Path]:
    return make_suite_logs(tmp_path_factory.mktemp("suite"))


def store_at(tmp_path: Path) -> Store:
    """A new store at ``tmp_path`` (on the PostgreSQL backend, a new schema)."""
    return Store(tmp_path / "store.duckdb", tmp_path / "pending", lock_timeout=5, url=another_store_url())


def summarize_and_remember(store: Store, log: Path, suite: str = "nightly", commit: str | None = None, budget: int = 3000):
    held = {}

    def mark(analysis):
        run = memory.prepare_run(analysis, str(log), suite=suite, commit=commit, scan=memory.scan_log(str(log)))
        held["run"] = run
        held["marks"] = memory.annotate(store, run, analysis)

    summary = summarize(str(log), SummaryOptions(token_budget=budget), annotate=mark)
    assert store.write("memory_record_run", held["run"].payload()) == "applied"
    return summary, held["run"], held["marks"]


def _entity(graph: dict, name: str) -> dict:
    found = [e for e in graph["entities"] if e["name"] == name]
    assert len(found) == 1, [e["name"] for e in graph["entities"]]
    return found[0]


def test_four_runs_recurring_new_flaky_fixed(tmp_path, suite_logs):
    store = store_at(tmp_path)
    summaries = [summarize_and_remember(store, log)[0].text for log in suite_logs]

    with store.connect() as conn:
        graph = memory.read_graph(conn)
        info = memory.analyze_memory(conn)
    errors = [e for e in graph["entities"] if e["entityType"] == "ErrorType"]
    recurring = [e for e in errors if e["name"].startswith("ValueError: database connection refused")]
    assert len(recurring) == 1, "the same fingerprint in four runs must be one entity"
    assert len(recurring[0]["observations"]) == 4
    assert all(str(log) in o for log, o in zip(suite_logs, recurring[0]["observations"], strict=False)), "each observation points back at its log"
    assert "example: E ValueError: database connection refused on port 5432" in recurring[0]["observations"][0]

    # The late error is new in the fourth summary; the recurring one is not.
    fourth = summaries[3]
    assert "**new** `KeyError: 'late_key'`" in fourth
    assert "**new** `ValueError" not in fourth
    assert labelled(fourth, "test_late", "new")
    # Nothing is new in the first run (no history), nor in a run that only repeats.
    assert "**new**" not in summaries[0] and "**new**" not in summaries[1]

    # fail, pass, fail: flaky, labelled in the third summary and on the entity.
    assert labelled(summaries[2], "test_flip", "flaky")
    assert info["flaky_tests"] == [FLIP]
    assert any(o.startswith("flaky in suite nightly") for o in _entity(graph, FLIP)["observations"])
    # fail, then fixed for good: not flaky.
    assert FIXED not in info["flaky_tests"]
    assert not any("flaky" in o for o in _entity(graph, FIXED)["observations"])
    assert not re.search(r"(\[|, )flaky(\]|,)", summaries[3])  # no test labelled flaky (the log may name a path with the word)

    rels = {(r["from"], r["relationType"], r["to"]) for r in graph["relations"]}
    run4 = [e["name"] for e in graph["entities"] if e["entityType"] == "TestRun"][-1]
    assert (run4, "has_error", recurring[0]["name"]) in rels
    assert (LATE, "failed_in", run4) in rels
    assert (recurring[0]["name"], "raised_by", RECURRING) in rels
    assert info["top_errors"][0]["name"] == recurring[0]["name"] and info["top_errors"][0]["runs"] == 4


def test_recording_a_run_twice_changes_nothing(tmp_path, suite_logs):
    store = store_at(tmp_path)
    _, run, _ = summarize_and_remember(store, suite_logs[0])
    with store.connect() as conn:
        before = memory.read_graph(conn)
    assert store.write("memory_record_run", run.payload()) == "applied"
    with store.connect() as conn:
        assert memory.read_graph(conn) == before


def test_same_commit_fail_and_pass_is_flaky(tmp_path, suite_logs):
    store = store_at(tmp_path)
    # Run 1 (flip fails) and run 2 (flip passes) on one commit: flaky at once.
    summarize_and_remember(store, suite_logs[0], commit="a" * 40)
    summarize_and_remember(store, suite_logs[1], commit="a" * 40)
    with store.connect() as conn:
        assert memory.analyze_memory(conn)["flaky_tests"] == [FIXED, FLIP]
    # On different commits the same two runs are a fix, not flakiness.
    other = store_at(tmp_path / "other")
    summarize_and_remember(other, suite_logs[0], commit="a" * 40)
    summarize_and_remember(other, suite_logs[1], commit="b" * 40)
    with other.connect() as conn:
        assert memory.analyze_memory(conn)["flaky_tests"] == []


@pytest.mark.parametrize(
    "history, flaky",
    [
        ("FPF", True),
        ("FPPF", True),
        ("FPPP", False),  # failed, then fixed for good
        ("PFP", False),   # broken, then fixed
        ("FFF", False),
        ("PPP", False),
        ("", False),
    ],
)
def test_flakiness_rule(history, flaky):
    seq = [("failed" if c == "F" else "passed", None) for c in history]
    assert memory.is_flaky(seq) is flaky


def test_log_without_pass_lines_counts_absent_failures_as_passed(tmp_path, suite_logs):
    """pytest without -v: a test that failed before and is absent from this run's
    failures counts as passed when the run has a totals line."""
    store = store_at(tmp_path)
    quiet = []
    for log in suite_logs[:3]:
        text = "\n".join(l for l in log.read_text().splitlines() if " PASSED" not in l) + "\n"
        q = tmp_path / log.name
        q.write_text(text)
        quiet.append(q)
    third = [summarize_and_remember(store, q)[0].text for q in quiet][2]
    assert labelled(third, "test_flip", "flaky")


def test_search_and_open_nodes_match_memory_server_rules(tmp_path, suite_logs):
    store = store_at(tmp_path)
    for log in suite_logs:
        summarize_and_remember(store, log)
    with store.connect() as conn:
        found = memory.search_nodes(conn, "LATE_KEY")
        opened = memory.open_nodes(conn, [LATE])
    names = {e["name"] for e in found["entities"]}
    assert LATE in names and any(n.startswith("KeyError: 'late_key'") for n in names)
    # Relations with at least one end in the result.
    assert found["relations"] and all(r["from"] in names or r["to"] in names for r in found["relations"])
    assert [e["name"] for e in opened["entities"]] == [LATE]
    assert {r["relationType"] for r in opened["relations"]} == {"failed_in", "raised_by"}


def test_export_then_import_into_a_fresh_store_round_trips(tmp_path, suite_logs):
    store = store_at(tmp_path / "a")
    for log in suite_logs[:2]:
        summarize_and_remember(store, log)
    out = tmp_path / "memory.jsonl"
    with store.connect() as conn:
        n_ent, n_rel = memory.export_jsonl(conn, out)
        original = memory.read_graph(conn)
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(lines) == n_ent + n_rel
    assert {tuple(sorted(l)) for l in lines} == {("entityType", "name", "observations", "type"), ("from", "relationType", "to", "type")}

    fresh = store_at(tmp_path / "b")
    assert memory.import_jsonl(fresh, out)[2] == "applied"
    with fresh.connect() as conn:
        copy = memory.read_graph(conn)
    def key(g):
        return (sorted((e["name"], e["entityType"], tuple(e["observations"])) for e in g["entities"]), sorted(map(tuple, (r.values() for r in g["relations"]))))
    assert key(copy) == key(original)
    # Importing the same file again adds nothing.
    memory.import_jsonl(fresh, out)
    with fresh.connect() as conn:
        assert key(memory.read_graph(conn)) == key(original)


@pytest.mark.parametrize(
    "bad_line, why",
    [
        ('{"type": "entity", "name": "x", "entityType": "Test", "observations": [', "not valid JSON"),
        ('{"type": "entity", "name": "x", "entityType": "Test", "observations": "one"}', "observations must be a list of strings"),
        ('{"type": "relation", "from": "a", "to": "b"}', "relation without 'relationType'"),
        ('{"type": "node", "id": 7}', "neither 'entity' nor 'relation'"),
        ('{"level": "info", "msg": "started", "ts": "2024-01-01T00:00:00Z"}', "neither 'entity' nor 'relation'"),
        ('["entity", "x"]', "not a record"),
        ('{"type": "entity", "name": "x", "entityType": "Test", "observations": [], "n": ' + "1" * 5000 + "}",
         "not valid JSON (Exceeds the limit (4300 digits) for integer string conversion)"),
    ],
)
def test_corrupt_or_foreign_import_is_refused_with_line_and_store_untouched(tmp_path, suite_logs, bad_line, why):
    store = store_at(tmp_path)
    summarize_and_remember(store, suite_logs[0])
    good = tmp_path / "good.jsonl"
    with store.connect() as conn:
        memory.export_jsonl(conn, good)
        before = memory.read_graph(conn)
    payload = good.read_text().splitlines()
    payload.insert(0, json.dumps({"type": "entity", "name": "imported-first", "entityType": "Test", "observations": ["o"]}))
    payload.insert(3, bad_line)  # line 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(payload) + "\n")
    with pytest.raises(BadInput) as err:
        memory.import_jsonl(store, bad)
    assert f"{bad}:4:" in err.value.message and why in err.value.message
    assert "nothing was imported" in err.value.message
    with store.connect() as conn:
        assert memory.read_graph(conn) == before
    assert not store.pending()


def test_binary_file_is_refused(tmp_path):
    store = store_at(tmp_path)
    bad = tmp_path / "graph.jsonl"
    bad.write_bytes(b'{"type":"entity","name":"a","entityType":"T","observations":[]}\n\x89PNG\r\n\x1a\n\xff\xfe')
    with pytest.raises(BadInput, match=r"graph.jsonl:2: not UTF-8"):
        memory.import_jsonl(store, bad)


def test_suite_and_commit_from_the_log(tmp_path):
    assert memory.derive_suite("/ci/nightly-1234.log.gz") == "nightly"
    assert memory.derive_suite("build_20240101.txt") == "build"
    assert memory.derive_suite("1234.log", "pytest") == "pytest"
    log = tmp_path / "gha.log"
    sha = "0123456789abcdef0123456789abcdef01234567"
    log.write_text(f"Run actions/checkout@v4\n  GITHUB_SHA: {sha}\ntests/test_a.py::test_one PASSED [ 50%]\ntests/test_a.py::test_two FAILED [100%]\n")
    scan = memory.scan_log(str(log))
    assert scan.commit == sha
    assert scan.passed == ["tests/test_a.py::test_one"]
