"""The renderer's own rules: when a line is shown as it was, in what order templates
come, and that every format stays within its budget and counts what it leaves out."""

from __future__ import annotations

import json

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
@pytest.mark.parametrize("budget", [60, 200, 800, 3000])
def test_every_format_within_budget_and_every_failure_shown_or_counted(tmp_path, fmt, budget):
    log = tmp_path / "t.log"
    log.write_text(LOG)
    s = summarize(str(log), SummaryOptions(token_budget=budget, fmt=fmt))
    assert s.tokens_out == tok.count(s.text) <= budget
    assert s.critical_shown + s.critical_omitted == s.analysis.critical_units
    if fmt == "json" and budget >= 200:
        json.loads(s.text)  # whole JSON, never cut
