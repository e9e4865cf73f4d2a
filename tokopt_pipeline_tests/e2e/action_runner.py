"""The steps of a composite action run as GitHub's runner runs them, for the tests.

:func:`run_action` reads ``action.yml``, evaluates each step's ``if:``, ``env:`` and
``working-directory:`` (the few expression forms the action uses: ``inputs.X``,
``steps.ID.outputs.X``, ``github.action_path``, ``runner.temp``, comparisons with
``==``/``!=``, ``&&``, ``||``) and runs each ``run:`` script with
``bash --noprofile --norc -eo pipefail``, with the variables a runner sets
(``GITHUB_OUTPUT``, a file per step, ``GITHUB_STEP_SUMMARY``, ``GITHUB_ACTION_PATH``,
``RUNNER_TEMP`` ...). A ``uses:`` step is not run: its ``with:`` is evaluated and kept.
A failing step stops the action, as on GitHub.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepResult:
    name: str
    ran: bool
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]
    step_summary: str
    failed: bool


def parse_outputs(text: str) -> dict[str, str]:
    """A ``$GITHUB_OUTPUT`` file: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


class _Context:
    def __init__(self, inputs: dict[str, str], action_path: Path, temp: Path):
        self.inputs, self.action_path, self.temp = inputs, action_path, temp
        self.steps: dict[str, dict[str, str]] = {}

    def value(self, ref: str) -> str:
        parts = ref.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if ref == "github.action_path":
            return str(self.action_path)
        if ref == "runner.temp":
            return str(self.temp)
        raise ValueError(f"expression not supported by the test runner: {ref}")

    def condition(self, expr: str) -> bool:
        if expr.strip() in ("always()",):
            return True
        py = re.sub(r"'([^']*)'", lambda m: repr(m.group(1)), expr)
        py = re.sub(r"\b(inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+|github\.\w+|runner\.\w+)",
                    lambda m: repr(self.value(m.group(1))), py)
        py = py.replace("&&", " and ").replace("||", " or ")
        return bool(eval(py, {"__builtins__": {}}))  # noqa: S307 (the action's own expressions)

    def text(self, s) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), str(s))


def run_action(action_yml: Path, inputs: dict[str, str], *, workspace: Path, temp: Path, env: dict[str, str],
               timeout: int = 600) -> ActionRun:
    """Run the composite action at ``action_yml`` with ``inputs`` (defaults filled in)."""
    meta = yaml.safe_load(action_yml.read_text(encoding="utf-8"))
    declared = meta.get("inputs", {})
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    values = {k: str(v.get("default", "")) for k, v in declared.items()}
    values.update(inputs)
    ctx = _Context(values, action_yml.parent, temp)
    temp.mkdir(parents=True, exist_ok=True)
    summary_file = temp / "step_summary.md"
    summary_file.touch()
    results: list[StepResult] = []
    failed = False
    for n, step in enumerate(meta["runs"]["steps"]):
        name = step.get("name", f"step {n}")
        cond = step.get("if")
        if failed or (cond is not None and not ctx.condition(str(cond))):
            results.append(StepResult(name, ran=False))
            continue
        if "uses" in step:
            results.append(StepResult(name, ran=False, uses=step["uses"],
                                      with_={k: ctx.text(v) for k, v in (step.get("with") or {}).items()}))
            continue
        assert step.get("shell") == "bash", f"{name}: a run step of a composite action names its shell"
        out_file = temp / f"output_{n}"
        out_file.write_text("")
        step_env = dict(env)
        step_env.update({
            "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_ACTION_PATH": str(action_yml.parent),
            "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp), "GITHUB_OUTPUT": str(out_file),
            "GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_ENV": str(temp / "env"), "GITHUB_PATH": str(temp / "path"),
        })
        step_env.update({k: ctx.text(v) for k, v in (step.get("env") or {}).items()})
        script = temp / f"step_{n}.sh"
        script.write_text(step["run"])
        cwd = workspace / ctx.text(step.get("working-directory", "."))
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=step_env,
                              capture_output=True, text=True, timeout=timeout)
        outputs = parse_outputs(out_file.read_text())
        if "id" in step:
            ctx.steps[step["id"]] = outputs
        results.append(StepResult(name, True, done.returncode, done.stdout, done.stderr, outputs))
        failed = done.returncode != 0
    action_outputs = {k: ctx.text(v["value"]) for k, v in (meta.get("outputs") or {}).items()}
    return ActionRun(results, action_outputs, summary_file.read_text(encoding="utf-8"), failed)


def env_with_path(*folders: Path) -> dict[str, str]:
    """The test's environment with ``folders`` first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([*map(str, folders), env.get("PATH", "")])
    return env
