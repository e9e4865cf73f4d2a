"""Nonsense on the command line gets a clear message and a documented exit code, never a
traceback: bad option values, unreadable --component-budgets files, a closed stdout;
and with --format json, stdout holds nothing but JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tokopt_pipeline.lib.errors import EXIT_PIPE, EXIT_USAGE
from tokopt_pipeline_tests.conftest import NUMPY_LOG, tokopt
from tokopt_pipeline_tests.test_cli import APP_LOG


@pytest.fixture
def app_log(tmp_path):
    p = tmp_path / "app.log"
    p.write_text(APP_LOG)
    return p


def refused(done: subprocess.CompletedProcess, *phrases: str) -> None:
    err = done.stderr.decode()
    assert done.returncode == EXIT_USAGE, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, err


@pytest.mark.parametrize(("args", "phrases"), [
    (["report", "--html", "r.html", "--top", "-1"], ["'--top': -1 is not in the range 1<=x<=1000"]),
    (["report", "--html", "r.html", "--days", "100000000"], ["'--days': 100000000 is not in the range 1<=x<=36500"]),
    (["report", "--html", "r.html", "--days", "0"], ["'--days'"]),
    (["app.log", "--token-budget", "inf"], ["'--token-budget': expected a whole number, got 'inf'"]),
    (["app.log", "--token-budget", "99999999999999999999"], ["'--token-budget': expected a whole number from 1 to 1,000,000,000"]),
    (["app.log", "--token-buffer", "-5"], ["'--token-buffer': expected a whole number from 0"]),
    (["app.log", "--max-log-size", "inf"], ["'--max-log-size': expected a number above 0"]),
    (["app.log", "--max-log-size", "nan"], ["'--max-log-size'"]),
    (["app.log", "--max-logs", "0"], ["'--max-logs'"]),
    (["app.log", "--chunk-size", "0"], ["'--chunk-size'"]),
    (["app.log", "--parallel-workers", "100000"], ["'--parallel-workers': expected a whole number from 1 to 1,024"]),
    (["app.log", "--max-traceback-lines", "-1"], ["'--max-traceback-lines'"]),
    (["app.log", "--min-compression", "100"], ["'--min-compression': expected a percentage from 0 to below 100"]),
    (["app.log", "--target-tokens", "0"], ["'--target-tokens'"]),
    (["app.log", "--enable-monitoring", "--alert-email", "a@b.c", "--warning-threshold", "nan"], ["'--warning-threshold'"]),
    (["ci", "validate", "app.log", "--fail-on-threshold", "inf"], ["'--fail-on-threshold'"]),
    (["diagnose", "simulate", "--simulation-size", "1e9"], ["'--simulation-size': expected a size in MB above 0 and at most 1024"]),
])
def test_a_nonsensical_option_value_is_a_usage_error(app_log, tmp_path, args, phrases):
    refused(tokopt(*args, cwd=tmp_path), *phrases)
    assert not (tmp_path / "logs").exists() and not (tmp_path / "r.html").exists()


@pytest.mark.slow  # a second or more on 2 cores
def test_an_unreadable_component_budgets_file_is_a_usage_error(app_log, tmp_path):
    (tmp_path / "folder").mkdir()
    refused(tokopt(app_log.name, "--component-budgets", "folder", cwd=tmp_path), "folder is a folder; give a JSON file or JSON text")
    (tmp_path / "loop.json").symlink_to("loop.json")
    refused(tokopt(app_log.name, "--component-budgets", "loop.json", cwd=tmp_path), "cannot read loop.json: Too many levels of symbolic links")
    (tmp_path / "bad.json").write_text('{"api": 100')
    refused(tokopt(app_log.name, "--component-budgets", "bad.json", cwd=tmp_path), "bad.json: not valid JSON")
    (tmp_path / "latin1.json").write_bytes(b'{"caf\xe9": 100}')
    refused(tokopt(app_log.name, "--component-budgets", "latin1.json", cwd=tmp_path), "latin1.json is not UTF-8 text")
    (tmp_path / "list.json").write_text("[1, 2]")
    refused(tokopt(app_log.name, "--component-budgets", "list.json", cwd=tmp_path), "list.json: expected a JSON object")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_component_budgets_file_without_permission_is_a_usage_error(app_log, tmp_path):
    secret = tmp_path / "budgets.json"
    secret.write_text('{"api": 100}')
    secret.chmod(0)
    refused(tokopt(app_log.name, "--component-budgets", "budgets.json", cwd=tmp_path), "cannot read budgets.json: Permission denied")


def _closed_stdout(*args: str, cwd) -> subprocess.CompletedProcess:
    """``tokopt ARGS | true``: the reader is gone before tokopt writes."""
    r, w = os.pipe()
    os.close(r)
    try:
        return subprocess.run([sys.executable, "-m", "tokopt_pipeline", *args], cwd=cwd, stdout=w, stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(w)


@pytest.mark.parametrize("args", [
    ["numpy_pytest.log", "--output", "-", "--no-store"],
    ["numpy_pytest.log", "--no-store"],
    ["numpy_pytest.log", "--token-distribution", "--format", "json", "--no-store"],
    ["--help"],
    ["summarize", "--help-all"],
])
def test_a_closed_stdout_ends_quietly_with_141(tmp_path, args):
    (tmp_path / "numpy_pytest.log").write_bytes(NUMPY_LOG.read_bytes())
    done = _closed_stdout(*args, cwd=tmp_path)
    err = done.stderr.decode()
    assert done.returncode == EXIT_PIPE, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


@pytest.mark.slow  # a second or more on 2 cores
def test_json_output_leaves_stdout_to_the_json(numpy_log_copy, tmp_path):
    done = tokopt(numpy_log_copy.name, "--token-distribution", "--format", "json", "--store-memory", "--track-usage", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    d = json.loads(done.stdout)  # nothing else on stdout
    assert d["tokens_out"] > 0 and "summary: logs/numpy_pytest.summary.json" in done.stderr.decode()


@pytest.mark.slow  # a second or more on 2 cores
def test_component_figures_go_to_stderr_beside_a_json_summary_file(numpy_log_copy, tmp_path):
    done = tokopt(numpy_log_copy.name, "--format", "json", "--component-budgets", '{"numpy": 3000}', cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == b"" and "components (by " in done.stderr.decode()


@pytest.mark.slow  # a second or more on 2 cores
def test_json_reports_are_alone_on_stdout_or_in_their_file(numpy_log_copy, tmp_path):
    done = tokopt("diagnose", "report", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0 and isinstance(json.loads(done.stdout), dict)
    done = tokopt("diagnose", "report", "--format", "json", "--output", "rep.json", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == b"" and json.loads((tmp_path / "rep.json").read_text())
    done = tokopt("ci", "validate", numpy_log_copy.name, "--token-budget", "1000000", "--report-json", "/dev/stdout", cwd=tmp_path)
    assert done.returncode == 0 and json.loads(done.stdout)["token_budget"] == 1_000_000  # the table left out


@pytest.fixture
def numpy_log_copy(tmp_path):
    p = tmp_path / "numpy_pytest.log"
    p.write_bytes(NUMPY_LOG.read_bytes())
    return p
