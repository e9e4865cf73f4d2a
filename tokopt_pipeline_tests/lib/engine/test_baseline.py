"""The baseline (what the last green run had too): matching, demotion and its count.

On real suites that passed and then failed (data/baseline/, see SOURCE.md there), a
summary with the passing run as its baseline still shows every failing test and every
error of the failing run, says how many lines it demoted (exactly the lines of the
templates it marked), and spends less on what the passing run had; on random logs and
random baselines, no critical event vanishes without being counted and no summary is
over budget.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import baseline
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.budget import BudgetTooSmall
from tokopt_pipeline.lib.engine.reader import _ANSI, _CARET_ANSI
from tokopt_pipeline.lib.engine.render import summarize_analysis
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.engine.templates import mask_series
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.conftest import DATA
from tokopt_pipeline_tests.lib.engine.test_properties import logs

SUITES = DATA / "baseline"
NAMES = ("pytest", "go", "cargo", "node")


def pair(name: str) -> tuple[Path, Path]:
    return SUITES / f"{name}-pass.log", SUITES / f"{name}-fail.log"


# -- matching ------------------------------------------------------------------------
def test_a_line_matches_the_template_the_passing_run_generalized():
    b = baseline.Baseline.of_texts(["<*> PASSED <*>", "collected <*> items"], shapes=["3:0,2", "3:1"])
    assert b.matches("tests/a.py::test_x PASSED <*>".split())
    assert b.matches("collected 12 items".split())
    assert not b.matches("tests/a.py::test_x FAILED <*>".split())
    assert not b.matches("collected <*> tests".split())


def test_a_template_of_wildcards_only_matches_nothing():
    b = baseline.Baseline.of_texts(["<*> <*>", "<*> ok"], shapes=["2:0"])
    assert not b.matches(["<*>", "<*>"])
    assert b.matches(["x", "ok"])
    assert baseline.fingerprint("<*> <*>") not in b.fingerprints


def test_fingerprints_are_stable_and_round_trip():
    assert baseline.fingerprint("job <*> done") == baseline.fingerprint("job <*> done")
    assert baseline.fingerprint("job <*> done") != baseline.fingerprint("job <*> failed")
    b = baseline.Baseline.of_texts(["a <*> b"], shapes=["3:1"], errors=["ValueError|bad N"], label="x.log")
    again = baseline.Baseline.from_payload(json.loads(json.dumps(b.payload())))
    assert again == b and again.has_error("ValueError|bad N")


# -- on real suites that passed, then failed -----------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_failure_stays_and_the_count_is_right(name):
    passing, failing = pair(name)
    opts = SummaryOptions(token_budget=2000)
    plain = summarize(str(failing), opts)
    s = summarize(str(failing), SummaryOptions(token_budget=2000, baseline_log=str(passing)))
    a = s.analysis
    assert a.tests, "the failing run has failing tests"
    assert s.tokens_out == tok.count(s.text) <= 2000
    # Every failing test is named, every error raised by a test is shown, none demoted.
    for t in a.tests.values():
        assert t.test_id in s.text or t.name in s.text, t.test_id
    for g in a.groups.values():
        if g.tests:
            assert not g.in_baseline
            assert g.message[:40] in s.text or (g.exc_type or "") in s.text
    assert s.critical_omitted == plain.critical_omitted == 0
    assert s.critical_shown + s.critical_omitted == a.critical_units
    # The count: the lines of the templates marked, stated in the header.
    demoted = [t for t in a.templates.values() if t.in_baseline]
    assert demoted, "the failing run shares lines with the passing one"
    lines = sum(t.count for t in demoted)
    assert a.baseline["lines"] == lines
    assert f"**baseline**: {lines:,} lines" in s.text and "also in the last green run (" + passing.name + ")" in s.text
    # What the passing run did not have is never marked.
    green = _templates(passing)
    for t in a.templates.values():
        if not t.in_baseline:
            continue
        assert t.template in green or any(_generalizes(g, t) for g in green), t.template


def _templates(path: Path) -> set[str]:
    a = analyze(str(path), SummaryOptions())
    return {t.template for t in a.templates.values()}


def _generalizes(green: str, t) -> bool:
    """``green`` (a template of the passing run) covers template ``t``'s text or its
    example line (masked)."""
    g = green.split()
    example = str(mask_series(pl.Series([t.example]))[0])
    for words in (t.template.split(), example.split()):
        if len(words) == len(g) and all(x == "<*>" or x == y for x, y in zip(g, words, strict=True)):
            return True
    return False


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_the_count_is_said_in_every_format(fmt):
    passing, failing = pair("pytest")
    s = summarize(str(failing), SummaryOptions(token_budget=2000, fmt=fmt, baseline_log=str(passing)))
    lines = s.analysis.baseline["lines"]
    assert isinstance(lines, int) and lines > 500
    if fmt == "json":
        doc = json.loads(s.text)
        assert doc["baseline"]["demoted_lines"] == lines
        assert doc["baseline"]["demoted_tokens_estimated"] == s.analysis.baseline["tokens"] > 0
    else:
        label = "baseline" if fmt == "text" else "**baseline**"
        assert re.search(rf"^- {re.escape(label)}: {lines:,} lines \(≈[\d,]+ tokens\) also in the last green run", s.text, re.M)


def test_green_lines_get_fewer_tokens_and_new_ones_keep_their_detail():
    passing, failing = pair("go")
    without = summarize(str(failing), SummaryOptions(token_budget=2000))
    s = summarize(str(failing), SummaryOptions(token_budget=2000, baseline_log=str(passing)))
    # The panic's traceback (new in the failing run) is shown whole either way.
    assert "tax.go:15" in s.text and "tax.go:15" in without.text
    # The passing run's log lines: shown without detail, and fewer of them.
    assert s.tokens_out < without.tokens_out
    for t in s.analysis.templates.values():
        if t.in_baseline and t.example in s.text:
            assert f"e.g. `{t.example}`" not in s.text
    # What did not fit is counted by its section's omission line.
    assert re.search(r"… \d+ more templates? \([\d,]+ lines\) not shown", s.text)


def test_an_error_the_green_run_had_is_demoted_but_counted(tmp_path):
    tb = ["Traceback (most recent call last):", '  File "/srv/app/cache.py", line 3, in warm',
          "    return load()", "ConnectionError: cache warmup failed on shard 3"]
    new = ["Traceback (most recent call last):", '  File "/srv/app/pay.py", line 9, in charge',
           "    return gateway()", "TimeoutError: payment gateway did not answer"]
    noise = [f"INFO worker {i}: processed {i * 7} items for queue alpha" for i in range(300)]
    (tmp_path / "pass.log").write_text("\n".join(noise[:150] + tb + noise[150:]) + "\n")
    (tmp_path / "fail.log").write_text("\n".join(noise[:100] + tb + new + noise[100:]) + "\n")
    s = summarize(str(tmp_path / "fail.log"), SummaryOptions(token_budget=400, baseline_log=str(tmp_path / "pass.log")))
    groups = {g.exc_type: g for g in s.analysis.groups.values()}
    assert groups["ConnectionError"].in_baseline and not groups["TimeoutError"].in_baseline
    assert s.analysis.baseline["errors"] == 1
    text = s.text
    assert "TimeoutError: payment gateway did not answer" in text
    # The old error: listed after the new one (E2), or counted in the errors' omission line.
    if "ConnectionError" in text:
        assert text.index("TimeoutError") < text.index("ConnectionError")
    else:
        assert re.search(r"… 1 more distinct error \(1 occurrences\) not shown", text)
    assert s.tokens_out <= 400


def test_marks_are_the_only_difference(tmp_path):
    """A baseline taken off leaves the summary as it would be without one."""
    passing, failing = pair("node")
    opts = SummaryOptions(token_budget=1500)
    a = analyze(str(failing), opts)
    before = summarize_analysis(a, opts).text
    baseline.apply(a, baseline.of_log(str(passing), opts))
    assert summarize_analysis(a, opts).text != before
    baseline.clear(a)
    assert summarize_analysis(a, opts).text == before


def test_a_passing_run_is_one_without_failures():
    passing, failing = pair("pytest")
    assert baseline.passed(analyze(str(passing), SummaryOptions()))
    assert not baseline.passed(analyze(str(failing), SummaryOptions()))


# -- random logs, random baselines ------------------------------------------------------
def _write(lines: list[str]) -> str:
    fd, path = tempfile.mkstemp(suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=logs(), green=logs(), share=st.floats(0, 1), budget=st.integers(50, 8000),
       fmt=st.sampled_from(["markdown", "json", "text"]))
def test_no_critical_event_vanishes_uncounted(lines, green, share, budget, fmt):
    # The passing log: some of this log's own lines and some others.
    passing = lines[: int(len(lines) * share)] + green
    path, base = _write(lines), _write(passing)
    try:
        s = summarize(path, SummaryOptions(token_budget=budget, fmt=fmt, baseline_log=base))
    except BudgetTooSmall as exc:  # a budget below the header is refused, naming one that works
        assert exc.need > budget
        return
    finally:
        os.unlink(path)
        os.unlink(base)
    assert s.tokens_out == tok.count(s.text) <= budget
    a = s.analysis
    assert s.critical_shown + s.critical_omitted == a.critical_units
    # Failing tests are never demoted: named, or counted by the omission line.
    # as the engine reads them: the reader removes ANSI escapes, caret notation (^[[...) too
    read = [_CARET_ANSI.sub("", _ANSI.sub("", line)) for line in lines]
    names = {m.group(1) for line in read if (m := re.match(r"FAILED (\S+) - ", line))}
    assert set(a.tests) == names
    if fmt == "json" and names and s.text.lstrip().startswith("{"):
        doc = json.loads(s.text)
        named = {t for sec in doc.get("sections", []) if sec["name"] == "tests" for f in sec["items"] for t in f["tests"]}
        shown = sum(1 for n in names if any(n.split("::")[-1] in t for t in named))
        omitted = doc.get("omitted", {}).get("tests", 0)
    else:
        shown = sum(1 for n in names if n.split("::")[-1] in s.text)
        m = re.search(r"… (\d+) more failing tests? not shown", s.text)
        omitted = int(m.group(1)) if m else 0
    assert shown + omitted >= len(names)
    # Whatever the baseline demoted is counted: the marks and the count agree.
    assert a.baseline["lines"] == sum(t.count for t in a.templates.values() if t.in_baseline)
    assert all(not g.in_baseline for g in a.groups.values() if g.tests)
