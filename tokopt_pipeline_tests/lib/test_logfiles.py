"""Log files as the pipeline knows them: partition keys derived from paths (safe, stable,
never shared by two files), summary names, and the watched folder's scan."""

import os

from tokopt_pipeline.lib.logfiles import output_name, partition_key, scan


def test_keys_inside_the_folder_are_relative_paths(tmp_path):
    assert partition_key(tmp_path / "a" / "b.log", tmp_path) == "a/b.log"
    assert output_name("a/b.log") == "a__b"


def test_unsafe_names_are_made_safe_and_stay_distinct(tmp_path):
    keys = {partition_key(tmp_path / n, tmp_path) for n in ("a b.log", "a_b.log", "a,b.log", "x...y.log", "é.log", "a\tb.log")}
    assert len(keys) == 6
    for k in keys:
        assert "..." not in k and "\t" not in k and "," not in k and " " not in k


def test_files_outside_the_folder_get_a_hashed_prefix(tmp_path):
    k1 = partition_key(tmp_path / "x" / "job.log", tmp_path / "watched")
    k2 = partition_key(tmp_path / "y" / "job.log", tmp_path / "watched")
    assert k1 != k2 and k1.startswith("ext/") and k1.endswith("/job.log")
    assert output_name(k1) == "job"
    assert partition_key(tmp_path / "x" / "job.log", tmp_path / "watched") == k1


def test_the_scan_keeps_finished_logs_and_leaves_out_the_rest(tmp_path):
    root = tmp_path / "incoming"
    (root / "team-a").mkdir(parents=True)
    (root / "team-a" / "build.log").write_text("FAILED tests/test_x.py::test_y\n")
    for name in ("partial.log.tmp", ".hidden.log", "swap.log.swp", "download.part", "backup.log~"):
        (root / name).write_text("x\n")
    (root / "empty.log").write_bytes(b"")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.log").write_text("x\n")
    outside = tmp_path / "secret.log"
    outside.write_text("password=hunter2\n")
    os.symlink(outside, root / "link-out.log")
    found = scan(root)
    assert sorted(found) == ["team-a/build.log"]
    f = found["team-a/build.log"]
    assert f.path == str(root / "team-a" / "build.log") and f.size == len("FAILED tests/test_x.py::test_y\n")
    before = f.version
    (root / "team-a" / "build.log").write_text("FAILED tests/test_x.py::test_y\none more line\n")
    assert scan(root)["team-a/build.log"].version != before  # a changed file is a new version
    assert scan(tmp_path / "missing") == {}
