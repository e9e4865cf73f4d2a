"""What a baseline (the last green run) buys a failing run's summary, per real suite.

For each suite of ``tokopt_pipeline_tests/data/baseline/`` (a pytest package, a Go
module, a Rust crate, a node:test suite, each run once passing and once with faults
injected; see SOURCE.md there), the failing run's log is summarized at 2,000 tokens
without a baseline and with ``--baseline-log`` set to the passing run's log, and the
script prints:

* ``tokens``: the summary's exact size, without and with;
* ``green``: the summary's tokens spent on lines the passing run also had, without
  and with, and how much less that is with the baseline. A summary item (a template,
  an error) counts as such when the log line it cites first, masked as the template
  miner masks lines, is also one of the passing log's lines masked the same way: a
  line-by-line test of its own, independent of the baseline's fingerprints;
* ``failures``: the failing tests the runner itself reported (its own markers:
  ``FAILED x``, ``--- FAIL: x``, ``test x ... FAILED``, ``not ok N - x``) found in the
  summary, without and with;
* ``demoted``: lines (and about how many input tokens) the baseline demoted.

    python bench/baseline.py [--budget 2000] [--format markdown]

Exit status 1 when a summary loses a failure or the baseline saves less than 30%.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tokopt_pipeline_tests" / "data" / "baseline"
SUITES = ("pytest", "go", "cargo", "node")
#: The least share of "green" tokens the baseline must save.
TARGET = 0.30

#: Each runner's own words for a failing test, and the name they give.
FAILURE_MARKERS = {
    "pytest": re.compile(r"^FAILED (\S+?)(?: - |$)", re.M),
    "go": re.compile(r"^\s*--- FAIL: (\S+)", re.M),
    "cargo": re.compile(r"^test (\S+) \.\.\. FAILED$", re.M),
    "node": re.compile(r"^\s*not ok \d+ - (.+)$", re.M),
}
#: The sections whose items quote the log's lines (not the runs, the failing tests or
#: the failing steps, which no baseline demotes).
LINE_SECTIONS = ("Errors", "Critical lines", "Error lines", "Warnings", "Other activity", "Debug")
_CITED = re.compile(r"\(lines? (\d[\d,]*)|, lines? (\d[\d,]*)(?:–\d[\d,]*)?$", re.M)


def read(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace")


def log_of(suite: str, kind: str) -> Path:
    for name in (f"{suite}-{kind}.log", f"{suite}-{kind}.log.gz"):
        if (DATA / name).is_file():
            return DATA / name
    raise SystemExit(f"no {suite}-{kind}.log under {DATA}: see its SOURCE.md")


def masked_lines(text: str) -> list[str]:
    import polars as pl

    from tokopt_pipeline.lib.engine.templates import mask_series

    lines = text.split("\n")
    return [" ".join(str(m or "").split()) for m in mask_series(pl.Series("line", lines, dtype=pl.Utf8)).to_list()]


def blocks(summary: str) -> list[tuple[str, str]]:
    """The summary's items in the sections that quote log lines: (section, text), an
    item being a top-level bullet and the indented lines under it."""
    out: list[tuple[str, str]] = []
    section = ""
    for line in summary.split("\n"):
        if line.startswith("## "):
            section = line[3:].split(" (")[0]
            continue
        if section not in LINE_SECTIONS:
            continue
        if line.startswith("- ") and not line.startswith("- … "):
            out.append((section, line))
        elif line.startswith("  ") and out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + line)
    return out


def green_tokens(summary: str, failing: list[str], green: set[str]) -> int:
    """Tokens of the summary's items whose first cited line the passing log also had."""
    from tokopt_pipeline.lib.engine import tokens as tok

    total = 0
    for _, text in blocks(summary):
        m = _CITED.search(text.split("\n")[0])
        if not m:
            continue
        line_no = int((m.group(1) or m.group(2)).replace(",", ""))
        if 1 <= line_no <= len(failing) and failing[line_no - 1] in green:
            total += tok.count(text + "\n")
    return total


def measure(suite: str, budget: int, fmt: str) -> dict[str, object]:
    from tokopt_pipeline.lib.engine.summarize import summarize
    from tokopt_pipeline.lib.settings.options import SummaryOptions

    passing, failing = log_of(suite, "pass"), log_of(suite, "fail")
    fail_text = read(failing)
    green = set(masked_lines(read(passing)))
    fail_masked = masked_lines(fail_text)
    failures = sorted(set(FAILURE_MARKERS[suite].findall(fail_text)))
    out: dict[str, object] = {"suite": suite, "failures": len(failures)}
    for mode, opts in (("without", SummaryOptions(token_budget=budget, fmt=fmt)),
                       ("with", SummaryOptions(token_budget=budget, fmt=fmt, baseline_log=str(passing)))):
        s = summarize(str(failing), opts)
        assert s.tokens_out <= budget, (suite, mode, s.tokens_out)
        out[f"tokens_{mode}"] = s.tokens_out
        out[f"green_{mode}"] = green_tokens(s.text, fail_masked, green) if fmt == "markdown" else None
        out[f"kept_{mode}"] = sum(1 for f in failures if _named(f, s.text))
        out[f"critical_omitted_{mode}"] = s.critical_omitted
        if mode == "with":
            out["demoted_lines"] = s.analysis.baseline.get("lines", 0)
            out["demoted_tokens"] = s.analysis.baseline.get("tokens", 0)
    gw, gb = out["green_without"], out["green_with"]
    if isinstance(gw, int) and isinstance(gb, int):
        out["saved"] = (1 - gb / gw) if gw else 0.0
    return out


def _named(failure: str, summary: str) -> bool:
    """Whether the summary names a failing test: its whole id, or the part after the
    file (``test_x[3]``, ``TestApply/amount=70``, ``tests::split_uneven``)."""
    parts = [failure, failure.split("::", 1)[-1], failure.rsplit("::", 1)[-1]]
    return any(p and p in summary for p in parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--format", default="markdown", choices=["markdown", "json", "text"])
    args = ap.parse_args()
    rows = [measure(s, args.budget, args.format) for s in SUITES]
    print(f"budget {args.budget:,} tokens, {args.format}; green = summary tokens on lines the passing run also had")
    print(f"{'suite':<8}{'tokens w/o':>11}{'with':>7}{'green w/o':>11}{'with':>7}{'saved':>8}"
          f"{'failures w/o':>14}{'with':>7}{'demoted lines':>15}{'≈tokens':>9}")
    ok = True
    for r in rows:
        saved = r.get("saved")
        print(f"{r['suite']:<8}{r['tokens_without']:>11,}{r['tokens_with']:>7,}"
              f"{_n(r['green_without']):>11}{_n(r['green_with']):>7}{(f'{saved:.0%}' if isinstance(saved, float) else '-'):>8}"
              f"{r['kept_without']!s:>9}/{r['failures']!s:<4}{r['kept_with']!s:>4}/{r['failures']!s:<4}"
              f"{r['demoted_lines']:>13,}{r['demoted_tokens']:>9,}")
        ok = ok and r["kept_with"] == r["failures"] and r["critical_omitted_with"] == 0
        ok = ok and (not isinstance(saved, float) or saved >= TARGET)
    return 0 if ok else 1


def _n(v: object) -> str:
    return f"{v:,}" if isinstance(v, int) else "-"


if __name__ == "__main__":
    raise SystemExit(main())
