"""Grouping accuracy of the template miner on the 16 loghub samples, and masking speed.

Runs `mine()` on each raw ``corpus/loghub/*_2k.log`` (whole lines, headers included),
writes one predicted CSV per sample, scores it with ``eval/grouping_accuracy.py`` and
prints a table and the average. Exits 1 when the average is below 0.85.

Then times `mask_series` on a ~100 MB Series of loghub lines whose digits are
randomized (so repeated lines are not identical). Measured on the 2-core dev machine:
masking runs at 230-255 MB/s for 101 MB (one regex pass plus one folding pass, sliced over both cores).

usage: python bench/grouping.py            (TOKOPT_SHARED overrides the shared/ folder)
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokopt_pipeline.lib.engine.templates import mask_series, mine  # noqa: E402

TARGET = 0.85


def shared_dir() -> Path:
    """The shared/ folder next to the repository, or $TOKOPT_SHARED."""
    env = os.environ.get("TOKOPT_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


def read_lines(path: Path) -> list[str]:
    """Lines of a log exactly as the loghub line ids count them."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def grouping_accuracy(shared: Path, log: Path, out_dir: Path) -> float:
    """Mine one sample, write its predicted CSV and score it with the shared script."""
    ids, miner = mine(read_lines(log))
    pred = out_dir / f"{log.name}.pred.csv"
    with pred.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line_number", "template_id", "template"])
        for n, tid in enumerate(ids.to_list(), start=1):
            w.writerow([n, tid, miner.template(tid)])
    structured = log.with_name(log.name + "_structured.csv")
    done = subprocess.run(
        [sys.executable, str(shared / "eval" / "grouping_accuracy.py"), str(structured), str(pred)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout)["grouping_accuracy"]


def evaluate(shared: Path) -> dict[str, float]:
    """Grouping accuracy per loghub sample, by dataset name."""
    logs = sorted((shared / "corpus" / "loghub").glob("*_2k.log"))
    with tempfile.TemporaryDirectory() as tmp:
        return {log.name.removesuffix("_2k.log"): grouping_accuracy(shared, log, Path(tmp)) for log in logs}


def masking_throughput(shared: Path, megabytes: int = 100) -> tuple[float, float]:
    """(MB masked, MB/s) over a Series of loghub lines with randomized digits."""
    lines: list[str] = []
    for log in sorted((shared / "corpus" / "loghub").glob("*_2k.log")):
        lines += read_lines(log)
    base = pl.Series("line", lines)
    reps = megabytes * 1_000_000 // max(1, int(base.str.len_bytes().sum())) + 1
    big = pl.concat([base] * reps, rechunk=True)
    digits = pl.Series("d", [str(d) for d in range(10)]).sample(len(big), with_replacement=True, seed=7)
    big = pl.DataFrame({"line": big, "d": digits}).select(
        pl.col("line").str.replace_all(r"[0-9]", pl.col("d"))
    ).to_series()
    size = big.str.len_bytes().sum() / 1e6
    start = time.perf_counter()
    mask_series(big)
    return size, size / (time.perf_counter() - start)


def main() -> int:
    shared = shared_dir()
    if not (shared / "eval" / "grouping_accuracy.py").is_file():
        print(f"shared material not found at {shared} (set TOKOPT_SHARED)", file=sys.stderr)
        return 2
    scores = evaluate(shared)
    print(f"{'dataset':<12} {'GA':>6}")
    for name, ga in scores.items():
        print(f"{name:<12} {ga:>6.4f}")
    average = sum(scores.values()) / len(scores)
    print(f"{'average':<12} {average:>6.4f}   (target >= {TARGET})")
    size, speed = masking_throughput(shared)
    print(f"masking: {size:.0f} MB at {speed:.0f} MB/s")
    return 0 if average >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
