"""The recipes of docs/agents.md, run as written: a Claude Code PostToolUse hook, a shell
function, a Makefile target and a git pre-push hook, each on a project whose tests fail
(the summary names the failing test, the exit code says so) and then pass."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tokopt_pipeline_tests.conftest import REPO

pytestmark = pytest.mark.slow  # each recipe runs tokopt and pytest in subprocesses

AGENTS_MD = REPO / "docs" / "agents.md"
BIN = Path(sys.executable).parent  # tokopt and python, as on a user's PATH

FAILING = "def test_checkout_total():\n    assert round(0.1 + 0.2, 10) == 0.4, 'checkout total is off'\n"
PASSING = "def test_checkout_total():\n    assert round(0.1 + 0.2, 10) == 0.3\n"


def recipe(name: str) -> str:
    """The fenced block after ``<!-- recipe: NAME -->`` in docs/agents.md."""
    m = re.search(rf"<!-- recipe: {re.escape(name)} -->\n```\w*\n(.*?)```", AGENTS_MD.read_text(encoding="utf-8"), re.S)
    assert m, f"docs/agents.md has no recipe {name!r}"
    return m.group(1)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _project(root: Path, test: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "test_checkout.py").write_text(test)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return root


def test_claude_code_post_tool_use_hook(tmp_path):
    settings = json.loads(recipe("claude-code-hook"))
    (hook,) = [h for m in settings["hooks"]["PostToolUse"] if re.fullmatch(m["matcher"], "Edit") for h in m["hooks"]]
    project = _project(tmp_path / "project", FAILING)
    event = json.dumps({"hook_event_name": "PostToolUse", "tool_name": "Edit", "cwd": str(project),
                        "tool_input": {"file_path": str(project / "test_checkout.py")}})
    run = lambda: subprocess.run(["bash", "-c", hook["command"]], cwd=tmp_path, input=event, capture_output=True, text=True,  # noqa: E731
                                 env=_env(CLAUDE_PROJECT_DIR=str(project)), timeout=hook["timeout"])
    done = run()
    assert done.returncode == 2, done.stderr  # exit 2: Claude Code shows the model the stderr
    assert "test_checkout_total" in done.stderr and "checkout total is off" in done.stderr
    assert "**full log**" in done.stderr and done.stdout == ""
    (project / "test_checkout.py").write_text(PASSING)
    done = run()
    assert done.returncode == 0 and len(done.stderr.strip().splitlines()) == 1 and "passed, exit 0" in done.stderr


def test_shell_function(tmp_path):
    project = _project(tmp_path / "project", FAILING)
    (tmp_path / "t.sh").write_text(recipe("shell-function"))
    done = subprocess.run(["bash", "-c", f". {tmp_path / 't.sh'} && t python -m pytest -q"], cwd=project, capture_output=True,
                          text=True, env=_env(), timeout=300)
    assert done.returncode == 1 and "test_checkout_total" in done.stdout and "**full log**" in done.stdout
    (project / "test_checkout.py").write_text(PASSING)
    done = subprocess.run(["bash", "-c", f". {tmp_path / 't.sh'} && t python -m pytest -q"], cwd=project, capture_output=True,
                          text=True, env=_env(), timeout=300)
    assert done.returncode == 0 and done.stdout.startswith("tokopt run: python -m pytest -q: passed")


def test_makefile_target(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    project = _project(tmp_path / "project", FAILING)
    (project / "Makefile").write_text("test:\n\tpython -m pytest -q\n\n" + recipe("makefile"))
    done = subprocess.run(["make", "--no-print-directory", "test-summary"], cwd=project, capture_output=True, text=True,
                          env=_env(), timeout=300)
    assert done.returncode == 2, done.stderr  # make's own code for a failed recipe
    assert "test_checkout_total" in done.stdout and "**full log**" in done.stdout


def test_git_pre_push_hook(tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    project = _project(tmp_path / "project", FAILING)
    git = lambda *a: subprocess.run(["git", *a], cwd=project, capture_output=True, text=True, env=_env(), timeout=300)  # noqa: E731
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "dev@example.com"], ["config", "user.name", "dev"],
                 ["add", "test_checkout.py", "pytest.ini"], ["commit", "-qm", "checkout"], ["remote", "add", "origin", str(remote)]):
        assert git(*args).returncode == 0
    hook = project / ".git" / "hooks" / "pre-push"
    hook.write_text(recipe("pre-push"))
    hook.chmod(0o755)
    done = git("push", "-q", "origin", "main")
    assert done.returncode != 0  # the push is refused
    said = done.stdout + done.stderr
    assert "test_checkout_total" in said and "failed, exit 1" in said and "**full log**" in said
    assert git("ls-remote", "origin").stdout == ""  # nothing reached the remote
    (project / "test_checkout.py").write_text(PASSING)
    assert git("commit", "-qam", "fix the total").returncode == 0
    done = git("push", "-q", "origin", "main")
    assert done.returncode == 0, done.stderr
    assert "passed, exit 0" in done.stdout + done.stderr
