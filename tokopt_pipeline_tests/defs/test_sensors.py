"""Both sensors evaluated against a real instance and real files; neither opens the store."""

import json
import os

import dagster as dg
import pytest

from tokopt_pipeline.defs.ci.sensors import ci_log_sensor
from tokopt_pipeline.defs.ingest.sensors import new_log_sensor
from tokopt_pipeline.defs.resources import TokoptSettings

pytestmark = pytest.mark.slow  # sensor ticks against a real Dagster instance (about 0.6 s each)


def tick(sensor, pipeline, cursor=None, interval=0):
    """One evaluation; ``interval`` 0 scans at every one (these tests tick back to back)."""
    settings = TokoptSettings(log_dir=str(pipeline.log_dir), sensor_interval=interval)
    with dg.build_sensor_context(instance=pipeline.instance, cursor=cursor, resources={"settings": settings}) as ctx:
        result = sensor(ctx)
    return result, getattr(result, "cursor", cursor)  # a skip reason leaves the cursor as it was


def added_keys(result) -> list[str]:
    return [k for req in result.dynamic_partitions_requests for k in req.partition_keys]


def test_a_new_file_runs_once_it_stops_growing_and_again_when_it_changes(pipeline):
    path = pipeline.drop("build.log")
    first, cursor = tick(new_log_sensor, pipeline)
    assert first.run_requests == []  # seen once: it may still be being written
    second, cursor = tick(new_log_sensor, pipeline, cursor)
    (req,) = second.run_requests
    assert req.partition_key == "build.log" and added_keys(second) == ["build.log"]
    assert req.tags["tokopt/path"] == path.as_uri()  # a URI, not the daemon's local path
    third, cursor = tick(new_log_sensor, pipeline, cursor)
    assert third.run_requests == []  # unchanged: never again
    with open(path, "a") as f:
        f.write("one more line\n")
    growing, cursor = tick(new_log_sensor, pipeline, cursor)
    assert growing.run_requests == []
    settled, cursor = tick(new_log_sensor, pipeline, cursor)
    (again,) = settled.run_requests
    assert again.partition_key == "build.log" and again.run_key != req.run_key


def test_a_file_still_growing_is_not_picked_up(pipeline):
    path = pipeline.drop("slow.log")
    _, cursor = tick(new_log_sensor, pipeline)
    with open(path, "a") as f:
        f.write("still writing\n")
    result, _ = tick(new_log_sensor, pipeline, cursor)
    assert result.run_requests == []


def test_nested_folders_temp_files_and_links_out_of_the_folder(pipeline, tmp_path):
    pipeline.drop("team-a/ci/job 1.log")
    pipeline.drop("partial.log.tmp")
    pipeline.drop(".hidden.log")
    pipeline.drop("download.part")
    outside = tmp_path / "secret.log"
    outside.write_text("password=hunter2\n")
    os.symlink(outside, pipeline.log_dir / "link-out.log")
    os.symlink(tmp_path, pipeline.log_dir / "link-dir")
    os.symlink(pipeline.log_dir / "team-a" / "ci" / "job 1.log", pipeline.log_dir / "alias.log")
    _, cursor = tick(new_log_sensor, pipeline)
    result, _ = tick(new_log_sensor, pipeline, cursor)
    keys = sorted(r.partition_key for r in result.run_requests)
    assert len(keys) == 2
    assert keys[0] == "alias.log"
    assert keys[1].startswith("team-a/ci/job_1.log-")  # the space made safe, a hash keeps it unique


def test_ci_reports_each_become_a_run_even_two_between_ticks(pipeline, tmp_path):
    a = tmp_path / "ci" / "build-1.log"
    a.parent.mkdir()
    a.write_text("FAILED tests/test_x.py::test_y - AssertionError\n")
    b = pipeline.drop("b.log")
    first, cursor = tick(ci_log_sensor, pipeline)
    assert first.run_requests == []
    for path, commit in ((a, "abc123"), (b, None)):
        md = {"path": str(path)} | ({"commit": commit} if commit else {})
        pipeline.instance.report_runless_asset_event(dg.AssetMaterialization("ci_logs", metadata=md))
    pipeline.instance.report_runless_asset_event(dg.AssetMaterialization("ci_logs", metadata={"path": str(tmp_path / "missing.log")}))
    result, cursor = tick(ci_log_sensor, pipeline, cursor)
    ra, rb = result.run_requests
    assert ra.partition_key.startswith("ext/") and ra.partition_key.endswith("/build-1.log")
    assert ra.tags["tokopt/commit"] == "abc123" and ra.tags["tokopt/source"] == "ci"
    assert rb.partition_key == "b.log"
    assert sorted(added_keys(result)) == sorted([ra.partition_key, "b.log"])
    assert ra.run_key != rb.run_key
    again, _ = tick(ci_log_sensor, pipeline, cursor)
    assert again.run_requests == []


def test_scans_are_paced_by_the_interval_the_settings_give_when_the_sensor_runs(pipeline):
    pipeline.drop("build.log")
    first, cursor = tick(new_log_sensor, pipeline, interval=30)
    assert first.run_requests == [] and "scanned_at" in json.loads(cursor)
    paced, same = tick(new_log_sensor, pipeline, cursor, interval=30)
    assert isinstance(paced, dg.SkipReason) and same == cursor  # too early: nothing scanned, the cursor stays
    assert "next scan in" in paced.skip_message and "every 30 s" in paced.skip_message
    state = json.loads(cursor)
    state["scanned_at"] -= 31  # the interval has passed since the last scan
    due, _ = tick(new_log_sensor, pipeline, json.dumps(state), interval=30)
    (req,) = due.run_requests
    assert req.partition_key == "build.log"


def test_the_ci_sensor_is_paced_too_and_reads_a_cursor_from_before(pipeline):
    first, cursor = tick(ci_log_sensor, pipeline, interval=30)
    assert first.run_requests == [] and json.loads(cursor)["after"] is None
    paths = [pipeline.drop(f"b{i}.log") for i in range(3)]
    for path in paths:
        pipeline.instance.report_runless_asset_event(dg.AssetMaterialization("ci_logs", metadata={"path": str(path)}))
    paced, _ = tick(ci_log_sensor, pipeline, cursor, interval=30)
    assert isinstance(paced, dg.SkipReason) and "next scan in" in paced.skip_message
    # A cursor written before the pace was kept in it: the storage id of the last report handled.
    first_report = pipeline.instance.fetch_materializations(dg.AssetKey("ci_logs"), limit=1, ascending=True).records[0]
    result, cursor = tick(ci_log_sensor, pipeline, str(first_report.storage_id), interval=30)
    assert [r.partition_key for r in result.run_requests] == ["b1.log", "b2.log"]
    again, _ = tick(ci_log_sensor, pipeline, cursor, interval=0)
    assert again.run_requests == []
