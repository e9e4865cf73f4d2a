"""Output paths as users give them: devices, FIFOs, descriptor links and symlinks are
written through or kept; rotation touches only what tokopt wrote; temporaries are
named so the next run can tell a killed run's leftovers."""

from __future__ import annotations

import fnmatch
import json
import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from tokopt_pipeline.lib import outputs
from tokopt_pipeline.lib.errors import OutputError
from tokopt_pipeline_tests.conftest import tokopt
from tokopt_pipeline_tests.test_cli import APP_LOG


@pytest.fixture
def app_log(tmp_path):
    p = tmp_path / "app.log"
    p.write_text(APP_LOG)
    return p


def test_a_terminal_is_written_through_not_replaced(tmp_path):
    master, slave = os.openpty()
    try:
        tty = os.ttyname(slave)
        outputs.atomic_write_text(tty, "hello tty\n")
        assert stat.S_ISCHR(os.stat(tty).st_mode)
        assert b"hello tty" in os.read(master, 1024)
    finally:
        os.close(master)
        os.close(slave)


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    with outputs.AtomicWriter(fifo) as f:
        f.write("one\n")
        f.write("two\n")
    reader.join(10)
    assert got == [b"one\ntwo\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_symlink_to_a_file_keeps_the_link_and_rewrites_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "s.md"
    target.write_text("old\n")
    link = tmp_path / "s.md"
    link.symlink_to(target)
    outputs.atomic_write_text(link, "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    # A dangling link: its target is created, the link kept.
    dangling = tmp_path / "d.md"
    dangling.symlink_to(tmp_path / "real" / "later.md")
    outputs.atomic_write_text(dangling, "x\n")
    assert dangling.is_symlink() and (tmp_path / "real" / "later.md").read_text() == "x\n"
    assert not list((tmp_path / "real").glob(outputs.TEMP_GLOB)) and not list(tmp_path.glob(outputs.TEMP_GLOB))


def test_dev_null_as_output_stays_a_device(app_log, tmp_path):
    done = tokopt(app_log.name, "--output", "/dev/null", "--export-templates", "/dev/null", "--no-store", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.slow  # a second or more on 2 cores
def test_a_link_to_proc_self_fd_1_is_the_commands_stdout(app_log, tmp_path):
    link = tmp_path / "out.md"
    link.symlink_to("/proc/self/fd/1")
    done = tokopt(app_log.name, "--output", "out.md", "--no-store", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert done.stdout.decode().startswith("# tokopt summary: app.log")  # only the summary on stdout
    assert "summary: stdout" in done.stderr.decode()
    done = tokopt(app_log.name, "--output", "/dev/stdout", "--no-store", cwd=tmp_path)
    assert done.stdout.decode().startswith("# tokopt summary: app.log") and "summary: stdout" in done.stderr.decode()


def test_a_directory_is_refused_and_a_failed_write_leaves_nothing(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        outputs.atomic_write_text(tmp_path / "d", "x")
    with pytest.raises(OutputError, match="No space left"):
        outputs.atomic_write_text("/dev/full", "x" * 10)
    with pytest.raises(RuntimeError), outputs.AtomicWriter(tmp_path / "s.md") as f:
        f.write("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


# -- temporary names ---------------------------------------------------------------------

def test_temporary_names_are_tokopts_and_name_their_process(tmp_path):
    tmp = outputs.temp_path(tmp_path / "build.summary.md")
    assert fnmatch.fnmatch(tmp.name, outputs.TEMP_GLOB)
    assert tmp.name.startswith(".build.summary.md.tokopt-") and outputs.temp_owner(tmp) == os.getpid()
    assert outputs.temp_owner(tmp_path / ".build.summary.md.1a2b3c4d.tmp") is None  # not tokopt's pattern
    assert outputs.temp_owner(tmp_path / "notes.tmp") is None
    long = outputs.temp_path(tmp_path / ("x" * 250))
    assert len(long.name.encode()) < 255


def test_stale_temporaries_are_those_of_a_process_that_is_gone(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead = int(done.stdout)
    leftover = tmp_path / f".s.md.tokopt-{dead}-0123abcd.tmp"
    leftover.write_text("half")
    assert outputs.is_stale_temp(leftover)
    mine = outputs.temp_path(tmp_path / "s.md")
    mine.write_text("being written")
    assert not outputs.is_stale_temp(mine)
    # A live process that is not this one (pid reused, or another run still writing):
    # stale only once old.
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            theirs = tmp_path / f".s.md.tokopt-{other.pid}-0123abcd.tmp"
            theirs.write_text("x")
            assert not outputs.is_stale_temp(theirs)
            old = time.time() - outputs.STALE_AFTER_SECONDS - 60
            os.utime(theirs, (old, old))
            assert outputs.is_stale_temp(theirs)
        finally:
            other.kill()
    user = tmp_path / "report.tmp"
    user.write_text("mine")
    assert not outputs.is_stale_temp(user)


# -- rotation -----------------------------------------------------------------------------

@pytest.mark.slow  # a second or more on 2 cores
def test_rotation_never_deletes_the_users_own_summary(app_log, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.summary.md").write_text("my notes\n")
    os.utime(out / "mine.summary.md", (1, 1))  # the oldest by far
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.log").write_text(APP_LOG)
        tokopt(f"{name}.log", "--output-dir", "out", "--max-logs", "1", "--no-store", cwd=tmp_path, check=True)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["c.summary.md", "mine.summary.md"]
    manifest = json.loads((out / outputs.MANIFEST).read_text())
    assert sorted(manifest["files"]) == ["c.summary.md"]


@pytest.mark.slow  # a second or more on 2 cores
def test_a_summary_the_user_edited_is_theirs_now(app_log, tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.log").write_text(APP_LOG)
    tokopt("a.log", "--output-dir", "out", "--no-store", cwd=tmp_path, check=True)
    with open(tmp_path / "out" / "a.summary.md", "a") as f:
        f.write("\nmy notes\n")
    tokopt("b.log", "--output-dir", "out", "--max-logs", "1", "--no-store", cwd=tmp_path, check=True)
    assert (tmp_path / "out" / "a.summary.md").exists() and (tmp_path / "out" / "b.summary.md").exists()


def test_rotation_keeps_the_chunks_it_just_wrote(app_log, tmp_path):
    done = tokopt(app_log.name, "--output-dir", "out", "--preprocess", "--max-log-size", "0.0001", "--no-store", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    chunks = tmp_path / "out" / "app.chunks.jsonl"
    assert chunks.stat().st_size > 0.0001 * 1024 * 1024
    assert f"chunks: {chunks.relative_to(tmp_path)}" in done.stdout.decode() or f"chunks: {chunks}" in done.stdout.decode()
    assert (tmp_path / "out" / "app.summary.md").exists()


def test_one_command_never_rotates_away_its_own_summaries(app_log, tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.log").write_text(APP_LOG)
    tokopt("a.log", "b.log", "c.log", "--output-dir", "out", "--max-logs", "1", "--no-store", cwd=tmp_path, check=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["a.summary.md", "b.summary.md", "c.summary.md"]


def test_a_damaged_manifest_deletes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.summary.md").write_text("x" * 100)
    (out / outputs.MANIFEST).write_text('{"files": {"../victim.summary.md": {}, "x.summary.md": "bad"')
    assert outputs.rotate(out, 1, 0.00001) == []
    (out / outputs.MANIFEST).write_text(json.dumps({"files": {"../victim.summary.md": {"size": 1, "mtime_ns": 1}}}))
    (tmp_path / "victim.summary.md").write_text("v")
    assert outputs.rotate(out, 1, 0.0000001) == []
    assert (tmp_path / "victim.summary.md").exists() and (out / "x.summary.md").exists()
