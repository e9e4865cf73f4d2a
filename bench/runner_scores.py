"""Scores of `tokopt` summaries on real test-suite logs of several kinds, at 1500/4000/76659.

The logs are made the way the tests make them (tokopt_pipeline_tests/lib/engine/test_runners.py):
real suites run in subprocesses — pytest ``-v -rfE`` and ``-q``, ``python -m unittest
-v``, and a GitHub Actions job log holding three pytest runs — plus the shared numpy
log. Each summary comes from the real command and is scored with the shared scorer
against the runs' JUnit XML. Prints one row per log and budget.

usage: python bench/runner_scores.py     (TOKOPT_SHARED overrides the shared/ folder)
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tokopt_pipeline_tests.conftest import NUMPY_JUNIT, NUMPY_LOG, SHARED  # noqa: E402
from tokopt_pipeline_tests.lib.engine import test_runners as runners  # noqa: E402

BUDGETS = (1500, 4000, 76659)


def scorer():
    spec = importlib.util.spec_from_file_location("score", SHARED / "eval" / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def unittest_log(root: Path) -> tuple[Path, Path]:
    import xml.etree.ElementTree as ET

    (root / "test_units.py").write_text(runners.UNITTEST_SUITE)
    done = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_units"], cwd=root, capture_output=True, text=True)
    log = root / "unittest.log"
    log.write_text(done.stderr)
    suite = ET.Element("testsuite")
    for cls, name, kind, typ, msg in runners.UNITTEST_FAILURES:
        tc = ET.SubElement(suite, "testcase", classname=f"test_units.{cls}", name=name)
        ET.SubElement(tc, kind, message=f"{typ}: {msg}")
    junit = root / "unittest.junit.xml"
    ET.ElementTree(suite).write(junit)
    return log, junit


def main() -> int:
    score = scorer().score
    with tempfile.TemporaryDirectory() as tmp:
        root = runners._write_suite(Path(tmp) / "suite")
        logs: list[tuple[str, Path, list[Path]]] = [("numpy (shared)", NUMPY_LOG, [NUMPY_JUNIT])]
        for kind, flags in (("pytest -v -rfE", ("-v", "-rfE")), ("pytest -q", ("-q",))):
            log, junit = root / f"{kind[-2:]}.log", root / f"{kind[-2:]}.xml"
            runners._run_pytest(root, log, junit, *flags)
            logs.append((kind, log, [junit]))
        ulog, ujunit = unittest_log(Path(tmp))
        logs.append(("unittest -v", ulog, [ujunit]))
        job, junits = runners.github_job(root)
        logs.append(("GitHub Actions, 3 runs", job, junits))

        print(f"{'log':<24} {'budget':>6} {'tokens':>6} {'tests':>5} {'test_r':>6} {'type_r':>6} {'msg_r':>6} {'totals_r':>8}")
        for name, log, js in logs:
            for budget in BUDGETS:
                out = Path(tmp) / "s.md"
                subprocess.run([sys.executable, "-m", "tokopt_pipeline", str(log), "--token-budget", str(budget), "--output", str(out)],
                               check=True, capture_output=True)
                s = score(out.read_text(encoding="utf-8"), [str(j) for j in js], budget, str(log))
                print(f"{name:<24} {budget:>6} {s['tokens']:>6} {s['tests']:>5} {s['test_recall']:>6} {s['type_recall']:>6} {s['msg_recall']:>6} {s['totals_recall']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
