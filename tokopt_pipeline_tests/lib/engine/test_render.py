"""The renderer's own rules: when a line is shown as it was, in what order templates
come, and that every format stays within its budget and counts what it leaves out."""

from __future__ import annotations

import json
import re

import pytest

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.model import TemplateStat
from tokopt_pipeline.lib.engine.render import breadth_order, needs_example, shown_template
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions


def test_a_template_that_hides_a_file_a_line_or_a_code_is_shown_as_the_line_was():
    assert needs_example("src<*>: error <*>: mismatched types", "src/lib.rs:12: error E0308: mismatched types")
    assert needs_example("<*> <*>", "anything at all")  # mostly masks
    assert not needs_example("connection to <*> refused after <*> retries", "connection to db refused after 3 retries")


def test_a_template_of_masks_alone_is_shown_by_a_real_line(tmp_path):
    """``×40 `<*>``` tells a reader nothing: a real line of it is shown instead."""
    log = tmp_path / "versions.log"
    lines = [f"v{i}.{i * 7 % 13}.{i % 5}" for i in range(40)] + ["ERROR: deploy failed: quota exceeded"]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    md = summarize(str(log), SummaryOptions(token_budget=1000, fmt="markdown")).text
    assert "`<*>`" not in md
    assert re.search(r"- ×40 like `v\d+\.\d+\.\d+` \(lines 1–40\)", md), md
    doc = json.loads(summarize(str(log), SummaryOptions(token_budget=1000, fmt="json")).text)

    def rows(node):
        if isinstance(node, dict):
            if node.get("count") == 40:
                yield node
            for v in node.values():
                yield from rows(v)
        elif isinstance(node, list):
            for v in node:
                yield from rows(v)

    found = list(rows(doc))
    assert found and re.fullmatch(r"v\d+\.\d+\.\d+", found[0]["example"]), doc


def test_a_run_of_masks_reads_as_one():
    assert shown_template("<*> <*> <*> INFO started") == "<*> INFO started"


def test_a_rare_kind_of_line_comes_before_the_second_of_a_common_kind():
    ts = [
        TemplateStat(1, 0, 500, 1, 900, "KERNEL ERROR one"), TemplateStat(2, 0, 400, 2, 900, "KERNEL ERROR two"),
        TemplateStat(3, 0, 1, 50, 50, "APPSEV alert raised"),
    ]
    ts[0].template, ts[1].template, ts[2].template = "KERNEL ERROR one <*>", "KERNEL ERROR two <*>", "APPSEV alert raised"
    order = [t.template_id for t in breadth_order(ts)]
    assert order.index(3) < order.index(2)


LOG = "\n".join(
    [f"2024-05-01 12:00:00 INFO request {i} served in {i % 50} ms" for i in range(400)]
    + [f"FAILED tests/test_api.py::test_case_{i} - AssertionError: status {400 + i}" for i in range(30)]
    + ["=== 30 failed, 370 passed in 9.1s ==="]
) + "\n"


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
@pytest.mark.parametrize("budget", [70, 200, 800, 3000])
def test_every_format_within_budget_and_every_failure_shown_or_counted(tmp_path, monkeypatch, fmt, budget):
    # The header quotes the log's path: a short relative one, so that the smallest budget
    # here does not depend on where the checkout's temporary folder is.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.log").write_text(LOG)
    s = summarize("t.log", SummaryOptions(token_budget=budget, fmt=fmt))
    assert s.tokens_out == tok.count(s.text) <= budget
    assert s.critical_shown + s.critical_omitted == s.analysis.critical_units
    if fmt == "json":
        json.loads(s.text)  # whole JSON, never cut


# -- a budget that cannot hold the header ---------------------------------------------
SESSION = """============================= test session starts ==============================
collected 50 items

tests/test_a.py ..F.....                                                  [ 16%]
tests/test_b.py .....F..F.......                                           [ 48%]

=================================== FAILURES ===================================
___________________________________ test_two ___________________________________

    def test_two():
>       assert 1 == 2
E       assert 1 == 2

tests/test_a.py:9: AssertionError
_________________________________ test_five ____________________________________

    def test_five():
>       raise ValueError("bad value 5")
E       ValueError: bad value 5

tests/test_b.py:20: ValueError
=========================== short test summary info ============================
FAILED tests/test_a.py::test_two - assert 1 == 2
FAILED tests/test_b.py::test_five - ValueError: bad value 5
FAILED tests/test_b.py::test_eight - ValueError: bad value 8
========================= 3 failed, 47 passed in 0.52s =========================
"""


def _need(capsys, log, *opts) -> int:
    from tokopt_pipeline_tests.conftest import run_main

    rc, out, err = run_main(capsys, log, "-o", "-", *opts)
    assert rc == 2 and out == "", (rc, out)
    m = re.search(r"use --token-budget ([\d,]+) or more", err)
    assert m and "Traceback" not in err, err
    return int(m.group(1).replace(",", ""))


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_a_budget_that_cannot_hold_the_header_is_a_usage_error_naming_the_smallest_that_works(tmp_path, capsys, fmt):
    from tokopt_pipeline_tests.conftest import run_main

    log = tmp_path / "t.log"
    log.write_text(SESSION)
    # --token-budget 100 --token-buffer 100 printed an empty summary and exited 0
    csv = tmp_path / "templates.csv"
    need = _need(capsys, log, "--token-budget", "100", "--token-buffer", "100", "--format", fmt, "--export-templates", csv)
    assert need > 100
    assert not csv.exists()  # refused: no side output either
    rc, out, _ = run_main(capsys, log, "-o", "-", "--token-budget", need, "--token-buffer", "100", "--format", fmt)
    assert rc == 0 and 0 < tok.count(out) <= need - 100
    assert "3 more failing tests not shown" in out or '"tests":3' in out  # the least it says: the counts
    if fmt == "json":
        json.loads(out)
    # without a buffer, the smallest budget is the one named, and one less is refused
    least = _need(capsys, log, "--token-budget", "5", "--format", fmt)
    assert least == need - 100
    assert _need(capsys, log, "--token-budget", least - 1, "--format", fmt) == least


def test_the_python_api_raises_a_usage_error_for_a_budget_below_the_header(tmp_path):
    from tokopt_pipeline import api
    from tokopt_pipeline.lib.engine.budget import BudgetTooSmall
    from tokopt_pipeline.lib.errors import EXIT_USAGE

    log = tmp_path / "t.log"
    log.write_text(SESSION)
    with pytest.raises(BudgetTooSmall) as exc:
        api.process_logs({"log_file": str(log), "output_dir": str(tmp_path / "out"), "token_budget": 100, "token_buffer": 100})
    assert exc.value.exit_code == EXIT_USAGE and exc.value.need > 0
    assert f"--token-budget {exc.value.need + 100:,} or more with --token-buffer 100" in str(exc.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing half-written


def test_mcp_get_summary_answers_a_budget_below_the_header_with_an_error(tmp_path):
    from tokopt_pipeline.mcp_server import summary_of
    from tokopt_pipeline_tests.lib.memory.test_memory import store_at, summarize_and_remember

    log = tmp_path / "t.log"
    log.write_text(SESSION)
    store = store_at(tmp_path)
    _, run, _ = summarize_and_remember(store, log)
    from tokopt_pipeline.lib.engine.budget import BudgetTooSmall

    # The tool answers it as an error (a TokoptError becomes the tool's error message).
    with pytest.raises(BudgetTooSmall, match=r"use --token-budget \d+ or more"):
        summary_of(store, str(log), 10)
    assert "3 failing tests" in summary_of(store, str(log), 400)


# -- one log holding the same session many times ----------------------------------------
def test_identical_runs_are_shown_once_with_their_count_and_their_tests_named(tmp_path):
    log = tmp_path / "t.log"
    log.write_text(SESSION * 100)
    n = len(SESSION.splitlines())
    for fmt in ("markdown", "text"):
        s = summarize(str(log), SummaryOptions(token_budget=1500, fmt=fmt))
        assert s.tokens_out <= 1500
        # was: 80 identical totals lines, and 2 of the 3 failing tests only counted
        assert s.text.count("3 failed, 47 passed in 0.52s") == 1
        assert "×100 " in s.text and f"(lines {n}–{100 * n})" in s.text
        for name in ("test_two", "test_five", "test_eight"):
            assert name in s.text
        assert "Failing tests (3, each in 100 runs)" in s.text or "FAILING TESTS (3, EACH IN 100 RUNS)" in s.text
        assert s.critical_omitted == 0
    doc = json.loads(summarize(str(log), SummaryOptions(token_budget=1500, fmt="json")).text)
    runs = next(sec for sec in doc["sections"] if sec["name"] == "runs")["items"]
    assert runs == [{"line": n, "last_line": 100 * n, "runs": 100, "runner": "pytest", "totals": "3 failed, 47 passed in 0.52s"}]
    tests = next(sec for sec in doc["sections"] if sec["name"] == "tests")
    assert tests["each_in_runs"] == 100


def test_a_test_is_tagged_with_the_runs_it_failed_in_when_runs_differ(tmp_path):
    other = SESSION.replace("FAILED tests/test_b.py::test_eight - ValueError: bad value 8\n", "").replace(
        "3 failed, 47 passed", "2 failed, 48 passed")
    log = tmp_path / "t.log"
    log.write_text(SESSION * 3 + other * 2)
    s = summarize(str(log), SummaryOptions(token_budget=3000))
    assert "- ×3 `=== 3 failed, 47 passed in 0.52s ===`" in s.text
    assert "- ×2 `=== 2 failed, 48 passed in 0.52s ===`" in s.text
    assert re.search(r"test_two`? \[in 5 runs, E\d\]", s.text), s.text
    assert re.search(r"test_eight`? \[in 3 runs\]", s.text), s.text


def test_identical_totals_of_any_runner_are_merged(tmp_path):
    cargo = ("running 3 tests\ntest a ... ok\ntest b ... FAILED\ntest c ... ok\n\nfailures:\n    b\n\n"
             "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n")
    log = tmp_path / "t.log"
    log.write_text(cargo * 40)
    s = summarize(str(log), SummaryOptions(token_budget=2000))
    assert s.text.count("test result: FAILED. 2 passed; 1 failed") == 1, s.text
    assert "×40 " in s.text


GTEST = """[==========] Running 3 tests from 1 test suite.
[ RUN      ] ParserTest.A
[       OK ] ParserTest.A (0 ms)
[ RUN      ] ParserTest.B
/src/parser_test.cc:12: Failure
[  FAILED  ] ParserTest.B (0 ms)
[==========] 3 tests from 1 test suite ran. (1 ms total)
[  PASSED  ] 2 tests.
[  FAILED  ] 1 test, listed below:
[  FAILED  ] ParserTest.B

 1 FAILED TEST
"""


def test_a_run_of_several_totals_lines_counts_once_and_a_wrapping_run_not_at_all(tmp_path):
    log = tmp_path / "t.log"
    log.write_text(GTEST * 3)  # four totals lines per run, the failing test listed between them
    s = summarize(str(log), SummaryOptions(token_budget=2000))
    assert "Failing tests (1, each in 3 runs)" in s.text, s.text
    assert "- ×3 `[  FAILED  ] 1 test, listed below:`" in s.text
    # ctest around two different gtest runs lists the failures again after its own totals
    wrapped = GTEST + GTEST.replace("ParserTest.B", "ParserTest.C") + (
        "50% tests passed, 2 tests failed out of 4\n\nThe following tests FAILED:\n"
        "\t  2 - ParserTest.B (Failed)\n\t  3 - ParserTest.C (Failed)\n")
    log.write_text(wrapped)
    s = summarize(str(log), SummaryOptions(token_budget=2000))
    assert "runs]" not in s.text and "each in" not in s.text, s.text



def test_a_log_shorter_than_its_summary_reports_no_reduction_and_counts_in_the_singular(tmp_path):
    log = tmp_path / "one.log"
    log.write_text("error: disk full\n")
    text = summarize(str(log), SummaryOptions(token_budget=1000)).text
    assert "· 1 line · 17 bytes ·" in text
    assert "reduction none (the log is shorter than its summary)" in text and "reduction -" not in text
