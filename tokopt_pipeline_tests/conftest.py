"""Shared fixtures: the repository's copies of the corpus and the scorer, and an isolated store."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: no wall-clock deadline (a loaded CI machine is not a failure), and in CI
# (CI set, or TOKOPT_CI, which .ci/run sets) a fixed sequence of examples so a run is
# reproducible; locally, fresh examples each run, which keep finding new cases.
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") or os.environ.get("TOKOPT_CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
# The tests read only the repository's own copies (tokopt_pipeline_tests/data/, each folder's
# SOURCE.md says where its files come from), never the shared material beside the checkout.
TESTS = REPO / "tokopt_pipeline_tests"
DATA = TESTS / "data"
EXAMPLE_LOG = REPO / "examples" / "numpy_pytest.log"
NUMPY_LOG = EXAMPLE_LOG  # the shared corpus's corpus/ci/numpy_pytest.log, byte for byte
NUMPY_JUNIT = DATA / "corpus" / "ci" / "numpy_pytest.junit.xml"
SCORE_PY = DATA / "eval" / "score.py"
SPEC = DATA / "spec" / "token-optimization-system.md"
# The shared material beside the checkout. No test reads it; bench/runner_scores.py imports the name.
SHARED = Path(os.environ.get("TOKOPT_SHARED", REPO.parent / "shared"))


def _load_scorer():
    spec = importlib.util.spec_from_file_location("tokopt_score", SCORE_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def shared_copy(tmp_path_factory) -> Path:
    """A folder laid out like the shared material (corpus/loghub, corpus/ci, eval), made from
    the repository's copies: the loghub samples unpacked (and checked against their
    SHA256SUMS), the numpy log and its JUnit XML, and the scoring scripts."""
    root = tmp_path_factory.mktemp("shared_copy")
    loghub = root / "corpus" / "loghub"
    loghub.mkdir(parents=True)
    sums = {}  # file name -> sha256 of its content (sha256sum's format)
    for line in (DATA / "corpus" / "loghub" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    for packed in sorted((DATA / "corpus" / "loghub").glob("*.gz")):
        data = gzip.decompress(packed.read_bytes())
        name = packed.name.removesuffix(".gz")
        assert hashlib.sha256(data).hexdigest() == sums.pop(name), f"{packed} is not the loghub sample it should be"
        (loghub / name).write_bytes(data)
    assert not sums, f"loghub samples missing from {DATA / 'corpus' / 'loghub'}: {sorted(sums)}"
    shutil.copyfile(DATA / "corpus" / "loghub" / "LICENSE", loghub / "LICENSE")
    ci = root / "corpus" / "ci"
    ci.mkdir()
    shutil.copyfile(NUMPY_LOG, ci / "numpy_pytest.log")
    shutil.copyfile(NUMPY_JUNIT, ci / "numpy_pytest.junit.xml")
    shutil.copytree(DATA / "eval", root / "eval")
    return root


@pytest.fixture(scope="session")
def scorer():
    return _load_scorer()


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path_factory, monkeypatch):
    """Every test (and every command it starts) gets its own store and pending folder,
    so no test writes into the checkout's .tokopt/ or sees another test's runs."""
    d = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("TOKOPT_DUCKDB_PATH", str(d / "tokopt.duckdb"))
    monkeypatch.setenv("TOKOPT_PENDING_DIR", str(d / "pending"))
    monkeypatch.delenv("TOKOPT_STORE_URL", raising=False)  # the DuckDB file unless a test asks for a server
    # Caches (detect-secrets' patterns) go to the session's temp folder, not ~/.cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


# -- the store's two backends -------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL cluster on loopback for this session (:mod:`.pg_cluster`); the tests
    that need it are skipped, saying why, where the server's binaries are missing."""
    from tokopt_pipeline_tests.pg_cluster import Cluster, PostgresMissing

    try:
        cluster = Cluster.start()
    except PostgresMissing as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


_SCHEMAS = iter(range(1, 10**9))


def postgres_store_url(cluster) -> str:
    """A URL of a new, empty store on ``cluster`` (a schema of its own)."""
    return cluster.new_schema("postgres", f"t{os.getpid()}_{next(_SCHEMAS)}")


def another_store_url() -> str | None:
    """On the PostgreSQL backend, the URL of a new, empty store beside the test's (a
    schema of its own in the same database); None on DuckDB, where a new path is one."""
    url = os.environ.get("TOKOPT_STORE_URL")
    if not url:
        return None
    import psycopg

    base = url.split("?", 1)[0]
    schema = f"t{os.getpid()}_{next(_SCHEMAS)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, monkeypatch) -> str:
    """Run the test on each store backend: the DuckDB file, and a new store on a
    PostgreSQL server (``TOKOPT_STORE_URL``, seen by every ``Store`` and command;
    marked ``postgres``, which ``make test-fast`` leaves to ``make test``)."""
    if request.param == "postgres":
        monkeypatch.setenv("TOKOPT_STORE_URL", postgres_store_url(request.getfixturevalue("pg_cluster")))
    return request.param


def labelled(summary: str, test: str, tag: str) -> bool:
    """Whether a summary lists ``test`` with ``tag`` among its labels (``[new, E2]``),
    whether it is shown by its whole id (in backticks) or by its name under its file."""
    import re

    return re.search(rf"{re.escape(test)}`? \[(?:[\w ]+, )*{re.escape(tag)}\b", summary) is not None


# -- running the command: the one way the tests run it ----------------------------------
def tokopt(*args, cwd, stdin: bytes | None = None, check: bool = False, env: dict | None = None,
           text: bool = False) -> subprocess.CompletedProcess:
    """``tokopt ARGS`` as a user runs it: ``python -m tokopt_pipeline`` in a subprocess
    (``check``: assert that it exits 0, showing its stderr when not)."""
    done = subprocess.run([sys.executable, "-m", "tokopt_pipeline", *map(str, args)], cwd=cwd, capture_output=True,
                          input=stdin, env=env, text=text, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr if text else done.stderr.decode()
    return done


def store_text(db: Path) -> str:
    """Every value of every table of the store at ``db``, as text ("" when there is none)."""
    import duckdb

    if not db.exists():
        return ""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(" ".join(map(str, row)) for t in tables for row in con.execute(f'SELECT * FROM "{t}"').fetchall())
    finally:
        con.close()


def run_main(capsys, *argv) -> tuple[int, str, str]:
    """``tokopt ARGV`` in this process (faster; the same code): exit code, stdout, stderr."""
    from tokopt_pipeline.cli import main

    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err
