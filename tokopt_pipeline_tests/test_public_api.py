"""The package's public surface and the command's process-level options."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tokopt_pipeline
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG


def test_public_names_are_exactly_the_documented_ones():
    assert sorted(tokopt_pipeline.__all__) == sorted(["process_logs", "summarize", "SummaryOptions", "store_in_memory", "track_token_usage"])
    for name in tokopt_pipeline.__all__:
        assert callable(getattr(tokopt_pipeline, name)), name


def test_importing_the_package_does_not_load_the_engine():
    code = "import sys, tokopt_pipeline, tokopt_pipeline.cli; print('polars' in sys.modules, 'dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


@pytest.mark.slow
def test_parallel_workers_sets_the_worker_threads(tmp_path):
    for n in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "tokopt_pipeline", str(EXAMPLE_LOG), "--parallel-workers", n, "--verbose",
             "--token-budget", "2000", "--output", str(tmp_path / f"s{n}.md"), "--no-store"],
            capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stderr
        assert f"{n} worker thread" in done.stderr, done.stderr
