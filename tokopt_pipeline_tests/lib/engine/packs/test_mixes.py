"""Property: for random mixes of real excerpts of every ecosystem's logs (one job log
runs several tools), every failing test a pack recognizes is shown or counted in an
omission line, every critical event is accounted for, and the summary is never over
budget."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.conftest import TESTS

pytestmark = pytest.mark.slow  # every ecosystem log summarized (5 s)

DATA = TESTS / "data" / "ecosystems"
LOGS = {p.parent.name: p.read_text(encoding="utf-8", errors="replace").splitlines() for p in sorted(DATA.glob("*/job.log"))}


@st.composite
def excerpt(draw):
    name = draw(st.sampled_from(sorted(LOGS)))
    lines = LOGS[name]
    size = draw(st.integers(20, 400))
    start = draw(st.integers(0, max(0, len(lines) - size)))
    return lines[start:start + size]


@st.composite
def mixes(draw):
    return [line for part in draw(st.lists(excerpt(), min_size=1, max_size=6)) for line in part]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _strings(v)]
    if isinstance(value, list):
        return [x for v in value for x in _strings(v)]
    return []


def _omitted(text: str, fmt: str) -> int:
    if fmt == "json":
        return json.loads(text).get("omitted", {}).get("tests", 0)
    m = re.search(r"… (\d+) more failing tests? not shown", text)
    return int(m.group(1)) if m else 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=mixes(), budget=st.integers(200, 12000), fmt=st.sampled_from(["markdown", "json"]))
def test_every_recognized_failure_is_shown_or_counted_and_the_budget_holds(lines, budget, fmt):
    # A fixed relative path: the header quotes it, and a random name's tokens would make
    # a failing example impossible to replay.
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            Path("mix.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
            s = summarize("mix.log", SummaryOptions(token_budget=budget, fmt=fmt))
        finally:
            os.chdir(cwd)
    assert s.tokens_out == tok.count(s.text) <= budget
    a = s.analysis
    assert s.critical_shown + s.critical_omitted == a.critical_units
    # JSON: the strings as a reader of the JSON sees them (a quote in a test id is \" in the text)
    text = s.text if fmt == "markdown" else "\n".join(_strings(json.loads(s.text)))
    shown = sum(1 for t in a.tests.values() if (t.test_id in text or t.name in text))
    assert shown + _omitted(s.text, fmt) >= len(a.tests)
    assert s.critical_omitted >= len(a.tests) - shown
