"""The pre-commit hook, run by the real `pre-commit` tool against a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow  # pre-commit runs the hook in a git repository

BIN = Path(sys.executable).parent


def _env(tmp_path):
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def _git(cwd, env, *args):
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def hook_repo(tmp_path):
    """A git repository with this project's hook definitions committed (as a clone would have)."""
    if not (BIN / "pre-commit").exists() or not (BIN / "tokopt").exists():
        pytest.skip("pre-commit or tokopt not installed in this environment (make setup)")
    env = _env(tmp_path)
    d = tmp_path / "hooks"
    d.mkdir()
    shutil.copy(REPO / ".pre-commit-hooks.yaml", d / ".pre-commit-hooks.yaml")
    _git(d, env, "init", "-q", "-b", "main")
    _git(d, env, "add", ".")
    _git(d, env, "commit", "-q", "-m", "hooks")
    return d


def _try_repo(hook_repo, project, env, *extra):
    return subprocess.run(
        [str(BIN / "pre-commit"), "try-repo", str(hook_repo), "tokopt-validate", "--verbose", *extra],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )


def test_hook_passes_small_files_and_fails_an_over_budget_file(tmp_path, hook_repo):
    env = _env(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    _git(project, env, "init", "-q", "-b", "main")
    (project / "notes.md").write_text("# Notes\n\nA short file well within the budget.\n")
    (project / "image.bin").write_bytes(bytes(range(256)) * 4)
    _git(project, env, "add", ".")
    ok = _try_repo(hook_repo, project, env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout

    # ~90,000 tokens: over the default budget of 76,659
    (project / "dump.log").write_text("\n".join(f"request {i} served by node-{i % 7} in {i % 97} ms" for i in range(9000)) + "\n")
    _git(project, env, "add", "dump.log")
    bad = _try_repo(hook_repo, project, env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "OVER   dump.log" in bad.stdout
    assert "over the budget of 76,659 tokens" in bad.stdout

    # unstaged again, the commit would pass
    (project / "dump.log").unlink()
    _git(project, env, "rm", "-q", "--cached", "dump.log")
    ok2 = _try_repo(hook_repo, project, env)
    assert ok2.returncode == 0, ok2.stdout + ok2.stderr
