"""Bad input through the real command: a clear message naming the path, the documented
exit code, and nothing written — no summary, no side output, no temporary leftovers."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from tokopt_pipeline.lib.errors import EXIT_BAD_INPUT, EXIT_NO_INPUT, EXIT_OK
from tokopt_pipeline_tests.conftest import NUMPY_LOG, tokopt

pytestmark = pytest.mark.slow  # each test runs the command in a subprocess (about 1 s each)


def everything_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def assert_refused(tmp_path: Path, target: str, code: int, *, stdin: bytes | None = None) -> str:
    """Run with every output option; check the message, the code, and that nothing was written."""
    out = tmp_path / "out"
    done = tokopt(
        target, "--output-dir", str(out), "--preprocess", "--export-templates", str(out / "templates.csv"),
        cwd=tmp_path, stdin=stdin,
    )
    err = done.stderr.decode()
    assert done.returncode == code, err
    assert err.startswith("tokopt: error: "), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert done.stdout == b""
    assert everything_under(out) == [], everything_under(out)
    # --output FILE: the file is not created either.
    single = tmp_path / "single.md"
    done = tokopt(target, "--output", str(single), cwd=tmp_path, stdin=stdin)
    assert done.returncode == code
    assert not single.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    return err


def test_help_documents_the_exit_codes(tmp_path):
    done = tokopt("--help", cwd=tmp_path)
    text = done.stdout.decode()
    for line in ("3  input not found, a directory, or not readable", "4  input not usable: empty, binary, corrupt or truncated archive"):
        assert line in text


def test_empty_file(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    err = assert_refused(tmp_path, "empty.log", EXIT_BAD_INPUT)
    assert "empty.log is empty" in err


def test_empty_stdin(tmp_path):
    err = assert_refused(tmp_path, "-", EXIT_BAD_INPUT, stdin=b"")
    assert "<stdin> is empty" in err


def test_binary_file(tmp_path):
    (tmp_path / "core.log").write_bytes(bytes(range(256)) * 200)
    err = assert_refused(tmp_path, "core.log", EXIT_BAD_INPUT)
    assert "core.log looks like a binary file" in err


def test_missing_path(tmp_path):
    err = assert_refused(tmp_path, "no/such/build.log", EXIT_NO_INPUT)
    assert "no/such/build.log: no such file or directory" in err


def test_a_directory(tmp_path):
    (tmp_path / "logs_dir").mkdir()
    err = assert_refused(tmp_path, "logs_dir", EXIT_NO_INPUT)
    assert "logs_dir is a directory" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root, who can read any file")
def test_no_read_permission(tmp_path):
    p = tmp_path / "secret.log"
    p.write_text("line\n")
    p.chmod(0)
    try:
        err = assert_refused(tmp_path, "secret.log", EXIT_NO_INPUT)
    finally:
        p.chmod(0o600)
    assert "secret.log: permission denied" in err


def test_truncated_gzip_found_in_its_first_bytes(tmp_path):
    data = gzip.compress(NUMPY_LOG.read_bytes())
    (tmp_path / "ci.log.gz").write_bytes(data[:3000])
    err = assert_refused(tmp_path, "ci.log.gz", EXIT_BAD_INPUT)
    assert "ci.log.gz: truncated or corrupt gzip data" in err


@pytest.mark.e2e
def test_truncated_gzip_found_after_many_batches_leaves_nothing(tmp_path):
    # ~30 MB of real pytest output: the damage is reached after whole batches were
    # analysed and exported, and all of that must be thrown away.
    data = gzip.compress(NUMPY_LOG.read_bytes() * 30, compresslevel=1)
    (tmp_path / "big.log.gz").write_bytes(data[: int(len(data) * 0.8)])
    err = assert_refused(tmp_path, "big.log.gz", EXIT_BAD_INPUT)
    assert "big.log.gz: truncated or corrupt gzip data after" in err


def test_gzip_detected_by_content_not_name(tmp_path):
    (tmp_path / "build.txt").write_bytes(gzip.compress(NUMPY_LOG.read_bytes()))
    done = tokopt("build.txt", "--output", "s.md", "--token-budget", "4000", cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    text = (tmp_path / "s.md").read_text()
    assert "(gzip)" in text
    assert "test_" in text and "failing tests" in text


@pytest.mark.e2e
def test_a_50_mb_single_line_is_summarized_with_a_cut_marker(tmp_path):
    p = tmp_path / "oneline.log"
    with p.open("wb") as f:
        f.write(b"payload=" + b"x" * (50 * 1024 * 1024 - 8))
        f.write(b"\nERROR after the long line: disk quota exceeded\n")
    out = tmp_path / "out"
    done = tokopt("oneline.log", "--output-dir", str(out), "--token-budget", "2000", "--preprocess", cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    text = (out / "oneline.summary.md").read_text()
    assert "[line cut: 52428800 bytes in total]" in text
    assert "1 over-long lines cut" in text
    assert "disk quota exceeded" in text
    # with the manifest of what tokopt wrote there (rotation touches nothing else)
    assert everything_under(out) == [".tokopt-outputs.json", "oneline.chunks.jsonl", "oneline.summary.md"]
    # The long line fills a batch on its own; both lines still make one chunk.
    chunks = [json.loads(line) for line in (out / "oneline.chunks.jsonl").read_text().splitlines()]
    assert [(c["chunk"], c["first_line"], c["last_line"]) for c in chunks] == [(0, 1, 2)]
