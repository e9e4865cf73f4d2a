"""Scores of `tokopt` summaries on real logs of many ecosystems, against their tools'
machine-readable output.

Each case is a folder of ``tokopt_pipeline_tests/data/ecosystems/`` holding the console
output of a real run (``job.log``) and ``truth.json``, derived by the case's generator
(``bench/ecosystems/<eco>.sh``) from what the tools wrote as JSON or JUnit XML: the
failing tests, the error locations (``file:line``), the error codes, the totals lines
and, for pytest, the distinct exception type and message pairs. A fact counts when its
text appears verbatim in the summary (a pytest node id also when its file and its own
name stand on one line: a test listed under its file). Prints one row per case and budget, then the
mean of each recall per budget.

usage: python bench/ecosystem_scores.py [--budgets 1000,4000,8000] [--cases DIR]
                                        [--misses] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tokopt_pipeline.lib.engine.summarize import summarize  # noqa: E402
from tokopt_pipeline.lib.settings.options import SummaryOptions  # noqa: E402

CASES = ROOT / "tokopt_pipeline_tests" / "data" / "ecosystems"
KINDS = ("failing_tests", "error_locations", "error_codes", "totals", "exceptions")


def cases(root: Path = CASES) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/truth.json") if (p.parent / "job.log").exists())


def facts(truth: dict) -> dict[str, list[str]]:
    """The facts of a case, by kind, each a string to find verbatim (an exception is
    found when its type and its message both are)."""
    out = {k: [str(x) for x in truth.get(k) or []] for k in KINDS if k != "exceptions"}
    out["exceptions"] = [f"{t}\x00{m}" for t, m in truth.get("exceptions") or []]
    return out


def found(fact: str, text: str, kind: str = "") -> bool:
    if "\x00" in fact:
        return all(part.strip() in text for part in fact.split("\x00") if part.strip())
    fact = fact.strip()
    if fact in text:
        return True
    if kind == "failing_tests" and "::" in fact:
        # pytest ids: shown under their file by their own name ("file ... Class: name")
        file, name = fact.split("::")[0], fact.split("::")[-1]
        return any(file in line and name in line for line in text.splitlines())
    return False


def score_case(case: Path, budget: int) -> dict | None:
    try:
        truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    except FileNotFoundError:  # the case is being written anew
        return None
    s = summarize(str(case / "job.log"), SummaryOptions(token_budget=budget))
    row = {"case": case.name, "budget": budget, "tokens": s.tokens_out, "within": s.tokens_out <= budget, "misses": {}}
    for kind, items in facts(truth).items():
        if not items:
            row[kind] = None
            continue
        missed = [x for x in items if not found(x, s.text, kind)]
        row[kind] = round(1 - len(missed) / len(items), 4)
        if missed:
            row["misses"][kind] = [x.replace("\x00", " | ") for x in missed]
    return row


def mean(rows: list[dict], kind: str) -> float | None:
    vals = [r[kind] for r in rows if r.get(kind) is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budgets", default="1000,4000,8000")
    ap.add_argument("--cases", default=str(CASES), help="folder of case folders (job.log + truth.json)")
    ap.add_argument("--misses", action="store_true", help="list the facts each summary lost")
    ap.add_argument("--json", action="store_true", help="one JSON line per case and budget")
    a = ap.parse_args()
    budgets = [int(b) for b in a.budgets.split(",")]
    todo = [(c, b) for b in budgets for c in cases(Path(a.cases))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = [r for r in pool.map(lambda cb: score_case(*cb), todo) if r is not None]
    short = {"failing_tests": "tests", "error_locations": "locations", "error_codes": "codes", "totals": "totals",
             "exceptions": "exceptions"}
    if not a.json:
        print(f"{'case':34} {'budget':>6} {'tokens':>6}  " + "  ".join(f"{short[k]:>10}" for k in KINDS))
    for r in rows:
        if a.json:
            print(json.dumps(r))
            continue
        cells = "  ".join(f"{'-' if r[k] is None else format(r[k], '.2f'):>10}" for k in KINDS)
        print(f"{r['case']:34} {r['budget']:>6} {r['tokens']:>6}  {cells}{'' if r['within'] else '  OVER BUDGET'}")
        if a.misses:
            for kind, missed in r["misses"].items():
                for m in missed:
                    print(f"    missed {short[kind]}: {m[:150]}")
    for b in budgets:
        sel = [r for r in rows if r["budget"] == b]
        line = {"budget": b, "cases": len(sel), "over_budget": sum(1 for r in sel if not r["within"])}
        line.update({short[k]: mean(sel, k) for k in KINDS})
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
