"""``tokopt run -- CMD``: real commands of every runner, their exit codes passed through,
the summary printed (naming the failing test), the full log kept and paged into."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tokopt_pipeline_tests.conftest import EXAMPLE_LOG, run_main, tokopt

PY = sys.executable

FAILING_SUITE = '''\
def test_adds():
    assert 1 + 1 == 2


def test_total_is_wrong():
    assert sum([1, 2, 3]) == 7, "total is wrong"


def test_parser_raises():
    raise ValueError("unexpected token at column 12")
'''


def _full_log(stdout: str) -> Path:
    """The full log the footer names (markdown: ``- **full log**: `PATH` · N lines``)."""
    m = re.search(r"\*\*full log\*\*: `([^`]+)`", stdout)
    assert m, stdout[-800:]
    return Path(m.group(1))


def _page_command(stdout: str) -> str:
    m = re.search(r"\*\*page into it\*\*: `(sed -n [^`]+)`", stdout)
    assert m, stdout[-800:]
    return m.group(1)


def _assert_run(done, cwd: Path, rc: int, failing: list[str], ended: str):
    out = done.stdout if isinstance(done.stdout, str) else done.stdout.decode()
    err = done.stderr if isinstance(done.stderr, str) else done.stderr.decode()
    assert done.returncode == rc, err + out[-2000:]
    assert "Traceback" not in err
    for name in failing:
        assert name in out, name
    assert ended in out
    log = cwd / _full_log(out)
    assert log.is_file()
    text = log.read_text(errors="replace")
    for name in failing:
        assert name in text, name
    return out, log


# -- in-process: exit codes and the one-line result ---------------------------------------

def test_false_passes_its_exit_code_and_keeps_an_empty_log(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_main(capsys, "run", "--", "false")
    assert rc == 1
    assert "No summary: the command printed nothing" in out and "failed, exit 1" in out
    assert err == ""
    log = tmp_path / _full_log(out)
    assert log.is_file() and log.stat().st_size == 0 and log.parent == tmp_path / "logs" / "runs"


@pytest.mark.parametrize("argv, rc, message", [
    (["no-such-command-anywhere"], 127, "cannot run 'no-such-command-anywhere': command not found"),
    (["./plain.txt"], 126, "cannot run './plain.txt': permission denied (not executable)"),
    (["."], 126, "cannot run '.'"),
])
def test_a_command_that_cannot_start_is_a_clear_error_with_the_shells_exit_code(tmp_path, capsys, monkeypatch, argv, rc, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.txt").write_text("echo hi\n")
    got, out, err = run_main(capsys, "run", "--", *argv)
    assert got == rc and message in err and "Traceback" not in err and out == ""
    assert not list((tmp_path / "logs" / "runs").glob("*.log"))  # nothing ran, nothing kept


def test_no_command_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_main(capsys, "run", "--token-budget", "2000")
    assert rc == 2 and "give a command to run" in err


@pytest.mark.slow
def test_on_failure_only_prints_one_line_when_the_command_passes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run_main(capsys, "run", "--on-failure-only", "--", PY, "-c", "print('all 12 checks passed')")
    assert rc == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tokopt run: ") and "passed, exit 0" in lines[0]
    log = Path(lines[0].split("full log: ")[1].split(" (")[0])
    assert (tmp_path / log).read_text() == "all 12 checks passed\n"
    # a failing command still gets the whole summary
    rc, out, _ = run_main(capsys, "run", "--on-failure-only", "--", PY, "-c",
                          "import sys; print('ERROR: disk quota exceeded on /var/cache'); sys.exit(3)")
    assert rc == 3 and "disk quota exceeded" in out and "**full log**" in out


def test_a_few_lines_come_back_whole_redacted_and_quoted(tmp_path, capsys, monkeypatch):
    """Output shorter than any summary of it is shown whole (as the log keeps it:
    redacted), in a fence its backticks cannot close; JSON keeps its structure."""
    monkeypatch.chdir(tmp_path)
    token = "ghp_" + "c3D4" * 9
    script = f"import sys; print('3 checks, 1 failed: `lint`'); print('GITHUB_TOKEN={token}'); sys.exit(2)"
    rc, out, _ = run_main(capsys, "run", "--", PY, "-c", script)
    assert rc == 2
    assert "The whole output (2 lines), shorter than a summary of it:" in out
    assert "\n```\n3 checks, 1 failed: `lint`\nGITHUB_TOKEN=[REDACTED:github-token]\n```\n" in out
    assert token not in out and "**page into it**" not in out and "failed, exit 2" in out
    rc, out, _ = run_main(capsys, "run", "--format", "json", "--", PY, "-c", script)
    doc = json.loads(out)
    assert rc == 2 and doc["run"]["exit_code"] == 2 and "sections" in doc and token not in out
    # longer output is summarized as before
    rc, out, _ = run_main(capsys, "run", "--", PY, "-c", "for i in range(3000): print(f'step {i} ok')")
    assert rc == 0 and "The whole output" not in out and "**page into it**" in out


def test_the_log_is_redacted_line_for_line_and_the_summary_and_footer_fit_the_budget(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from tokopt_pipeline.lib.engine import tokens as tok

    token = "ghp_" + "a1B2" * 9
    script = f"print('export GITHUB_TOKEN={token}'); print(open({str(EXAMPLE_LOG)!r}).read(), end='')"
    rc, out, _ = run_main(capsys, "run", "--token-budget", "2000", "--", PY, "-c", script)
    assert rc == 0
    assert tok.count(out) <= 2000
    assert token not in out
    log = tmp_path / _full_log(out)
    text = log.read_text()
    assert token not in text and "GITHUB_TOKEN=[REDACTED:" in text
    assert text.count("\n") == 1 + EXAMPLE_LOG.read_text().count("\n")  # same lines, same numbers
    assert "48 failing tests" in out  # never a failure dropped


def test_paging_into_the_log_shows_the_lines_the_summary_cites(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run_main(capsys, "run", "--", "sh", "-c", f"cat {shlex.quote(str(EXAMPLE_LOG))}; exit 1")
    assert rc == 1
    page = subprocess.run(_page_command(out), shell=True, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    first = re.search(r"\*\*E1\*\* `([^`]+)`", out).group(1)  # the first error's message
    assert first.split(": ", 1)[-1][:30] in page


# -- real runners, in a subprocess as a user runs them ---------------------------------------

@pytest.mark.slow
def test_pytest(tmp_path):
    (tmp_path / "test_calc.py").write_text(FAILING_SUITE)
    done = tokopt("run", "--", PY, "-m", "pytest", "-p", "no:cacheprovider", cwd=tmp_path, text=True)
    out, _ = _assert_run(done, tmp_path, 1, ["test_total_is_wrong", "test_parser_raises"], "failed, exit 1")
    assert "## Failing tests (2)" in out


@pytest.mark.slow
def test_go_test(tmp_path):
    if not shutil.which("go"):
        pytest.skip("go is not installed (make test-setup installs Debian's golang-go)")
    (tmp_path / "go.mod").write_text("module example.com/calc\n\ngo 1.19\n")
    (tmp_path / "calc.go").write_text("package calc\n\nfunc Add(a, b int) int { return a - b }\n")
    (tmp_path / "calc_test.go").write_text(
        'package calc\n\nimport "testing"\n\n'
        'func TestAddSmall(t *testing.T) {\n\tif got := Add(2, 3); got != 5 {\n\t\tt.Errorf("Add(2, 3) = %d, want 5", got)\n\t}\n}\n\n'
        'func TestAddZero(t *testing.T) {\n\tif Add(0, 0) != 0 {\n\t\tt.Fatal("zero")\n\t}\n}\n')
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOCACHE=str(tmp_path / "gocache"))
    done = tokopt("run", "--", "go", "test", "./...", cwd=tmp_path, env=env, text=True)
    out, _ = _assert_run(done, tmp_path, 1, ["TestAddSmall"], "failed, exit 1")
    assert "Add(2, 3) = -1, want 5" in out


@pytest.mark.slow
def test_cargo_test(tmp_path):
    if not shutil.which("cargo"):
        pytest.skip("cargo is not installed")
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n')
    (tmp_path / "src" / "lib.rs").write_text(
        "pub fn add(a: i32, b: i32) -> i32 { a - b }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n"
        '    #[test]\n    fn add_small() { assert_eq!(add(2, 3), 5, "add is broken"); }\n'
        "    #[test]\n    fn add_zero() { assert_eq!(add(0, 0), 0); }\n}\n")
    env = dict(os.environ, CARGO_TARGET_DIR=str(tmp_path / "target"), CARGO_TERM_COLOR="never")
    done = tokopt("run", "--", "cargo", "test", "--offline", cwd=tmp_path, env=env, text=True)
    out, _ = _assert_run(done, tmp_path, 101, ["add_small"], "failed, exit 101")
    assert "add is broken" in out


@pytest.mark.slow
def test_npm_test(tmp_path):
    if not shutil.which("npm"):
        pytest.skip("npm is not installed")
    (tmp_path / "test").mkdir()
    (tmp_path / "package.json").write_text('{"name": "calc", "version": "1.0.0", "private": true, "scripts": {"test": "node --test"}}\n')
    (tmp_path / "test" / "calc.test.js").write_text(
        'const test = require("node:test");\nconst assert = require("node:assert");\n'
        'test("adds small numbers", () => { assert.strictEqual(2 - 3, 5); });\n'
        'test("adds zero", () => { assert.strictEqual(0, 0); });\n')
    env = dict(os.environ, npm_config_update_notifier="false", NO_COLOR="1")
    done = tokopt("run", "--", "npm", "test", cwd=tmp_path, env=env, text=True)
    _assert_run(done, tmp_path, 1, ["adds small numbers"], "failed, exit 1")


@pytest.mark.slow
def test_make(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    (tmp_path / "test_calc.py").write_text(FAILING_SUITE)
    (tmp_path / "Makefile").write_text(f"test:\n\t{PY} -m pytest -q -p no:cacheprovider\n")
    done = tokopt("run", "--", "make", "test", cwd=tmp_path, text=True)
    out, _ = _assert_run(done, tmp_path, 2, ["test_total_is_wrong", "test_parser_raises"], "failed, exit 2")
    assert "Error 1" in out  # make's own line: which recipe failed


@pytest.mark.slow
def test_false_and_a_command_killed_by_a_signal(tmp_path):
    _assert_run(tokopt("run", "--", "false", cwd=tmp_path, text=True), tmp_path, 1, [], "failed, exit 1")
    done = tokopt("run", "--", "sh", "-c", "echo 'FAILED test_upload - worker lost'; kill -9 $$", cwd=tmp_path, text=True)
    _, log = _assert_run(done, tmp_path, 137, ["test_upload"], "killed by SIGKILL, exit 137")
    assert log.read_text() == "FAILED test_upload - worker lost\n"


@pytest.mark.slow
def test_tee_shows_the_output_as_it_runs_and_the_log_is_written_as_it_streams(tmp_path):
    script = "import time; print('FAILED test_first - boom', flush=True); time.sleep(30)"
    proc = subprocess.Popen([PY, "-m", "tokopt_pipeline", "run", "--tee", "--", PY, "-c", script], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import psutil

    children: list = []
    try:
        deadline = time.monotonic() + 60
        logs: list[Path] = []
        while time.monotonic() < deadline:
            logs = list((tmp_path / "logs" / "runs").glob("*.log"))
            if logs and "test_first" in logs[0].read_text():
                break
            time.sleep(0.2)
        assert logs and "test_first" in logs[0].read_text()  # on disk while the command still runs
        assert proc.stdout.readline() == "FAILED test_first - boom\n"  # --tee: live, before any summary
        children = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)  # tokopt itself dies: the log stays
        proc.wait(timeout=30)
        assert logs[0].read_text() == "FAILED test_first - boom\n"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
        for c in children:  # the command ran in its own process group: end it too
            with contextlib.suppress(psutil.NoSuchProcess):
                c.kill()


@pytest.mark.slow
def test_ctrl_c_is_forwarded_once_and_what_was_captured_is_summarized(tmp_path):
    child = tmp_path / "child.py"
    child.write_text(
        "import signal, sys, time\n"
        "got = []\n"
        "signal.signal(signal.SIGINT, lambda *a: got.append(1))\n"
        "print('FAILED test_slow_start - too slow', flush=True)\n"
        "while not got: time.sleep(0.05)\n"
        "time.sleep(1)\n"
        "print(f'ERROR: interrupted, SIGINT received {len(got)} time(s)', flush=True)\n"
        "sys.exit(1)\n")
    proc = subprocess.Popen([PY, "-m", "tokopt_pipeline", "run", "--", PY, str(child)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = list((tmp_path / "logs" / "runs").glob("*.log"))
        if logs and "test_slow_start" in logs[0].read_text():
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "SIGINT received 1 time(s)" in out  # once, though tokopt and the terminal would both see it
    assert "interrupted (Ctrl-C), exit 130" in out and "test_slow_start" in out
    assert "SIGINT received 1 time(s)" in (tmp_path / _full_log(out)).read_text()


@pytest.mark.slow
def test_json_format_carries_the_run_and_result_json_the_facts(tmp_path):
    import json

    (tmp_path / "test_calc.py").write_text(FAILING_SUITE)
    done = tokopt("run", "--format", "json", "--result-json", "result.json", "--", PY, "-m", "pytest", "-p", "no:cacheprovider",
                  cwd=tmp_path, text=True)
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["header"]["failing_tests"] == 2 and doc["run"]["exit_code"] == 1
    assert Path(tmp_path / doc["run"]["full_log"]).is_file() and doc["run"]["page"].startswith("sed -n ")
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["exit_code"] == 1 and result["failing_tests"] == 2 and result["token_budget"] == 4000
    assert Path(result["summary"]).read_text() == done.stdout
