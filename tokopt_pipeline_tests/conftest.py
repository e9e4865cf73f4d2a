"""Shared fixtures: where the read-only shared material is, and the scorer from it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: no wall-clock deadline (a loaded CI machine is not a failure), and in CI
# a fixed sequence of examples so a run is reproducible; locally, fresh examples each run.
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOKOPT_SHARED", REPO.parent / "shared"))
NUMPY_LOG = SHARED / "corpus" / "ci" / "numpy_pytest.log"
NUMPY_JUNIT = SHARED / "corpus" / "ci" / "numpy_pytest.junit.xml"
EXAMPLE_LOG = REPO / "examples" / "numpy_pytest.log"


def _load_scorer():
    path = SHARED / "eval" / "score.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("tokopt_shared_score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared material not found at {SHARED}: CI must provide it beside the checkout")
        pytest.skip(f"shared material not found at {SHARED} (set TOKOPT_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def scorer(shared):
    mod = _load_scorer()
    if mod is None:
        pytest.skip("shared/eval/score.py not found")
    return mod


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path_factory, monkeypatch):
    """Every test (and every command it starts) gets its own store and pending folder,
    so no test writes into the checkout's .tokopt/ or sees another test's runs."""
    d = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(d / "tokopt.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(d / "pending"))
    # Caches (detect-secrets' patterns) go to the session's temp folder, not ~/.cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def labelled(summary: str, test: str, tag: str) -> bool:
    """Whether a summary lists ``test`` with ``tag`` among its labels (``[new, E2]``),
    whether it is shown by its whole id (in backticks) or by its name under its file."""
    import re

    return re.search(rf"{re.escape(test)}`? \[(?:[\w ]+, )*{re.escape(tag)}\b", summary) is not None
