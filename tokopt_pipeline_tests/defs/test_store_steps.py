"""The executor the deployment picks, the store steps' pool by backend, and their
retries: a busy store is tried again, a bad input is not."""

import subprocess
import sys
import time

import dagster as dg
import pytest

from tokopt_pipeline.definitions import executor
from tokopt_pipeline.defs.ingest.logfile import TAG_PATH, TAG_SOURCE
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptStore
from tokopt_pipeline.defs.store_steps import STORE_POOL, only_busy_retried
from tokopt_pipeline.lib.store.db import StoreBusy

from .helpers import definitions


def test_the_executor_is_in_process_unless_the_deployment_says_otherwise():
    assert executor({}) is dg.in_process_executor
    assert executor({"TOKOPT_EXECUTOR": "in_process"}) is dg.in_process_executor
    assert executor({"TOKOPT_EXECUTOR": "multiprocess"}) is dg.multiprocess_executor
    four = executor({"TOKOPT_EXECUTOR": "multiprocess", "TOKOPT_MAX_CONCURRENT": "4"})
    assert four.name == "multiprocess" and four is not dg.multiprocess_executor
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="TOKOPT_EXECUTOR='threads': use one of in_process, multiprocess, k8s"):
        executor({"TOKOPT_EXECUTOR": "threads"})
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="TOKOPT_MAX_CONCURRENT='0'"):
        executor({"TOKOPT_EXECUTOR": "multiprocess", "TOKOPT_MAX_CONCURRENT": "0"})


def test_k8s_without_dagster_k8s_says_what_is_missing():
    try:
        import dagster_k8s  # noqa: F401
    except ImportError:
        with pytest.raises(dg.DagsterInvalidDefinitionError, match="needs dagster-k8s"):
            executor({"TOKOPT_EXECUTOR": "k8s"})
    else:
        assert executor({"TOKOPT_EXECUTOR": "k8s"}).name == "k8s"


def test_every_store_step_is_in_the_store_pool_and_retried_when_the_store_is_busy():
    d = definitions()
    for name in ("raw_logs", "priority_chunks", "budget_trimmed_summaries", "error_entities", "token_usage_metrics"):
        asset = d.get_assets_def(dg.AssetKey(name))
        assert asset.node_def.pool == STORE_POOL, f"{name} is not in the {STORE_POOL} pool"
        assert asset.node_def.retry_policy is not None, f"{name} is not retried when the store is busy"
    checks = {c.node_def.name: c.node_def.pool for c in d.asset_checks if c.node_def.pool}
    assert len(checks) >= 2 and set(checks.values()) == {STORE_POOL}  # the checks that read the store


def test_only_a_busy_store_is_left_for_the_retry_policy():
    with pytest.raises(StoreBusy):
        with only_busy_retried():
            raise StoreBusy("the store is locked by another process")
    with pytest.raises(dg.Failure) as failure:
        with only_busy_retried():
            raise ValueError("not a log")
    assert failure.value.allow_retries is False and failure.value.description == "ValueError: not a log"
    with pytest.raises(dg.Failure) as failure:
        with only_busy_retried():
            raise dg.Failure(description="log file x does not exist")
    assert failure.value.allow_retries is False and failure.value.description == "log file x does not exist"


HOLD = """
import sys, time
from tokopt_pipeline.lib.store.db import open_duckdb
conn = open_duckdb(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def _materialize(pipeline, key, path, assets, store):
    d = definitions()
    return dg.materialize(
        [d.get_assets_def(a) for a in assets],
        partition_key=key,
        instance=pipeline.instance,
        resources={**pipeline.resources, "store": store},
        tags={TAG_PATH: path.as_uri(), TAG_SOURCE: "folder"},
        selection=assets,
        raise_on_error=False,
    )


def _causes(error) -> list[str]:
    """The class names of an error and of its causes."""
    names = []
    while error is not None:
        names.append(error.cls_name)
        error = error.cause
    return names


def _events(result, kind: dg.DagsterEventType) -> list:
    return [e for e in result.all_events if e.event_type == kind]


@pytest.mark.slow  # a real lock held by another process for 3 s, and the step's retry
def test_a_step_that_finds_the_store_locked_runs_again_and_succeeds(pipeline):
    path = pipeline.drop("numpy_pytest.log")
    key = "numpy_pytest.log"
    pipeline.instance.add_dynamic_partitions(log_files.name, [key])
    assert _materialize(pipeline, key, path, ["raw_logs"], pipeline.resources["store"]).success
    with subprocess.Popen([sys.executable, "-c", HOLD, str(pipeline.db), "3"], stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        impatient = TokoptStore(path=str(pipeline.db), pending_dir=str(pipeline.pending), lock_timeout=0.5)
        result = _materialize(pipeline, key, path, ["priority_chunks"], impatient)
    assert result.success, "priority_chunks did not recover from a busy store"
    retries = _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert retries, "the step succeeded without being retried: the store was never busy"
    assert "StoreBusy" in _causes(retries[0].event_specific_data.error)
    assert time.monotonic() - started >= 2.5
    assert pipeline.query("SELECT count(*) FROM chunks")[0][0] > 0


@pytest.mark.slow  # a Dagster run
def test_a_missing_log_fails_once_without_retries(pipeline):
    path = pipeline.log_dir / "gone.log"
    pipeline.instance.add_dynamic_partitions(log_files.name, ["gone.log"])
    result = _materialize(pipeline, "gone.log", path, ["raw_logs"], pipeline.resources["store"])
    assert not result.success
    assert _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    (failure,) = _events(result, dg.DagsterEventType.STEP_FAILURE)
    assert "does not exist" in failure.event_specific_data.error.message
