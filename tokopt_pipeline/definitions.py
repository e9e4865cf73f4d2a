"""The Dagster code location: every object under ``defs/``, run in-process.

The in-process executor keeps a run's steps in one process, so together with the
``duckdb`` concurrency pool (limit 1, set in the instance's dagster.yaml) there is one
writer of the DuckDB store at a time.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
