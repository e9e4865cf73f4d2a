"""The loghub samples through the real command.

* Alerts: BGL and Thunderbird carry the loghub alert label in their first column
  (``-`` is a normal line). At ``--token-budget 2000`` every alert category must be
  represented in the summary. *Represented* means: some entry of the summary (a
  template or a real example line) holds the category's label and at least half of
  the constant words of the ground-truth template of one of that category's lines,
  so a reader sees both which alert it is and what it says. (The Thunderbird 2k
  sample holds no alert line; the test checks that this is so rather than assuming it.)
* Grouping: ``--export-templates`` of the command groups lines exactly as the miner
  that ``bench/grouping.py`` scores: same grouping accuracy, sample by sample.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tokopt_pipeline.lib.engine.templates import mine

pytestmark = pytest.mark.slow  # the command run on the loghub samples (6.5 s in all)


def _tokopt(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "tokopt_pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _alert_lines(shared_copy: Path, name: str) -> dict[str, list[dict]]:
    """Alert label -> its rows of the structured ground truth."""
    out: dict[str, list[dict]] = defaultdict(list)
    with open(shared_copy / "corpus" / "loghub" / f"{name}_2k.log_structured.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Label"] != "-":
                out[row["Label"]].append(row)
    return out


def _represented(summary_lines: list[str], label: str, rows: list[dict]) -> bool:
    for line in summary_lines:
        if not re.search(rf"(?<![\w-]){label}(?![\w-])", line):
            continue
        for row in rows:
            words = [w for w in row["EventTemplate"].split() if "<*>" not in w]
            if words and sum(1 for w in words if w in line) * 2 >= len(words):
                return True
    return False


@pytest.mark.parametrize("name,categories", [("BGL", 12), ("Thunderbird", 0)])
def test_every_alert_category_is_represented_at_2000_tokens(shared_copy, tmp_path, name, categories):
    log = shared_copy / "corpus" / "loghub" / f"{name}_2k.log"
    alerts = _alert_lines(shared_copy, name)
    assert len(alerts) == categories  # the sample is what this test believes it is
    out = tmp_path / "s.md"
    _tokopt(str(log), "--token-budget", "2000", "--output", str(out), cwd=tmp_path)
    text = out.read_text(encoding="utf-8")
    missing = [label for label, rows in alerts.items() if not _represented(text.splitlines(), label, rows)]
    assert missing == [], missing


def test_bgl_alerts_are_the_critical_lines(shared_copy, tmp_path):
    """Every alert line of BGL is tagged critical (FATAL/FAILURE severity in the line)."""
    log = shared_copy / "corpus" / "loghub" / "BGL_2k.log"
    out = tmp_path / "s.json"
    _tokopt(str(log), "--format", "json", "--output", str(out), cwd=tmp_path)
    doc = json.loads(out.read_text())
    alerts = sum(len(rows) for rows in _alert_lines(shared_copy, "BGL").values())
    assert doc["header"]["priority_counts"]["critical"] >= alerts


def _grouping_accuracy(shared_copy: Path, name: str, pred: Path) -> float:
    structured = shared_copy / "corpus" / "loghub" / f"{name}_2k.log_structured.csv"
    done = subprocess.run([sys.executable, str(shared_copy / "eval" / "grouping_accuracy.py"), str(structured), str(pred)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["grouping_accuracy"]


@pytest.mark.parametrize("name", ["HDFS", "BGL", "Linux", "OpenSSH", "Mac"])
def test_exported_templates_group_as_the_benchmark_measures(shared_copy, tmp_path, name):
    log = shared_copy / "corpus" / "loghub" / f"{name}_2k.log"
    exported = tmp_path / "templates.csv"
    _tokopt(str(log), "--output", str(tmp_path / "s.md"), "--export-templates", str(exported), cwd=tmp_path)
    with exported.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line_number", "template_id", "template"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 2001))
    # The benchmark's figure: the miner on the raw lines, as bench/grouping.py runs it.
    lines = log.read_text(encoding="utf-8", errors="replace").split("\n")
    lines = [line.removesuffix("\r") for line in (lines[:-1] if lines[-1] == "" else lines)]
    ids, miner = mine(lines)
    bench = tmp_path / "bench.csv"
    with bench.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line_number", "template_id", "template"])
        w.writerows([n, tid, miner.template(tid)] for n, tid in enumerate(ids.to_list(), start=1))
    assert _grouping_accuracy(shared_copy, name, exported) == _grouping_accuracy(shared_copy, name, bench)
