"""One real ``dagster dev`` for the end-to-end and browser tests, with two logs summarized."""

import shutil

import pytest

from tokopt_pipeline_tests.conftest import NUMPY_LOG

from .dagster_dev import dagster_dev


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with dagster_dev(tmp_path_factory.mktemp("dagster_dev")) as s:
        yield s


@pytest.fixture(scope="session")
def summarized(server):
    """Two logs dropped at once into the watched folder (one in a sub-folder); both runs done."""
    (server.log_dir / "team-b").mkdir()
    for dest in (server.log_dir / "numpy_pytest.log", server.log_dir / "team-b" / "numpy_pytest.log"):
        tmp = dest.with_name(dest.name + ".tmp")  # written, then renamed, as CI uploaders do
        shutil.copyfile(NUMPY_LOG, tmp)
        tmp.rename(dest)
    runs = server.wait_for_runs("new_log_sensor", 2)
    return server, runs
