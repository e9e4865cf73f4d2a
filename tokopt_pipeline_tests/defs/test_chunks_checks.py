"""``chunks_cover_log`` against a real DuckDB file: it passes on a real analysis, fails
with a readable description on a corrupt one, and blocks the summary."""

import dagster as dg
import pytest

from tokopt_pipeline.defs.chunks.checks import coverage_problems
from tokopt_pipeline.defs.ingest.logfile import TAG_PATH, TAG_SOURCE

from .helpers import checks, definitions, materialize_log, metadata

pytestmark = pytest.mark.slow  # Dagster materializations and their checks (8 s in all)

LINES = [f"2025-01-01 12:00:{i % 60:02d} INFO worker step {i} done" for i in range(45)]
LINES[20] = "2025-01-01 12:00:20 ERROR worker crashed: ValueError: connection refused on port 5432"
CHUNKED = {"ops": {"priority_chunks": {"config": {"chunk_size": 10}}}}


def drop(pipeline, name: str = "app.log"):
    path = pipeline.log_dir / name
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def run(pipeline, key, path, assets):
    d = definitions()
    return dg.materialize(
        [*(d.get_assets_def(a) for a in assets), *d.asset_checks],
        partition_key=key,
        instance=pipeline.instance,
        resources=pipeline.resources,
        tags={TAG_PATH: str(path), TAG_SOURCE: "folder"},
        run_config=CHUNKED if "priority_chunks" in assets else None,
        selection=assets,
        raise_on_error=False,
    )


def evaluation(result, name: str = "chunks_cover_log"):
    (e,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return e


def test_the_chunks_of_a_real_analysis_cover_every_line(pipeline):
    path = drop(pipeline)
    key, result = materialize_log(pipeline, path)
    assert checks(result)["chunks_cover_log"] is True
    md = {k: v.value for k, v in evaluation(result).metadata.items()}
    assert md["lines_registered"] == md["lines_in_chunks"] == metadata(result, "raw_logs")["lines"] == 45
    assert metadata(result, "budget_trimmed_summaries")["lines"] == 45


def test_a_corrupt_registered_row_fails_the_check_and_blocks_the_summary(pipeline):
    path = drop(pipeline)
    key = "app.log"
    pipeline.instance.add_dynamic_partitions("log_files", [key])
    assert run(pipeline, key, path, ["raw_logs"]).success
    with pipeline.store().connect() as conn:  # the registered line count no longer matches the file
        conn.execute("UPDATE log_files SET lines = 40 WHERE file_key = ?", [key])

    result = run(pipeline, key, path, ["priority_chunks", "budget_trimmed_summaries"])

    e = evaluation(result)
    assert (e.passed, e.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert e.description == "the chunks count 45 lines, raw_logs registered 40; chunks reach line 45, beyond the 40 lines registered"
    md = {k: v.value for k, v in e.metadata.items()}
    assert (md["lines_registered"], md["lines_in_chunks"], md["chunks"]) == (40, 45, 5)
    materialized = {ev.asset_key.path[-1] for ev in result.get_asset_materialization_events()}
    assert materialized == {"priority_chunks"}, "a summary was rendered from an analysis that failed its check"
    assert pipeline.query("SELECT count(*) FROM summaries") == [(0,)]


def test_gaps_overlaps_and_miscounted_chunks_are_described():
    rows = [(0, 1, 10, 10), (1, 14, 20, 7), (2, 18, 30, 13), (3, 31, 40, 9)]
    assert coverage_problems(rows, 45) == [
        "lines 11-13 are in no chunk (gap before chunk 1)",
        "chunk 2 starts at line 18, inside the previous chunk (overlap up to line 20)",
        "chunk 3 spans lines 31-40 but counts 9 lines",
        "lines 41-45 are in no chunk (after the last chunk)",
    ]
    assert coverage_problems([(0, 1, 10, 10), (1, 11, 45, 35)], 45) == []
    assert coverage_problems([], 0) == []


def test_an_analysis_of_a_log_changed_after_registration_never_reaches_a_summary(pipeline):
    path = drop(pipeline)
    key = "app.log"
    pipeline.instance.add_dynamic_partitions("log_files", [key])
    assert run(pipeline, key, path, ["raw_logs"]).success
    with open(path, "a", encoding="utf-8") as f:  # written to after raw_logs registered it
        f.write("2025-01-01 12:01:00 INFO late line\n" * 3)

    result = run(pipeline, key, path, ["priority_chunks", "budget_trimmed_summaries"])

    e = evaluation(result)
    assert e.passed is False
    assert e.description == "the chunks count 48 lines, raw_logs registered 45; chunks reach line 48, beyond the 45 lines registered"
    materialized = {ev.asset_key.path[-1] for ev in result.get_asset_materialization_events()}
    assert materialized == {"priority_chunks"}, "a summary was rendered from an analysis that failed its check"
    assert not pipeline.out_dir.exists() or not list(pipeline.out_dir.iterdir())
    assert pipeline.query("SELECT count(*) FROM summaries") == [(0,)]
