"""Tests of the streaming reader, on real files written under tmp_path."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import reader
from tokopt_pipeline.lib.engine.reader import (
    MAX_LINE_BYTES,
    Batch,
    adaptive_batch_lines,
    open_log,
)
from tokopt_pipeline.lib.errors import BadInput, InputNotFound
from tokopt_pipeline_tests.conftest import REPO

PROJECT_ROOT = REPO


def read_lines(path, **kwargs) -> list[str]:
    return [line for batch in open_log(path).batches(**kwargs) for line in batch.lines]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def words_log(lines: int, seed: int = 0) -> bytes:
    """Text that compresses poorly enough for a few hundred KB of archive."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "error", "ok", "test_", "passed", "failed"]
    out = []
    for i in range(lines):
        out.append(f"{i:07d} " + " ".join(rng.choice(words) + str(rng.randrange(10**6))
                                          for _ in range(8)))
    return ("\n".join(out) + "\n").encode()


# --- bad inputs ---------------------------------------------------------------------------


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.log"
    with pytest.raises(InputNotFound, match="no such file") as err:
        open_log(path)
    assert str(path) in err.value.message
    assert err.value.exit_code == 3


def test_directory_is_not_a_log(tmp_path):
    with pytest.raises(InputNotFound, match="is a directory") as err:
        open_log(tmp_path)
    assert str(tmp_path) in err.value.message


def test_unreadable_file(tmp_path):
    path = write(tmp_path, "secret.log", b"hello\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        with pytest.raises(InputNotFound, match="permission denied") as err:
            open_log(path)
        assert str(path) in err.value.message
    finally:
        path.chmod(0o644)


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.log", b"")
    with pytest.raises(BadInput, match="is empty: nothing to summarize") as err:
        open_log(path)
    assert str(path) in err.value.message
    assert err.value.exit_code == 4


def test_empty_archive(tmp_path):
    path = write(tmp_path, "empty.log.gz", gzip.compress(b""))
    with pytest.raises(BadInput, match="is empty: nothing to summarize"):
        open_log(path)


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 64,                                       # every byte value
    b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + random.Random(2).randbytes(8000),      # an executable
    b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(8000),     # an image
])
def test_binary_file(tmp_path, data):
    path = write(tmp_path, "app.log", data)
    with pytest.raises(BadInput, match="binary") as err:
        open_log(path)
    assert str(path) in err.value.message


def test_binary_inside_an_archive(tmp_path):
    path = write(tmp_path, "core.gz", gzip.compress(b"\x00\x01\x02\x03" * 4000))
    with pytest.raises(BadInput, match="binary"):
        open_log(path)


def test_utf16_log_gets_a_hint(tmp_path):
    path = write(tmp_path, "win.log", "hello\r\nworld\r\n".encode("utf-16"))
    with pytest.raises(BadInput, match="UTF-16"):
        open_log(path)


def test_a_few_nul_bytes_do_not_make_a_log_binary(tmp_path):
    data = b"".join(b"line %d ok\n" % i for i in range(500)) + b"\x00" * 40 + b"tail\n"
    path = write(tmp_path, "nul.log", data)
    source = open_log(path)
    lines = [line for batch in source.batches() for line in batch.lines]
    assert lines[-1] == "tail"
    assert source.stats.nul_bytes_removed == 40


@pytest.mark.slow
def test_truncated_gzip_raises_from_the_iterator(tmp_path):
    text = words_log(40_000)
    whole = gzip.compress(text)
    path = write(tmp_path, "run.log.gz", whole[: len(whole) // 2])
    source = open_log(path)  # the first 8 KiB are intact
    with pytest.raises(BadInput, match=r"truncated or corrupt gzip data after \d+ bytes") as err:
        for _ in source.batches(1000, block_bytes=64 * 1024):
            pass
    assert str(path) in err.value.message
    good = int(err.value.message.split(" after ")[1].split()[0])
    assert 0 < good < len(text)
    assert source.stats.lines > 0  # batches before the damage were read


def test_corrupt_xz_raises_from_the_iterator(tmp_path):
    data = bytearray(lzma.compress(words_log(40_000), preset=0))
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    path = write(tmp_path, "run.log.xz", bytes(data))
    source = open_log(path)
    with pytest.raises(BadInput, match=r"truncated or corrupt xz data after \d+ bytes"):
        for _ in source.batches():
            pass


def test_damage_in_the_first_block_is_found_up_front(tmp_path):
    path = write(tmp_path, "tiny.log.bz2", bz2.compress(b"hello world\n" * 100)[:30])
    with pytest.raises(BadInput, match="truncated or corrupt bz2 data after 0 bytes"):
        open_log(path)


# --- compression, stdin -------------------------------------------------------------------


@pytest.mark.parametrize("compress, kind", [
    (gzip.compress, "gzip"), (bz2.compress, "bz2"), (lzma.compress, "xz"),
])
@pytest.mark.parametrize("name", ["build.txt", "build.log.zip", "build.log.gz", "noext"])
def test_compression_is_detected_by_content_not_name(tmp_path, compress, kind, name):
    text = words_log(3000)
    path = write(tmp_path, name, compress(text))
    source = open_log(path)
    lines = [line for batch in source.batches(700) for line in batch.lines]
    assert lines == text.decode().split("\n")[:-1]
    assert source.compression == kind
    assert source.stats.compression == kind
    assert source.stats.raw_bytes == len(text)
    assert source.stats.file_bytes == path.stat().st_size


def test_text_starting_like_a_bz2_magic_is_text(tmp_path):
    path = write(tmp_path, "bz.log", b"BZhello there\nsecond\n")
    assert read_lines(path) == ["BZhello there", "second"]


STDIN_SCRIPT = textwrap.dedent("""
    import json
    from tokopt_pipeline.lib.engine.reader import open_log
    source = open_log("-")
    batches = list(source.batches(2))
    print(json.dumps({
        "lines": [line for b in batches for line in b.lines],
        "first": [b.first_line_no for b in batches],
        "compression": source.stats.compression,
        "raw_bytes": source.stats.raw_bytes,
        "file_bytes": source.stats.file_bytes,
    }))
""")


@pytest.mark.parametrize("compress", [None, gzip.compress, lzma.compress])
def test_stdin(compress):
    text = b"one\r\ntwo\nthree\n\x1b[31mfour\x1b[0m"
    data = compress(text) if compress else text
    done = subprocess.run([sys.executable, "-c", STDIN_SCRIPT], input=data,
                          capture_output=True, cwd=PROJECT_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["lines"] == ["one", "two", "three", "four"]
    assert out["first"] == [1, 3]
    assert out["compression"] == {None: None, gzip.compress: "gzip", lzma.compress: "xz"}[compress]
    assert out["raw_bytes"] == len(text)
    assert out["file_bytes"] == len(data)


def test_empty_stdin_is_bad_input():
    script = "from tokopt_pipeline.lib.engine.reader import open_log\nopen_log('-')"
    done = subprocess.run([sys.executable, "-c", script], input=b"",
                          capture_output=True, cwd=PROJECT_ROOT, timeout=60)
    assert b"BadInput: <stdin> is empty: nothing to summarize" in done.stderr


# --- cleaning -----------------------------------------------------------------------------


def test_line_endings(tmp_path):
    path = write(tmp_path, "crlf.log", b"a\r\nb\r\r\nprogress 10%\rprogress 100%\nlast\r")
    assert read_lines(path) == ["a", "b", "progress 10%\rprogress 100%", "last"]


def test_trailing_newline_convention(tmp_path):
    assert read_lines(write(tmp_path, "a.log", b"a\nb\n")) == ["a", "b"]
    assert read_lines(write(tmp_path, "b.log", b"a\nb")) == ["a", "b"]
    assert read_lines(write(tmp_path, "c.log", b"a\n\n")) == ["a", ""]
    assert read_lines(write(tmp_path, "d.log", b"\n")) == [""]


def test_only_newline_splits_lines(tmp_path):
    text = "form\x0cfeed\x1cfs\x85nel\u2028ls\u2029ps\x0bvt\n"
    assert read_lines(write(tmp_path, "sep.log", text.encode())) == [text[:-1]]


def test_nul_bytes_are_removed_and_counted(tmp_path):
    path = write(tmp_path, "nul.log", b"ab\x00c\n\x00\x00done\n" + b"filler line\n" * 10)
    source = open_log(path)
    lines = [line for batch in source.batches() for line in batch.lines]
    assert lines[:2] == ["abc", "done"]
    assert source.stats.nul_bytes_removed == 3


def test_invalid_utf8_is_replaced(tmp_path):
    path = write(tmp_path, "latin.log", b"caf\xe9 ok\n\xff\xfe\n\xe2\x82\nfine \xe2\x82\xac\n")
    assert read_lines(path) == ["caf\ufffd ok", "\ufffd\ufffd", "\ufffd", "fine \u20ac"]


def test_utf8_byte_order_mark_is_dropped(tmp_path):
    path = write(tmp_path, "bom.log", b"\xef\xbb\xbffirst\nsecond\n")
    assert read_lines(path) == ["first", "second"]


def test_ansi_escapes_are_stripped(tmp_path):
    raw = (b"\x1b[1;31mFAILED\x1b[0m tests/test_a.py::test_x\n"
           b"\x1b[2K\x1b[1G\x1b[?25lprogress\x1b[?25h\n"
           b"\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ text\n"
           b"\x1b]0;window title\x07after title\n"
           b"\x1b(Bcharset \x1b7saved\x1b8\n"
           b"section_start:1:build\r\x1b[0K\n")
    assert read_lines(write(tmp_path, "ansi.log", raw)) == [
        "FAILED tests/test_a.py::test_x",
        "progress",
        "link text",
        "after title",
        "charset saved",
        "section_start:1:build",
    ]


GITHUB_LOG = (
    "\ufeff2025-11-20T00:53:20.0052210Z ##[group]Run pytest\n"
    "2025-11-20T00:53:20.0053000Z \x1b[36;1mpytest -q\x1b[0m\n"
    "2025-11-20T00:53:21.1000000Z 2015-10-18 18:01:47,978 INFO app started\n"
    "2025-11-20T00:53:22.5000000Z FAILED tests/test_a.py::test_x - assert 1 == 2\n"
    "2025-11-20T00:54:02.7654321Z ##[error]Process completed with exit code 1.\n"
)


def test_github_timestamp_prefixes_are_stripped_and_kept_as_metadata(tmp_path):
    source = open_log(write(tmp_path, "gh.txt", GITHUB_LOG.encode()))
    lines = [line for batch in source.batches() for line in batch.lines]
    assert lines == [
        "##[group]Run pytest",
        "pytest -q",
        "2015-10-18 18:01:47,978 INFO app started",
        "FAILED tests/test_a.py::test_x - assert 1 == 2",
        "##[error]Process completed with exit code 1.",
    ]
    assert source.stats.first_timestamp == "2025-11-20T00:53:20.0052210Z"
    assert source.stats.last_timestamp == "2025-11-20T00:54:02.7654321Z"


def test_timestamps_are_tracked_across_blocks(tmp_path):
    text = "".join(f"2025-11-20T01:{i // 60:02d}:{i % 60:02d}.0000000Z step {i}\n"
                   for i in range(3000))
    source = open_log(write(tmp_path, "gh.log", text.encode()))
    lines = [line for batch in source.batches(block_bytes=1000) for line in batch.lines]
    assert lines == [f"step {i}" for i in range(3000)]
    assert source.stats.first_timestamp == "2025-11-20T01:00:00.0000000Z"
    assert source.stats.last_timestamp == "2025-11-20T01:49:59.0000000Z"


def test_gitlab_timestamp_prefixes_are_stripped(tmp_path):
    raw = (b"2025-11-20T00:53:20.005221Z 00O \x1b[0KRunning with gitlab-runner 18.4.0\n"
           b"2025-11-20T00:53:20.105221Z 00O+\x1b[36;1mCleaning up\x1b[0;m\n"
           b"2025-11-20T00:53:21.000000Z 01E error: build failed\n"
           b"2025-11-20T00:53:22.000000+02:00 offset form\n")
    source = open_log(write(tmp_path, "job.log", raw))
    lines = [line for batch in source.batches() for line in batch.lines]
    assert lines == ["Running with gitlab-runner 18.4.0", "Cleaning up",
                     "error: build failed", "offset form"]
    assert source.stats.first_timestamp == "2025-11-20T00:53:20.005221Z"
    assert source.stats.last_timestamp == "2025-11-20T00:53:22.000000+02:00"


def test_application_timestamps_are_kept(tmp_path):
    raw = (b"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop: started\n"
           b"081109 203615 148 INFO dfs.DataNode: Receiving block\n"
           b"Jun 14 15:16:01 combo sshd[19939]: authentication failure\n")
    source = open_log(write(tmp_path, "app.log", raw))
    assert [line for batch in source.batches() for line in batch.lines] == \
        raw.decode().split("\n")[:-1]
    assert source.stats.first_timestamp is None


def test_a_few_prefixed_lines_do_not_turn_on_ci_mode(tmp_path):
    raw = b"".join(b"plain line %d\n" % i for i in range(20))
    raw += b"2025-11-20T00:53:20.0052210Z quoted from another log\n"
    assert read_lines(write(tmp_path, "mixed.log", raw))[-1] == \
        "2025-11-20T00:53:20.0052210Z quoted from another log"


# --- long lines and memory ----------------------------------------------------------------


def test_long_line_inside_a_block_is_cut_with_a_marker(tmp_path):
    long = "é" * 50_000  # 100,000 bytes
    path = write(tmp_path, "long.log", f"before\n{long}\nafter\n".encode())
    source = open_log(path)
    batches = list(source.batches())
    lines = batches[0].lines
    assert lines[0] == "before" and lines[2] == "after"
    assert lines[1] == "é" * (MAX_LINE_BYTES // 2) + " …[line cut: 100000 bytes in total]"
    assert source.stats.lines_cut == 1
    assert batches[0].raw_bytes == path.stat().st_size


@pytest.mark.parametrize("block_bytes", [7, 1000, 70_000, 1 << 22])
def test_long_line_is_cut_the_same_whatever_the_block_size(tmp_path, block_bytes):
    path = write(tmp_path, "long.log", b"a\n" + b"\x1b[31mx" * 30_000 + b"\nb\n" + b"y" * 70_000)
    lines = read_lines(path, block_bytes=block_bytes)
    assert len(lines) == 4
    assert lines[1].endswith(" …[line cut: 180000 bytes in total]")
    assert lines[1].startswith("xxx")
    assert lines[2] == "b"
    assert lines[3] == "y" * MAX_LINE_BYTES + " …[line cut: 70000 bytes in total]"


MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys, tracemalloc
    from tokopt_pipeline.lib.engine.reader import open_log
    tracemalloc.start()
    source = open_log(sys.argv[1])
    lines = [line for batch in source.batches() for line in batch.lines]
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({
        "first": lines[0][:20], "first_tail": lines[0][-60:], "first_len": len(lines[0]),
        "rest": lines[1:], "cut": source.stats.lines_cut, "raw": source.stats.raw_bytes,
        "peak": peak, "maxrss_kb": int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:"))),
    }))
""")


def test_a_50_mb_line_is_cut_and_memory_stays_small(tmp_path):
    size = 50 * 1024 * 1024
    path = tmp_path / "one-line.log"
    with open(path, "wb") as out:
        out.write(b"x" * size)
        out.write(b"\nnext line\n")
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(path)],
                          capture_output=True, cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["first"] == "x" * 20
    assert out["first_tail"].endswith("x …[line cut: 52428800 bytes in total]")
    assert out["first_len"] == MAX_LINE_BYTES + len(" …[line cut: 52428800 bytes in total]")
    assert out["rest"] == ["next line"]
    assert out["cut"] == 1
    assert out["raw"] == size + len(b"\nnext line\n")
    assert out["peak"] < 32 * 1024 * 1024          # the 4 MiB blocks, not the 50 MB line
    assert out["maxrss_kb"] < 200 * 1024


def test_a_file_without_any_newline_is_one_cut_line(tmp_path):
    path = write(tmp_path, "blob.log", b"a" * 300_000)
    source = open_log(path)
    batches = list(source.batches(block_bytes=4096))
    assert [len(b.lines) for b in batches] == [1]
    assert batches[0].lines[0].endswith("a …[line cut: 300000 bytes in total]")
    assert batches[0].raw_bytes == 300_000


# --- batches ------------------------------------------------------------------------------


def test_batches_respect_batch_lines_and_number_lines_continuously(tmp_path):
    text = words_log(10_007)
    path = write(tmp_path, "many.log", text)
    source = open_log(path)
    batches = list(source.batches(1000, block_bytes=5000))
    assert all(isinstance(b, Batch) for b in batches)
    assert [len(b.lines) for b in batches] == [1000] * 10 + [7]
    assert [b.first_line_no for b in batches] == [1 + 1000 * i for i in range(11)]
    for batch in batches:
        assert all(line.startswith(f"{batch.first_line_no + i - 1:07d} ")
                   for i, line in enumerate(batch.lines))
        assert batch.raw_bytes == sum(len(line) + 1 for line in batch.lines)
    assert sum(b.raw_bytes for b in batches) == len(text) == source.stats.raw_bytes
    assert source.stats.lines == 10_007


def test_a_smaller_first_batch_then_full_batches(tmp_path):
    text = words_log(3_500)
    path = write(tmp_path, "many.log", text)
    source = open_log(path)
    batches = list(source.batches(1000, block_bytes=5000, first_batch_lines=250))
    assert [len(b.lines) for b in batches] == [250, 1000, 1000, 1000, 250]
    assert [b.first_line_no for b in batches] == [1, 251, 1251, 2251, 3251]
    assert all(b.lines[0].startswith(f"{b.first_line_no - 1:07d} ") for b in batches)
    assert sum(b.raw_bytes for b in batches) == len(text) == source.stats.raw_bytes
    with pytest.raises(ValueError):
        next(open_log(path).batches(1000, first_batch_lines=0))


def test_batches_are_yielded_early_when_lines_are_long(tmp_path):
    path = write(tmp_path, "wide.log", (b"z" * 999 + b"\n") * 100)
    batches = list(open_log(path).batches(1000, block_bytes=10_000, batch_bytes=20_000))
    assert [len(b.lines) for b in batches] == [20] * 5
    assert [b.first_line_no for b in batches] == [1, 21, 41, 61, 81]


def test_a_file_can_be_read_twice(tmp_path):
    path = write(tmp_path, "twice.log", b"a\nb\n")
    source = open_log(path)
    assert [b.lines for b in source.batches()] == [["a", "b"]]
    assert [b.lines for b in source.batches()] == [["a", "b"]]
    assert source.stats.lines == 2


def test_adaptive_batch_lines():
    assert adaptive_batch_lines(0) == 500
    assert adaptive_batch_lines(100_000) == 500
    assert adaptive_batch_lines(20 * 2**20) == 5000
    assert adaptive_batch_lines(100 * 2**20) == 25_500
    assert adaptive_batch_lines(2**30) == 50_000
    assert adaptive_batch_lines(2**40) == 50_000
    sizes = [2**k for k in range(10, 41)]
    assert [adaptive_batch_lines(s) for s in sizes] == \
        sorted(adaptive_batch_lines(s) for s in sizes)


def test_public_surface():
    defined = {name for name, obj in vars(reader).items()
               if not name.startswith("_") and callable(obj)
               and getattr(obj, "__module__", None) == reader.__name__}
    assert defined <= set(reader.__all__)
    assert all(hasattr(reader, name) for name in reader.__all__)


# --- properties ---------------------------------------------------------------------------

# Text the reader leaves as it is: no control characters but tab and newline (so no CR,
# NUL or ESC), no surrogates, no byte order mark, no replacement character.
LOG_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                           blacklist_characters="\ufeff\ufffd") | st.sampled_from("\n\n\n\t"),
    min_size=1, max_size=400,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=LOG_TEXT, block_bytes=st.integers(1, 64), batch_lines=st.integers(1, 7))
def test_lines_are_text_split_on_newlines(tmp_path, text, block_bytes, batch_lines):
    """The lines are text.split('\\n'), except that a final '\\n' ends the last line."""
    assume(not text.startswith("BZh"))
    path = write(tmp_path, "prop.log", text.encode())
    source = open_log(path)
    batches = list(source.batches(batch_lines, block_bytes=block_bytes))
    expected = text.split("\n")
    if text.endswith("\n"):
        expected.pop()
    assert [line for b in batches for line in b.lines] == expected
    assert all(len(b.lines) <= batch_lines for b in batches)
    assert [b.first_line_no for b in batches] == \
        [1 + sum(len(x.lines) for x in batches[:i]) for i in range(len(batches))]
    assert sum(b.raw_bytes for b in batches) == len(text.encode()) == source.stats.raw_bytes
    # Each batch counts the bytes of its own lines (a batch boundary may cut a block).
    for i, b in enumerate(batches):
        unterminated = i == len(batches) - 1 and not text.endswith("\n")
        assert b.raw_bytes == sum(len(line.encode()) + 1 for line in b.lines) - unterminated


FRAGMENTS = [b"a", b"word ", b"\n", b"\n", b"\r", b"\r\n", b"\x00", b"\x1b[31m", b"\x1b[0m",
             b"\x1b]0;t\x07", b"\xc3\xa9", b"\xe2\x82\xac", b"\xe2\x82", b"\xff", b"x" * 40,
             b"2025-11-20T00:53:20.0052210Z ", b"\n2025-11-20T00:53:21.1Z ", b"\xef\xbb\xbf"]


@pytest.mark.slow
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=120),
       block_bytes=st.integers(1, 50), max_line_bytes=st.integers(4, 80),
       batch_lines=st.integers(1, 9))
def test_output_does_not_depend_on_the_block_size(tmp_path, parts, block_bytes,
                                                  max_line_bytes, batch_lines):
    data = b"".join(parts)
    path = write(tmp_path, "any.log", data)
    try:
        source = open_log(path)
    except BadInput:
        assume(False)
    whole = [l for b in source.batches(max_line_bytes=max_line_bytes) for l in b.lines]
    whole_stats = source.stats
    batches = list(source.batches(batch_lines, block_bytes=block_bytes,
                                  max_line_bytes=max_line_bytes))
    assert [l for b in batches for l in b.lines] == whole
    assert source.stats == whole_stats
    assert sum(b.raw_bytes for b in batches) == len(data) == source.stats.raw_bytes
    assert source.stats.lines == len(whole) == data.count(b"\n") + (not data.endswith(b"\n"))
