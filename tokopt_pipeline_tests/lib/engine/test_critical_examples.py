"""Critical lines that share one template keep their distinct content.

Five fatal lines that differ only in a test name collapse into one template (``×5``);
with room in the budget the summary still shows all five real lines, and at a tight
budget the count stays exact and the summary within budget.
"""

from __future__ import annotations

import json

import pytest

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.model import MAX_EXAMPLES
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions

NAMES = ["test_alpha_checkout", "test_bravo_refund", "test_charlie_login", "test_delta_upload", "test_echo_search"]


def _json_lines_log(path):
    lines = []
    for i in range(200):
        lines.append(json.dumps({"ts": f"2024-05-01T13:{i % 60:02d}:00Z", "level": "info", "logger": "svc.orders", "msg": f"processed order {1000 + i}"}))
        if i % 40 == 7:
            name = NAMES[i // 40]
            lines.append(json.dumps({"ts": f"2024-05-01T13:{i % 60:02d}:30Z", "level": "fatal", "logger": "svc.tests", "msg": f"test {name} failed"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _plain_log(path):
    lines = []
    for i in range(200):
        lines.append(f"2024-05-01 13:{i % 60:02d}:00,123 INFO svc.orders: processed order {1000 + i}")
        if i % 40 == 7:
            name = NAMES[i // 40]
            lines.append(f"2024-05-01 13:{i % 60:02d}:30,456 FATAL svc.tests: test {name} failed: database unreachable after 3 retries")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


LOGS = {"json-lines": _json_lines_log, "plain": _plain_log}


@pytest.mark.parametrize("shape", sorted(LOGS))
def test_one_critical_template_keeps_its_distinct_lines(tmp_path, shape):
    log = LOGS[shape](tmp_path / f"{shape}.log")
    a = analyze(str(log), SummaryOptions())
    crit = a.critical_templates
    assert len(crit) == 1, [t.template for t in crit]
    t = crit[0]
    assert t.count == 5
    assert "<*>" in t.template
    assert len(t.examples) == MAX_EXAMPLES
    assert [n for n in NAMES if any(n in x for x in t.examples)] == NAMES
    assert t.example == t.examples[0]
    # Non-critical templates keep one example only.
    assert all(not s.examples for s in a.templates.values() if s.level > 1)


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
@pytest.mark.parametrize("shape", sorted(LOGS))
def test_roomy_budget_shows_every_distinct_critical_line(tmp_path, shape, fmt):
    log = LOGS[shape](tmp_path / f"{shape}.log")
    s = summarize(str(log), SummaryOptions(token_budget=8000, fmt=fmt))
    assert s.tokens_out <= 8000 and s.tokens_out == tok.count(s.text)
    for name in NAMES:
        assert name in s.text, (name, s.text)
    assert "×5" in s.text or '"count":5' in s.text
    assert s.critical_shown == 5 and s.critical_omitted == 0


@pytest.mark.parametrize("shape", sorted(LOGS))
def test_tight_budget_keeps_the_exact_count(tmp_path, shape):
    log = LOGS[shape](tmp_path / f"{shape}.log")
    roomy = summarize(str(log), SummaryOptions(token_budget=8000))
    for budget in (150, 200, 260):
        s = summarize(str(log), SummaryOptions(token_budget=budget))
        assert s.tokens_out <= budget and s.tokens_out == tok.count(s.text)
        assert s.critical_shown + s.critical_omitted == s.analysis.critical_units == 5
        if s.critical_shown:
            assert "×5" in s.text
        else:
            assert "5 more critical lines" in s.text or "(5 lines) not shown" in s.text, s.text
        assert s.tokens_out < roomy.tokens_out
