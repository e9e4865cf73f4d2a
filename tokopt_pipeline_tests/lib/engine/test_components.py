"""Component budgets: each component within its own budget, the total within the token budget."""

from __future__ import annotations

import json
import random
import re

import pytest

from tokopt_pipeline.cli import main
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.components import Splitter, detect_mode, match_key

STEPS = ["api tests", "frontend build", "database migrations", "docs"]


def _actions_log(path, lines_per_step=1500):
    r = random.Random(3)
    out = ["2024-05-01T10:00:00.0000000Z Current runner version: '2.317.0'"]
    failing = []
    for step in STEPS:
        out.append(f"2024-05-01T10:01:00.0000000Z ##[group]Run {step}")
        out.append("2024-05-01T10:01:00.0000000Z ##[endgroup]")
        for i in range(lines_per_step):
            out.append(f"2024-05-01T10:01:00.0000000Z {step} item {r.randrange(10**6)} step {i} value {r.random():.5f} ok")
        for k in range(3):
            name = f"tests/test_{step.split()[0]}.py::test_{step.split()[0]}_{k}"
            failing.append(name)
            out.append(f"2024-05-01T10:01:00.0000000Z {name} FAILED")
            out.append(f"2024-05-01T10:01:00.0000000Z ##[error]{step} failure {k}: ValueError: bad value {r.randrange(10**9)}")
    out.append("2024-05-01T10:09:00.0000000Z ##[error]Process completed with exit code 1.")
    path.write_text("\n".join(out) + "\n")
    return failing


def _sections(text):
    parts = re.split(r"(?m)^(?=## Component: )", text)
    return {re.match(r"## Component: (\S+)", p).group(1): p for p in parts[1:]}


@pytest.mark.slow
def test_each_component_is_within_its_budget_and_the_total_within_the_token_budget(tmp_path, capsys):
    log = tmp_path / "ci.log"
    failing = _actions_log(log)
    out = tmp_path / "s.md"
    budgets = {"api": 900, "frontend": 700, "database": 600, "misc": 500}
    rc = main([str(log), "--component-budgets", json.dumps(budgets), "--token-budget", "3000", "--output", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "components (by step)" in printed
    text = out.read_text()
    assert tok.count(text) <= 3000
    secs = _sections(text)
    assert set(secs) == set(budgets)
    for key, body in secs.items():
        assert tok.count(body) <= budgets[key], key
    # misc took the steps no key names: docs and the checkout prelude
    assert "Run docs" in secs["misc"]
    for name in failing:
        assert name.split("::")[-1] in text, name


def test_budgets_over_the_total_are_scaled_and_still_honoured(tmp_path, capsys):
    log = tmp_path / "ci.log"
    _actions_log(log, 400)
    out = tmp_path / "s.md"
    rc = main([str(log), "--component-budgets", '{"api": 3000, "frontend": 3000}', "--token-budget", "2000", "--output", str(out)])
    assert rc == 0
    text = out.read_text()
    assert tok.count(text) <= 2000
    assert "budgets scaled by" in text
    # steps named by no key still appear, with what is left of the total
    assert "## Component: other" in text


def test_json_format_with_component_budgets(tmp_path, capsys):
    log = tmp_path / "ci.log"
    _actions_log(log, 300)
    out = tmp_path / "s.json"
    rc = main([str(log), "--component-budgets", '{"api": 800, "misc": 800}', "--token-budget", "2000", "--format", "json", "--output", str(out)])
    assert rc == 0
    text = out.read_text()
    assert tok.count(text) <= 2000
    doc = json.loads(text)
    for c in doc["components"]:
        assert c["tokens"] <= c["budget"]
        assert tok.count(json.dumps(c["summary"], ensure_ascii=False, separators=(",", ":")) + "\n") <= c["budget"]


def test_component_budgets_must_be_json_of_positive_numbers(capsys):
    assert main(["x.log", "--component-budgets", '{"api": "lots"}']) == 2
    assert "budget of 'api' must be a whole number above 0" in capsys.readouterr().err


def test_split_by_logger_name():
    lines = [
        "2024-05-01 12:00:00,001 INFO app.api: started",
        "2024-05-01 12:00:00,002 ERROR app.db: connection lost",
        "Traceback (most recent call last):",
        '  File "db.py", line 3, in connect',
        "ConnectionError: refused",
        "2024-05-01 12:00:00,003 - app.cache - WARNING - slow",
        "INFO:app.worker:job done",
    ]
    assert detect_mode(lines) == "logger"
    sp = Splitter("logger")
    assert [sp.component(l) for l in lines] == ["app.api", "app.db", "app.db", "app.db", "app.db", "app.cache", "app.worker"]


def test_split_by_source_file():
    lines = [
        "tests/test_api.py::test_login PASSED",
        "src/api/views.py:12: error: Incompatible types",
        "  more detail",
        "FAILED tests/test_db.py::test_x - AssertionError",
    ]
    assert detect_mode(lines) == "file"
    sp = Splitter("file")
    assert [sp.component(l) for l in lines] == ["tests/test_api.py", "src/api/views.py", "src/api/views.py", "tests/test_db.py"]


def test_keys_match_exactly_then_by_glob_then_by_substring_then_catch_all():
    keys = ["api", "web-*", "misc"]
    assert match_key("API", keys) == "api"
    assert match_key("web-frontend", keys) == "web-*"
    assert match_key("Run api tests", keys) == "api"
    assert match_key("Run docs", keys) == "misc"
    assert match_key("Run docs", ["api"]) is None


@pytest.mark.slow
def test_the_python_api_honours_component_budgets_like_the_command(tmp_path, capsys, monkeypatch):
    """``process_logs`` and ``tokopt`` build their settings in one place: the same
    settings give the same summary (the API once dropped the component budgets)."""
    from tokopt_pipeline import process_logs

    monkeypatch.chdir(tmp_path)
    log = tmp_path / "ci.log"
    _actions_log(log)
    budgets = {"api": 900, "frontend": 700, "misc": 500}
    assert main([str(log), "--component-budgets", json.dumps(budgets), "--token-budget", "3000", "--output", "cli.md"]) == 0
    summary, path = process_logs({"log_file": str(log), "component_budgets": budgets, "token_budget": 3000, "output_dir": "api"})
    assert set(_sections(summary.text)) == set(budgets)
    assert summary.text == (tmp_path / "cli.md").read_text() == path.read_text()
    # a JSON text, as the command line gives it, reads the same
    again, _ = process_logs({"log_file": str(log), "component_budgets": json.dumps(budgets), "token_budget": 3000, "output_dir": "api"})
    assert again.text == summary.text


@pytest.mark.slow
def test_the_python_api_applies_a_preset_and_explicit_values_win(tmp_path, capsys, monkeypatch):
    from tokopt_pipeline import process_logs

    monkeypatch.chdir(tmp_path)
    log = tmp_path / "ci.log"
    _actions_log(log)
    assert main([str(log), "--preset", "max-compression", "--output", "cli.txt"]) == 0
    summary, _ = process_logs({"log_file": str(log), "preset": "max-compression", "output_dir": "api"})
    assert summary.fmt == "text" and summary.budget == 4000
    assert summary.text == (tmp_path / "cli.txt").read_text()
    mine, _ = process_logs({"log_file": str(log), "preset": "max-compression", "token_budget": 2500, "output_dir": "api2"})
    assert mine.budget == 2500 and mine.fmt == "text"


@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
@pytest.mark.slow  # a second or more on 2 cores
def test_at_every_budget_the_summary_is_whole_or_the_budget_is_refused(tmp_path, fmt):
    """A tight budget used to cut the composite at a token boundary: invalid JSON. Now
    parts without room are counted in one line, and a budget below the header and those
    lines is a usage error naming the smallest budget that works."""
    from tokopt_pipeline.lib.engine.budget import BudgetTooSmall
    from tokopt_pipeline.lib.engine.summarize import summarize
    from tokopt_pipeline.lib.settings.options import SummaryOptions

    log = tmp_path / "ci.log"
    failing = _actions_log(log, 200)
    needs = set()
    for budget in (1, 60, 150, 250, 350, 450, 600, 900, 1500, 3000):
        opts = SummaryOptions(token_budget=budget, fmt=fmt, component_budgets={"api": 300, "frontend": 300, "misc": 200})
        try:
            s = summarize(str(log), opts)
        except BudgetTooSmall as exc:
            assert exc.need > budget
            needs.add(exc.need)
            continue
        assert s.tokens_out == tok.count(s.text) <= budget
        if fmt == "json":
            doc = json.loads(s.text)
            for c in doc["components"]:
                assert "summary" in c and len(c["matched"]) <= 6
        # every failing test is named, or counted with its part
        assert s.critical_shown + s.critical_omitted >= len(failing)
    assert len(needs) == 1  # one smallest budget for this log and format ...
    need = needs.pop()
    s = summarize(str(log), SummaryOptions(token_budget=need, fmt=fmt, component_budgets={"api": 300, "frontend": 300, "misc": 200}))
    assert s.tokens_out <= need  # ... and it works
    if fmt == "json":
        json.loads(s.text)
