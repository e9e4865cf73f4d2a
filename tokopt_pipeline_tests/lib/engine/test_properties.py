"""Properties of summarize() on random logs and budgets (hypothesis).

Whatever the log and the budget:

* the summary is never over budget, and ``tokens_out`` is its exact token count; or the
  budget cannot hold the header, and the usage error names the smallest budget that
  works (which then does);
* text from the log stays text: the Markdown renders no element from the log, plain
  text carries no control character, JSON is valid;
* every critical event (failing test, fatal line, crash) is shown or counted:
  ``critical_shown + critical_omitted == analysis.critical_units``, each failing
  test is named or covered by the "N more failing tests" line, and the fatal lines
  shown plus those the omission line counts add up to the fatal lines in the log.
"""

from __future__ import annotations

import json
import os
import re
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.budget import BudgetTooSmall
from tokopt_pipeline.lib.engine.quote import _HIDDEN
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.lib.engine.test_render_hostile import PAYLOADS, assert_inert

pytestmark = pytest.mark.slow  # property tests that summarize many generated logs

WORDS = ["alpha", "cache", "worker", "request", "session", "upload", "index", "queue", "shard", "replica"]
word = st.sampled_from(WORDS)
num = st.integers(0, 99999)


@st.composite
def noise(draw):
    kind = draw(st.sampled_from(["info", "info", "info", "debug", "warn"]))
    w1, w2, n = draw(word), draw(word), draw(num)
    if kind == "info":
        return [f"2025-01-02 10:{n % 60:02d}:00,123 INFO {w1}: processed {n} items for {w2}"]
    if kind == "debug":
        return [f"2025-01-02 10:{n % 60:02d}:00,123 DEBUG {w1}: state {w2}={n}"]
    return [f"2025-01-02 10:{n % 60:02d}:00,123 WARNING {w1}: slow {w2} took {n} ms"]


@st.composite
def failing_test(draw):
    mod, name, n = draw(word), draw(word), draw(num)
    return [f"FAILED tests/test_{mod}.py::test_{name}_{n} - AssertionError: expected {n} {name} got {n + 1}"]


@st.composite
def fatal(draw):
    w, n = draw(word), draw(num)
    return [f"2025-01-02 10:00:00,000 FATAL {w}-{n % 7}: unrecoverable state in {w} shard {n}"]


@st.composite
def traceback(draw):
    w, n = draw(word), draw(num)
    depth = draw(st.integers(1, 4))
    lines = ["Traceback (most recent call last):"]
    for i in range(depth):
        lines += [f'  File "/srv/app/{w}_{i}.py", line {n % 500 + i}, in handle_{w}', f"    return step_{i}({w})"]
    lines.append(f"{draw(st.sampled_from(['ValueError', 'KeyError', 'RuntimeError']))}: bad {w} value {n}")
    return lines


#: Characters that mean something to Markdown or HTML, for test ids (no space, no "]").
MARKUP = "<>&`*_[(!#|~\\'\"=:/$@{}^"


@st.composite
def hostile(draw):
    """A failing test whose id and message are markup, and log lines of injection
    payloads and of any printable text (bidi and zero-width characters included)."""
    w, payload = draw(word), draw(st.sampled_from(PAYLOADS))
    # ("^[" starts a terminal escape written in caret notation, "^[[31m", which the
    # reader removes as markup: an id holding one is not kept as it was.)
    tid = draw(st.text(alphabet=MARKUP + "ab1", min_size=1, max_size=12).filter(lambda t: "^[" not in t))
    junk = draw(st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30))
    return [f"FAILED tests/test_{w}.py::test_{w}[{tid}] - ValueError: {payload}",
            f"2025-01-02 10:00:00,000 ERROR {w}: {payload} {junk}", payload]


block = st.one_of(noise(), noise(), noise(), failing_test(), fatal(), traceback(), hostile())


@st.composite
def logs(draw):
    blocks = draw(st.lists(block, min_size=1, max_size=120))
    return [line for b in blocks for line in b]


def _write(lines: list[str]) -> str:
    fd, path = tempfile.mkstemp(suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def summarize_within(path: str, opts: SummaryOptions):
    """The summary at ``opts``' budget; when that budget cannot hold the header, the
    error names the smallest budget that works, and the summary at that budget."""
    try:
        return summarize(path, opts)
    except BudgetTooSmall as exc:
        assert exc.need > opts.effective_budget == exc.budget
        assert f"--token-budget {exc.need:,} or more" in exc.message
        opts.token_budget = exc.need
        s = summarize(path, opts)
        assert s.tokens_out <= exc.need
        return s


def assert_text_stays_text(text: str, fmt: str) -> None:
    if fmt == "markdown":
        assert_inert(text)
    elif fmt == "json":
        json.loads(text)
    assert not _HIDDEN.search(text)


def _omitted_tests(text: str, fmt: str) -> int:
    if fmt == "json":
        return json.loads(text).get("omitted", {}).get("tests", 0)
    m = re.search(r"… (\d+) more failing tests? not shown", text)
    return int(m.group(1)) if m else 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=logs(), budget=st.integers(50, 20000), fmt=st.sampled_from(["markdown", "json", "text"]))
def test_never_over_budget_and_every_critical_event_shown_or_counted(lines, budget, fmt):
    path = _write(lines)
    try:
        s = summarize_within(path, SummaryOptions(token_budget=budget, fmt=fmt))
    finally:
        os.unlink(path)
    assert s.tokens_out == tok.count(s.text) <= s.budget
    assert_text_stays_text(s.text, fmt)
    a = s.analysis
    assert s.critical_shown + s.critical_omitted == a.critical_units
    # Failing tests: named, or counted by the omission line.
    names = {m.group(1) for line in lines if (m := re.match(r"FAILED (\S+) - ", line))}
    assert set(a.tests) == names
    if fmt == "json":
        doc = json.loads(s.text)
        named = {t for sec in doc["sections"] if sec["name"] == "tests" for f in sec["items"] for t in f["tests"]}
        shown = sum(1 for n in names if any(n.split("::")[-1] in t for t in named))
    else:
        shown = sum(1 for n in names if n.split("::")[-1] in s.text)
    assert shown + _omitted_tests(s.text, fmt) >= len(names)
    assert s.critical_omitted >= len(names) - shown
    # Fatal lines: every one is critical and accounted for in the critical units.
    fatal_lines = sum(1 for line in lines if " FATAL " in line)
    assert sum(t.count for t in a.critical_templates) == fatal_lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_tests=st.integers(1, 400), budget=st.integers(50, 3000))
def test_many_failures_in_a_small_budget_are_counted_exactly(n_tests, budget):
    lines = [f"FAILED tests/test_mod{i % 9}.py::test_case_{i} - AssertionError: value {i} differs" for i in range(n_tests)]
    path = _write(["collected 500 items", *lines, f"=== {n_tests} failed, 3 passed in 1.20s ==="])
    try:
        s = summarize_within(path, SummaryOptions(token_budget=budget))
    finally:
        os.unlink(path)
    assert s.tokens_out == tok.count(s.text) <= s.budget
    shown = sum(1 for i in range(n_tests) if re.search(rf"\btest_case_{i}\b", s.text))
    omitted = _omitted_tests(s.text, "markdown")
    assert shown + omitted == n_tests, (shown, omitted)
    assert s.critical_shown + s.critical_omitted == s.analysis.critical_units == n_tests
