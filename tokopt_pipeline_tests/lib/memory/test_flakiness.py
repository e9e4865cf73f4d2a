"""Flakiness as the field measures it: flip rate over a suite's last N runs and
different outcomes on one commit, recorded through the command (``tokopt LOG
--store-memory --commit SHA --suite S``) and read back by ``tokopt memory analyze
--flaky``, the MCP ``failures`` view and the memory's analysis.

The logs are small pytest ``-v`` logs written here, one per run, where a test alternates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.memory.failures import failure_lines, run_failures
from tokopt_pipeline.lib.memory.flakiness import Flakiness, flakiness
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import labelled, tokopt
from tokopt_pipeline_tests.conftest import run_main as run

ALT, BROKE, STEADY = "tests/test_a.py::test_alt", "tests/test_a.py::test_broke", "tests/test_a.py::test_steady"


def pytest_log(path: Path, outcomes: dict[str, bool]) -> Path:
    """A pytest -v log of the tests in ``outcomes`` (test id -> failed)."""
    n = len(outcomes)
    lines = ["=" * 29 + " test session starts " + "=" * 30, "platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0",
             f"collected {n} items", ""]
    for i, (test, failed) in enumerate(outcomes.items(), 1):
        lines.append(f"{test} {'FAILED' if failed else 'PASSED'}".ljust(73) + f"[{100 * i // n:3d}%]")
    failing = [t for t, f in outcomes.items() if f]
    if failing:
        lines += ["", "=" * 35 + " FAILURES " + "=" * 35]
        for t in failing:
            name = t.split("::")[1]
            lines += [f"{'_' * 30} {name} {'_' * 30}", "", f"    def {name}():", ">       assert 1 == 2",
                      "E       assert 1 == 2", "", "tests/test_a.py:4: AssertionError"]
        lines.append("=" * 27 + " short test summary info " + "=" * 28)
        lines += [f"FAILED {t} - assert 1 == 2" for t in failing]
    passed = n - len(failing)
    totals = ", ".join(p for p in (f"{len(failing)} failed" if failing else "", f"{passed} passed" if passed else "") if p)
    lines.append(f"{'=' * 25} {totals} in 0.01s {'=' * 25}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record(capsys, folder: Path, name: str, outcomes: dict[str, bool], commit: str, suite: str) -> str:
    """``tokopt LOG --store-memory --commit SHA --suite S``; returns the summary written."""
    log = pytest_log(folder / f"{name}.log", outcomes)
    rc, out, err = run(capsys, log, "--store-memory", "--commit", commit, "--suite", suite, "--output-dir", folder / "out")
    assert rc == 0, err
    assert f"memory: run {suite}-" in out
    return (folder / "out" / f"{name}.summary.md").read_text(encoding="utf-8")


def listing(capsys, *args: str) -> dict[tuple[str, str], list[str]]:
    """``tokopt memory analyze --flaky``'s rows by (suite, test): runs, flips, flip rate,
    same commit, last, flaky."""
    rc, out, err = run(capsys, "memory", "analyze", "--flaky", *args)
    assert rc == 0, err
    rows = {}
    for line in out.splitlines()[2:]:
        cells = line.split()
        rows[(cells[0], cells[-1])] = cells[1:-1]
    return rows


# alt: F P F P F; broke: P P P F F (broken for good, not flaky); steady: always passes.
UNIT = [
    {ALT: True, BROKE: False, STEADY: False},
    {ALT: False, BROKE: False, STEADY: False},
    {ALT: True, BROKE: False, STEADY: False},
    {ALT: False, BROKE: True, STEADY: False},
    {ALT: True, BROKE: True, STEADY: False},
]


@pytest.fixture
def unit_runs(tmp_path, capsys) -> list[str]:
    summaries = [record(capsys, tmp_path, f"unit-{i}", o, commit=f"c{i}", suite="unit") for i, o in enumerate(UNIT, 1)]
    # Another suite, where alt always passes, on the commit of unit's first run: not counted for unit.
    for i in range(3):
        record(capsys, tmp_path, f"other-{i}", {ALT: False, STEADY: False}, commit="c1", suite="other")
    return summaries


@pytest.mark.slow  # a second or more on 2 cores
def test_flip_rate_per_suite_over_the_last_runs(capsys, unit_runs):
    rows = listing(capsys)
    # runs, flips, flip rate, same commit, last, flaky
    assert rows[("unit", ALT)] == ["5", "4", "1.00", "no", "failed", "yes"]
    assert rows[("unit", BROKE)] == ["5", "1", "0.25", "no", "failed", "no"]
    assert ("unit", STEADY) not in rows and ("other", ALT) not in rows  # never changed outcome
    # The last 3 runs of each suite only: alt F P F, broke P F F.
    rows = listing(capsys, "--runs", "3")
    assert rows[("unit", ALT)] == ["3", "2", "1.00", "no", "failed", "yes"]
    assert rows[("unit", BROKE)] == ["3", "1", "0.50", "no", "failed", "no"]

    # A test that just broke (pass, pass, pass, fail: one flip) is not marked flaky; alt is.
    assert not labelled(unit_runs[3], "test_broke", "flaky") and labelled(unit_runs[4], "test_alt", "flaky")
    with Store.from_env().connect() as conn:
        figures = {(f.suite, f.test_id): f for f in flakiness(conn)}
    assert figures[("other", ALT)] == Flakiness("other", ALT, runs=3, flips=0, same_commit=False, last_failed=False)
    assert figures[("unit", ALT)].failed_again and not figures[("unit", BROKE)].failed_again
    assert figures[("unit", ALT)].flip_rate == 1.0 and figures[("unit", BROKE)].flip_rate == 0.25


@pytest.mark.slow  # a second or more on 2 cores
def test_failures_view_shows_each_failing_tests_flip_rate_up_to_its_run(capsys, unit_runs):
    with Store.from_env().connect() as conn:
        runs = memory.run_summary_rows(conn, suite="unit")  # newest first
        last, third = run_failures(conn, runs[0]["run_id"]), run_failures(conn, runs[2]["run_id"])
    assert last is not None and third is not None
    text = "\n".join(failure_lines(last)[1])
    assert f"- failed `{ALT}` [flaky] (flip rate 1.00 over 5 runs) — " in text
    assert f"- failed `{BROKE}` (flip rate 0.25 over 5 runs) — " in text
    # The third run's view counts the runs up to it: alt failed, passed, failed.
    assert f"- failed `{ALT}` [flaky] (flip rate 1.00 over 3 runs) — " in "\n".join(failure_lines(third)[1])


@pytest.mark.slow  # a second or more on 2 cores
def test_different_outcomes_on_one_commit(tmp_path, capsys):
    record(capsys, tmp_path, "sc-1", {ALT: False, STEADY: False}, commit="f00d", suite="sc")
    second = record(capsys, tmp_path, "sc-2", {ALT: True, STEADY: False}, commit="f00d", suite="sc")
    assert labelled(second, "test_alt", "flaky")
    assert listing(capsys)[("sc", ALT)] == ["2", "1", "1.00", "yes", "failed", "yes"]
    # The same two results on two commits are a break, not flakiness.
    record(capsys, tmp_path, "sd-1", {BROKE: False, STEADY: False}, commit="aaaa", suite="sd")
    other = record(capsys, tmp_path, "sd-2", {BROKE: True, STEADY: False}, commit="bbbb", suite="sd")
    assert not labelled(other, "test_broke", "flaky")
    assert listing(capsys)[("sd", BROKE)] == ["2", "1", "1.00", "no", "failed", "no"]
    with Store.from_env().connect() as conn:
        failed = run_failures(conn, "latest")
    assert failed is not None and f"- failed `{BROKE}` (flip rate 1.00 over 2 runs) — " in failure_lines(failed)[1][-1]


@pytest.mark.slow  # a second or more on 2 cores
def test_a_high_flip_rate_is_flaky_without_fail_pass_fail(tmp_path, capsys):
    """pass, pass, fail, pass: two flips in four runs (0.67); fail-pass-fail alone would not say flaky."""
    for i, failed in enumerate((False, False, True, False)):
        record(capsys, tmp_path, f"rate-{i}", {ALT: failed, STEADY: False}, commit=f"r{i}", suite="rate")
    assert listing(capsys)[("rate", ALT)] == ["4", "2", "0.67", "no", "passed", "yes"]
    rc, out, _ = run(capsys, "memory", "analyze")
    assert rc == 0 and re.search(rf"flaky tests: {re.escape(ALT)} \(suite rate: flip rate 0\.67 over 4 runs\)", out)


@pytest.mark.slow  # a second or more on 2 cores
def test_the_command_lists_flaky_tests_and_refuses_a_bad_window(tmp_path, capsys):
    for i, failed in enumerate((True, False, True)):
        record(capsys, tmp_path, f"cmd-{i}", {ALT: failed, STEADY: False}, commit=f"k{i}", suite="cmd")
    done = tokopt("memory", "analyze", "--flaky", "--runs", "2", cwd=tmp_path, text=True, check=True)
    assert "in the last 2 runs of their suite (1)" in done.stdout
    # pass, fail: one flip, not flaky in so short a window; fail, pass, fail over the default 20 runs is.
    assert re.search(rf"^  cmd\s+2\s+1\s+1\.00\s+no\s+failed\s+no\s+{re.escape(ALT)}$", done.stdout, re.M)
    done = tokopt("memory", "analyze", "--flaky", cwd=tmp_path, text=True, check=True)
    assert re.search(rf"^  cmd\s+3\s+2\s+1\.00\s+no\s+failed\s+yes\s+{re.escape(ALT)}$", done.stdout, re.M)
    bad = tokopt("memory", "analyze", "--flaky", "--runs", "1", cwd=tmp_path, text=True)
    assert bad.returncode == 2 and "--runs" in bad.stderr and "Traceback" not in bad.stderr


pytestmark = pytest.mark.usefixtures("backend")  # every test on DuckDB and on PostgreSQL
