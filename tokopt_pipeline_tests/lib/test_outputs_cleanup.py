"""The temporary files and spool folders of killed runs are removed; a file still being
written, and a user's own files, are not."""

from __future__ import annotations

import os
import time

from tokopt_pipeline.lib.outputs import atomic_write_text
from tokopt_pipeline.lib.outputs_cleanup import GRACE, MAX_AGE, clean_leftovers


def aged(path, seconds: float):
    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


def test_leftovers_go_and_everything_else_stays(tmp_path):
    left_tmp = tmp_path / ".ci.summary.md.1a2b3c4d.tmp"
    left_tmp.write_text("half a summ")
    aged(left_tmp, GRACE + 5)
    spool = tmp_path / ".tokopt-export-k2j4_x9q"
    spool.mkdir()
    (spool / "000000.arrow").write_bytes(b"ARROW1")
    aged(spool / "000000.arrow", 5)
    mine = {name: tmp_path / name for name in (".notes.tmp", "draft.1a2b3c4d.tmp", ".tokopt-export-notes.txt", "ci.summary.md")}
    for p in mine.values():
        p.write_text("mine")
        aged(p, MAX_AGE * 2)
    (tmp_path / ".tokopt-export-dir-of-mine").mkdir()  # a folder whose name does not fit (a dash)
    fresh = tmp_path / ".x.summary.md.00000000.tmp"
    fresh.write_text("being written")  # changed within the grace period: a run may rename it now

    removed = clean_leftovers([tmp_path, tmp_path / "missing", None])

    assert set(removed) == {left_tmp, spool}
    assert not left_tmp.exists() and not spool.exists()
    assert all(p.exists() for p in mine.values()) and (tmp_path / ".tokopt-export-dir-of-mine").exists()
    assert fresh.exists()


def test_a_file_or_spool_held_open_is_not_removed(tmp_path):
    busy = tmp_path / ".ci.summary.md.deadbeef.tmp"
    spool = tmp_path / ".tokopt-export-abc123"
    spool.mkdir()
    with open(busy, "w") as f, open(spool / "000001.arrow", "w") as g:
        f.write("x")
        g.write("y")
        f.flush()
        g.flush()
        aged(busy, GRACE + 60)
        aged(spool / "000001.arrow", GRACE + 60)
        assert clean_leftovers([tmp_path]) == []
    assert set(clean_leftovers([tmp_path])) == {busy, spool}  # closed: the writer was killed
    assert not busy.exists() and not spool.exists()


def test_a_finished_atomic_write_leaves_nothing_to_clean(tmp_path):
    atomic_write_text(tmp_path / "a.summary.md", "done")
    assert clean_leftovers([tmp_path], now=time.time() + MAX_AGE * 2) == []
    assert (tmp_path / "a.summary.md").read_text() == "done"


def test_temporaries_named_by_their_process_go_when_it_is_over(tmp_path):
    import subprocess
    import sys

    from tokopt_pipeline.lib.outputs import temp_path

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    dead = tmp_path / f".ci.summary.md.tokopt-{gone}-0badc0de.tmp"  # its process has ended
    dead.write_text("half a summ")
    dead_spool = tmp_path / f".t.csv.tokopt-{gone}-0badc0df.tmp"
    dead_spool.mkdir()
    (dead_spool / "000000.arrow").write_bytes(b"ARROW1")
    own = temp_path(tmp_path / "mine.summary.md")  # this process is still writing it
    own.write_text("being written")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        running = tmp_path / f".x.summary.md.tokopt-{alive.pid}-0badc0e0.tmp"
        running.write_text("being written by another run")
        try:
            removed = clean_leftovers([tmp_path])
        finally:
            alive.kill()
    assert set(removed) == {dead, dead_spool}
    assert own.exists() and running.exists()
