"""Logs and summaries at fsspec URLs (``memory://``, ``file://``): the sensors tag runs
with URIs, the assets read and write through the settings resource, and the blocking
checks read the summary from the store."""

import uuid

import dagster as dg
import fsspec
import pytest
from upath import UPath

from tokopt_pipeline.defs.files import Folder, display, exists, local_copy, to_uri
from tokopt_pipeline.defs.ingest.logfile import TAG_PATH
from tokopt_pipeline.defs.ingest.sensors import new_log_sensor
from tokopt_pipeline.defs.partitions import log_files
from tokopt_pipeline.defs.resources import TokoptSettings
from tokopt_pipeline.defs.summaries.checks import missing_summary, stored_summary
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG

from .helpers import LOG_ASSETS, checks, definitions, materialize_log, metadata


@pytest.fixture
def bucket():
    """A fresh ``memory://`` bucket, emptied afterwards (fsspec's in-memory filesystem is process-wide)."""
    root = f"memory://tokopt-{uuid.uuid4().hex[:8]}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root[len("memory://"):]):
        fs.rm(root[len("memory://"):], recursive=True)


def test_a_local_path_and_a_file_url_name_the_same_file(tmp_path):
    log = tmp_path / "a b.log"
    log.write_text("x\n")
    uri = to_uri(str(log))
    assert uri == log.as_uri() and uri.startswith("file:///")
    assert display(uri) == str(log) and exists(uri) and exists(str(log))
    assert to_uri("memory://b/x.log") == "memory://b/x.log"
    with local_copy(uri) as p:
        assert p == log  # a local file is read in place, not copied


def test_a_remote_folder_is_scanned_keyed_and_written_whole(bucket):
    logs = Folder(f"{bucket}/incoming")
    assert logs.scan() == {} and not logs.exists()
    (UPath(f"{bucket}/incoming/team-a/build.log")).write_bytes(b"line\n")
    (UPath(f"{bucket}/incoming/team-a/.hidden.log")).write_bytes(b"line\n")
    (UPath(f"{bucket}/incoming/empty.log")).write_bytes(b"")
    (UPath(f"{bucket}/incoming/up.log.part")).write_bytes(b"half")
    found = logs.scan()
    assert list(found) == ["team-a/build.log"]
    assert found["team-a/build.log"].path == f"{bucket}/incoming/team-a/build.log"
    assert found["team-a/build.log"].size == 5
    out = Folder(f"{bucket}/out").write_text("team-a__build.md", "# summary\n")
    assert out == f"{bucket}/out/team-a__build.md"
    assert UPath(out).read_text() == "# summary\n"
    with local_copy(f"{bucket}/incoming/team-a/build.log") as copy:
        assert copy.read_bytes() == b"line\n"
    assert not copy.exists()  # the temporary copy is gone


@pytest.mark.slow  # sensor ticks and a Dagster materialization of three assets and their checks
def test_a_log_in_a_memory_bucket_is_summarized_into_the_bucket(pipeline, bucket):
    """The whole path of a remote log: sensor -> URI tag -> raw_logs -> priority_chunks ->
    summary written to the bucket, and the blocking checks pass from the store."""
    UPath(f"{bucket}/incoming/ci/numpy.log").write_bytes(EXAMPLE_LOG.read_bytes())
    settings = TokoptSettings(log_dir=f"{bucket}/incoming", output_dir=f"{bucket}/out", sensor_interval=0)
    cursor = None
    for _ in range(2):  # seen, then requested once its size is the same on the next tick
        with dg.build_sensor_context(instance=pipeline.instance, cursor=cursor, resources={"settings": settings}) as ctx:
            tick = new_log_sensor(ctx)
        cursor = tick.cursor
    (req,) = tick.run_requests
    assert req.partition_key == "ci/numpy.log"
    assert req.tags[TAG_PATH] == f"{bucket}/incoming/ci/numpy.log"  # a URI any worker can read

    d = definitions()
    pipeline.instance.add_dynamic_partitions(log_files.name, [req.partition_key])
    result = dg.materialize(
        [*(d.get_assets_def(k) for k in LOG_ASSETS), *d.asset_checks],
        partition_key=req.partition_key,
        instance=pipeline.instance,
        resources={"store": pipeline.resources["store"], "settings": settings},
        tags=req.tags,
        run_config={"ops": {"budget_trimmed_summaries": {"config": {"token_budget": 4000}}}},
        selection=LOG_ASSETS,
    )
    assert result.success
    raw = metadata(result, "raw_logs")
    assert raw["uri"] == f"{bucket}/incoming/ci/numpy.log" and raw["lines"] > 0
    md = metadata(result, "budget_trimmed_summaries")
    assert md["path"] == f"{bucket}/out/ci__numpy.summary.md" == md["uri"]
    text = UPath(md["path"]).read_text(encoding="utf-8")
    assert tok.count(text) <= 4000 and "tokopt-log-" not in text  # the header names the log, not a temporary copy
    assert pipeline.query("SELECT path FROM log_files") == [(f"{bucket}/incoming/ci/numpy.log",)]
    assert pipeline.query("SELECT summary_path FROM runs WHERE summary_path IS NOT NULL") == [(md["path"],)]
    assert checks(result)["summary_within_budget"] and checks(result)["critical_events_represented"]
    assert not pipeline.out_dir.exists()  # nothing written to a local folder


@pytest.mark.slow  # a Dagster materialization
def test_the_blocking_checks_read_the_summary_from_the_store_and_say_when_it_is_missing(pipeline):
    path = pipeline.drop("numpy_pytest.log")
    key, result = materialize_log(pipeline, path, budget=4000)
    assert result.success and checks(result)["summary_within_budget"] and checks(result)["critical_events_represented"]
    md = metadata(result, "budget_trimmed_summaries")
    store = pipeline.resources["store"]
    # The summary file is not what the checks read: with it deleted, the stored text is there.
    written = UPath(md["path"]).read_text(encoding="utf-8")
    UPath(md["path"]).unlink()
    assert stored_summary(store, md) == (written, "")
    # With the stored summary gone, the checks fail and say why.
    pipeline.query("DELETE FROM summaries")
    text, problem = stored_summary(store, md)
    assert text is None
    assert problem == f"summary missing from the store: no markdown summary at budget 4000 for run {md['store_run']}"
    failed = missing_summary(md, problem)
    assert not failed.passed and failed.metadata["problem"].text == problem
    # A materialization from before the store run was in the metadata is named as such.
    text, problem = stored_summary(store, {k: v for k, v in md.items() if k != "store_run"})
    assert text is None and "store_run metadata missing" in problem
