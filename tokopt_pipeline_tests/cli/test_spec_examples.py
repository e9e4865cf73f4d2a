"""Every usage example of the spec runs, as written (``python token_optimization_system.py``
read as ``tokopt``), in a folder holding the spec's default log ``test_output.log``."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest

from tokopt_pipeline_tests.conftest import DATA, SPEC

pytestmark = pytest.mark.slow  # ~25 runs of the command

PROGRAM = "python token_optimization_system.py"
#: A real CI log (a pytest job of three matrix runs), small enough that validating the
#: folder it is in stays under the spec's 90% threshold of the default budget.
LOG = DATA / "ecosystems" / "python-mypy" / "job.log"


def examples() -> list[str]:
    """The command lines of the spec's ```bash blocks that run the program."""
    text = SPEC.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(PROGRAM):
                out.append(line)
    return list(dict.fromkeys(out))


def test_the_spec_has_the_examples_this_test_runs():
    found = examples()
    assert len(found) >= 20
    for flag in ("--check-usage", "--analyze-memory", "--validate-ci", "--component-budgets", "--adaptive-optimization",
                 "--enable-monitoring", "--optimization-profile", "--preset=test-debugging", "--benchmark-simulation"):
        assert any(flag in e for e in found), flag


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec-examples")
    (d / "test_output.log").write_bytes(LOG.read_bytes())
    (d / "profiles").mkdir()
    (d / "profiles" / "compression.json").write_text(json.dumps({
        "profiles": {"high-compression": {"extends": "max-compression", "settings": {"token_budget": 3000}}},
    }))
    return d


@pytest.mark.parametrize("example", examples())
def test_spec_example_runs(example, folder, monkeypatch, tmp_path):
    args = shlex.split(example)[2:]
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
        "TOKOPT_DUCKDB_PATH": str(folder / "store.duckdb"), "TOKOPT_PENDING_DIR": str(folder / "pending"),
        # monitoring checks that mail can be sent (settings only; no run crosses a threshold)
        "TOKOPT_SMTP_HOST": "127.0.0.1", "TOKOPT_SMTP_PORT": "2525", "TOKOPT_SMTP_CONFIG": str(tmp_path / "none.toml"),
    }
    done = subprocess.run([sys.executable, "-m", "tokopt_pipeline", *args, *(["--simulation-size", "0.05"] if "--benchmark-simulation" in args else [])],
                          cwd=folder, env=env, capture_output=True, timeout=600)
    assert done.returncode == 0, (example, done.stderr.decode()[-2000:])
