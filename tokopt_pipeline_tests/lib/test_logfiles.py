"""Partition keys derived from paths: safe, stable, and never shared by two files."""

from tokopt_pipeline.defs.partitions import output_name, partition_key


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
