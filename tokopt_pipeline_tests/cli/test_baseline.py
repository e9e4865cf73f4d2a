"""``--baseline-log`` and the memory's baseline (the suite's last passing run), run as a
user runs them: the count line, the suite a baseline comes from, ``--no-baseline``,
bad input, and the store's row of a passing run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.memory import Marker
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import DATA
from tokopt_pipeline_tests.conftest import run_main as run

SUITES = DATA / "baseline"
COUNT = re.compile(r"^- \*\*baseline\*\*: ([\d,]+) lines? \(≈[\d,]+ tokens\).* also in the last green run \((.+?)\) demoted", re.M)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(tmp_path / "pending"))
    monkeypatch.delenv("TOKOPT_LOCK_TIMEOUT", raising=False)
    return tmp_path


def copy(env: Path, suite: str, kind: str, name: str) -> Path:
    """A fixture log under another name (the memory keys runs by their log's name)."""
    dst = env / name
    shutil.copy(SUITES / f"{suite}-{kind}.log", dst)
    return dst


def count_line(text: str) -> tuple[int, str] | None:
    m = COUNT.search(text)
    return (int(m.group(1).replace(",", "")), m.group(2)) if m else None


def test_baseline_log_demotes_and_says_so(env, capsys):
    rc, out, err = run(capsys, SUITES / "pytest-fail.log", "--baseline-log", SUITES / "pytest-pass.log",
                       "--token-budget", "2000", "--no-store", "-o", "-")
    assert rc == 0, err
    n, label = count_line(out)
    assert n > 500 and label == "pytest-pass.log"
    assert f"baseline: {n:,} lines also in the last green run (pytest-pass.log) demoted" in err
    assert "test_discount" in out and "RuntimeError: ledger out of sync for nut" in out
    rc, plain, _ = run(capsys, SUITES / "pytest-fail.log", "--token-budget", "2000", "--no-store", "-o", "-")
    assert count_line(plain) is None and "**baseline**" not in plain
    rc, js, _ = run(capsys, SUITES / "pytest-fail.log", "--baseline-log", SUITES / "pytest-pass.log",
                    "--format", "json", "--token-budget", "2000", "--no-store", "-o", "-")
    assert json.loads(js)["baseline"]["demoted_lines"] == n


def test_bad_baseline_logs_are_clear_errors(env, capsys):
    log = SUITES / "go-fail.log"
    rc, out, err = run(capsys, log, "--baseline-log", env / "missing.log", "--no-store", "-o", "-")
    assert rc == 3 and "--baseline-log: " in err and "missing.log" in err and "Traceback" not in err and out == ""
    (env / "empty.log").write_text("")
    rc, out, err = run(capsys, log, "--baseline-log", env / "empty.log", "--no-store", "-o", "-")
    assert rc == 4 and "empty.log" in err and out == ""
    rc, _, err = run(capsys, log, "--baseline-log", SUITES / "go-pass.log", "--no-baseline", "--no-store", "-o", "-")
    assert rc == 2 and "--no-baseline" in err
    rc, _, err = run(capsys, log, "--baseline-log", log, "--no-store", "-o", "-")
    assert rc == 2 and "also the log to summarize" in err


@pytest.mark.slow  # a second or more on 2 cores
def test_memory_uses_the_last_passing_run_of_the_same_suite(env, capsys):
    store = Store.from_env()

    def remember(log: Path, suite: str) -> str:
        rc, out, err = run(capsys, log, "--store-memory", "--suite", suite, "--token-budget", "2000", "--output-dir", "out")
        assert rc == 0, err
        return re.search(r"memory: run (\S+)", out).group(1)

    # Suite "shop": an older passing run (node's), then pytest's passing run, then a
    # failing run that must not count as passing. Suite "other": go's passing run, later.
    remember(copy(env, "node", "pass", "shop-a.log"), "shop")
    shop_pass = remember(copy(env, "pytest", "pass", "shop-b.log"), "shop")
    remember(copy(env, "pytest", "fail", "shop-c.log"), "shop")
    other_pass = remember(copy(env, "go", "pass", "other-a.log"), "other")
    with store.connect() as conn:
        rows = dict(conn.execute("SELECT run_id, suite FROM mem_baselines").fetchall())
    assert set(rows.values()) == {"shop", "other"} and len(rows) == 3  # the failing run left none
    assert rows[shop_pass] == "shop" and rows[other_pass] == "other"

    failing = copy(env, "pytest", "fail", "shop-d.log")
    remember(failing, "shop")
    text = (env / "out" / "shop-d.summary.md").read_text()
    n, label = count_line(text)
    assert label == f"run {shop_pass}" and n > 500
    # The same log in suite "other": compared with go's passing run, which shares no lines.
    remember(copy(env, "pytest", "fail", "other-b.log"), "other")
    n_other, label_other = count_line((env / "out" / "other-b.summary.md").read_text())
    assert label_other == f"run {other_pass}" and n_other < n // 10


@pytest.mark.slow  # a second or more on 2 cores
def test_no_baseline_turns_the_memory_baseline_off(env, capsys):
    for name, kind in (("nightly-1.log", "pass"), ("nightly-2.log", "fail")):
        rc, out, err = run(capsys, copy(env, "go", kind, name), "--store-memory", "--no-baseline", "--output-dir", "out")
        assert rc == 0, err
    assert count_line((env / "out" / "nightly-2.summary.md").read_text()) is None
    rc, out, err = run(capsys, copy(env, "go", "fail", "nightly-3.log"), "--store-memory", "--output-dir", "out")
    assert rc == 0, err
    n, label = count_line((env / "out" / "nightly-3.summary.md").read_text())
    assert n > 100 and label.startswith("run nightly-")


def test_an_exit_code_decides_whether_a_run_passed(env):
    """Under ``tokopt run`` the command's exit code says whether the run passed, whatever
    its log shows; without one, the log decides."""
    from tokopt_pipeline.lib.engine.analysis import analyze

    failing = analyze(str(SUITES / "node-fail.log"))
    passing = analyze(str(SUITES / "node-pass.log"))
    cases: list[tuple[Analysis, int | None, bool]] = [(failing, 0, True), (passing, 1, False), (failing, None, False),
                                                      (passing, None, True)]
    for a, code, expected in cases:
        m = Marker(Store.from_env(), suite="exit", exit_code=code)
        m(a)
        assert m.run.green is expected
        assert (m.run.baseline is not None) is expected


def test_tokopt_run_remembers_a_command_that_exited_0_as_green(env, capsys):
    """Two runs of the same command line under ``tokopt run --store-memory``: the first
    exits 0 (green, whatever it printed), so the second's lines it had too are demoted."""
    noise = "for i in $(seq 1 40); do echo \"worker $i: processed $((i*3)) items for queue alpha\"; done"
    green = f"{noise}; echo 'WARNING cache: warmup took 812 ms'; exit 0"
    red = f"{noise}; echo 'ERROR payments: gateway refused the charge'; exit 1"
    rc, out, err = run(capsys, "run", "--store-memory", "--suite", "jobs", "--output-dir", "out", "--", "sh", "-c", green)
    assert rc == 0, err
    assert "**baseline**" not in out  # nothing earlier to compare with
    rc, out, err = run(capsys, "run", "--store-memory", "--suite", "jobs", "--output-dir", "out", "--", "sh", "-c", red)
    assert rc == 1
    n, label = count_line(out)
    assert n >= 40 and label.startswith("run jobs-")
    assert "gateway refused the charge" in out


def test_the_python_api_takes_the_baseline_log_too(env):
    from tokopt_pipeline import process_logs

    summary, path = process_logs({"log_file": str(SUITES / "node-fail.log"), "output_dir": str(env / "out"),
                                  "token_budget": 2000, "baseline_log": str(SUITES / "node-pass.log")})
    assert summary.analysis.baseline["lines"] == count_line(path.read_text())[0] > 100
