"""The Dagster code location: every object under ``defs/``, run by the executor the
deployment chooses.

``TOKOPT_EXECUTOR`` (read when the definitions are loaded: the code server, a run
worker) picks how a run's steps run:

=================  ===========================================================
``in_process``     (the default: ``make run``, ``make dev``, the tests) every step in
                   the run's own process, one after the other
``multiprocess``   a process per step, up to ``TOKOPT_MAX_CONCURRENT`` at once (default:
                   the CPU count); steps of one run overlap where the asset graph allows
``k8s``            a Kubernetes job per step (needs ``dagster-k8s`` in the image; with
                   the K8sRunLauncher each run is already a pod of its own)
=================  ===========================================================

Whatever the executor, the steps that open the store are in the store's pool
(:mod:`tokopt_pipeline.defs.store_steps`): limit 1 for the DuckDB file, so it keeps one
writer at a time.
"""

import os
from pathlib import Path

import dagster as dg

EXECUTORS = ("in_process", "multiprocess", "k8s")


def executor(environ=None) -> dg.ExecutorDefinition:
    """The executor ``TOKOPT_EXECUTOR`` names (``in_process`` when unset).

    Raises:
        dg.DagsterInvalidDefinitionError: an unknown name, a bad ``TOKOPT_MAX_CONCURRENT``,
            or ``k8s`` without ``dagster-k8s`` installed.
    """
    env = os.environ if environ is None else environ
    name = (env.get("TOKOPT_EXECUTOR") or "in_process").strip().lower().replace("-", "_")
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        raw = env.get("TOKOPT_MAX_CONCURRENT")
        if not raw:
            return dg.multiprocess_executor
        if not raw.isdigit() or int(raw) < 1:
            raise dg.DagsterInvalidDefinitionError(f"TOKOPT_MAX_CONCURRENT={raw!r} is not a positive number of processes")
        return dg.multiprocess_executor.configured({"max_concurrent": int(raw)}, name="multiprocess")
    if name == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError as exc:
            raise dg.DagsterInvalidDefinitionError(
                "TOKOPT_EXECUTOR=k8s needs dagster-k8s==0.29.27 installed in the code location's image (deploy/README.md)"
            ) from exc
        return k8s_job_executor
    raise dg.DagsterInvalidDefinitionError(f"TOKOPT_EXECUTOR={name!r}: use one of {', '.join(EXECUTORS)}")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=executor()),
    )
