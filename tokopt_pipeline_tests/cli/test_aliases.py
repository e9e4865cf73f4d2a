"""The spec's command-like flags read as the commands they are; two at once refused."""

from __future__ import annotations

import pytest

from tokopt_pipeline.cli import main
from tokopt_pipeline.cli.aliases import rewrite
from tokopt_pipeline.cli.output import CommandUsageError


@pytest.mark.parametrize("argv, words", [
    (["build.log"], ["summarize", "build.log"]),
    (["--log-file", "t.log", "--store-memory", "--track-usage"], ["summarize", "--log-file", "t.log", "--store-memory", "--track-usage"]),
    (["--check-usage"], ["usage", "check"]),
    (["--analyze-memory"], ["memory", "analyze"]),
    (["--analyze-memory", "--memory-query", "TestRun"], ["memory", "analyze", "--query", "TestRun"]),
    (["--memory-query=TestRun"], ["memory", "query", "TestRun"]),
    (["--export-memory", "m.jsonl", "--store-path", "s.duckdb"], ["memory", "export", "m.jsonl", "--store-path", "s.duckdb"]),
    (["--validate-ci", "--fail-on-threshold=90", "--report-json=r.json"], ["ci", "validate", "--fail-on-threshold=90", "--report-json=r.json"]),
    (["--validate-ci", "docs", "src", "--token-budget", "100"], ["ci", "validate", "docs", "src", "--token-budget", "100"]),
    (["--from-report", "r.json", "--badge", "b.svg"], ["ci", "validate", "--from-report", "r.json", "--badge", "b.svg"]),
    (["ci.log", "--token-distribution", "--format", "json"], ["diagnose", "distribution", "ci.log", "--format", "json"]),
    (["--calibrate-token-model", "a.log", "b.log", "--profile", "pytest"], ["diagnose", "calibrate", "a.log", "b.log", "--profile", "pytest"]),
    (["--enable-monitoring", "--alert-email=a@example.com"], ["usage", "monitor", "--alert-email=a@example.com"]),
    (["x.log", "--enable-monitoring", "--alert-email=a@example.com"], ["summarize", "x.log", "--enable-monitoring", "--alert-email=a@example.com"]),
    (["--save-profile", "mine", "--preset", "monitoring"], ["config", "save", "mine", "--preset", "monitoring"]),
    (["x.log", "--save-profile", "mine"], ["summarize", "x.log", "--save-profile", "mine"]),
    # an option's value is not a log: --output - is no positional
    (["--output", "-", "--save-profile", "mine"], ["config", "save", "mine", "--output", "-"]),
])
def test_rewrite(argv, words):
    assert rewrite(argv) == words


def test_two_commands_at_once_are_a_usage_error(capsys):
    assert main(["--benchmark-simulation", "--check-usage"]) == 2
    err = capsys.readouterr().err
    assert "--benchmark-simulation and --check-usage are separate commands" in err
    assert "tokopt diagnose simulate" in err and "tokopt usage check" in err


def test_a_store_command_does_not_take_a_log(capsys):
    assert main(["build.log", "--check-usage"]) == 2
    assert "--check-usage is a command of its own (tokopt usage check)" in capsys.readouterr().err


def test_an_option_of_another_command_is_named(capsys):
    assert main(["memory", "analyze", "--token-budget", "5"]) == 2
    err = capsys.readouterr().err
    assert "No such option '--token-budget'" in err and "see tokopt memory analyze --help" in err


def test_an_alias_flag_needs_its_value():
    with pytest.raises(CommandUsageError, match="--export-memory needs a value"):
        rewrite(["--export-memory"])


def test_without_a_log_the_default_log_is_read_when_it_is_there(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    assert "test_output.log" in capsys.readouterr().err
    (tmp_path / "test_output.log").write_text("INFO start\nERROR boom: disk full\n")
    assert main(["--token-budget", "500", "--output", "s.md"]) == 0
    assert "ERROR boom: disk full" in (tmp_path / "s.md").read_text()
