"""Build ``old_store.duckdb.gz``: a store written by an older tokopt (schema 20, two
usage ledgers: ``usage_records`` and ``runs``), and ``old_store.expected.json``: the
figures that tokopt showed for it, for the test that the store still opens, migrates
and shows the same figures (tokopt_pipeline_tests/lib/store/test_migrations.py).

Run with the older code on the path, from any folder:

    PYTHONPATH=/path/to/old/checkout python tokopt_pipeline_tests/data/store/make_old_store.py OUT_DIR

What it records, through the older command and its store operations: four summaries
of two small pytest -v logs (with --store-memory and --track-usage, with --track-usage
only, and plain), one --no-store --track-usage run, usage records dated 3 and 12 days
back, saved monitoring settings and the alert a run over the threshold raised.

The committed files were made with the code of commit 9f1a5ca (schema 20).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

OK_LOG = """============================= test session starts ==============================
collected 4 items

tests/test_a.py::test_one PASSED                                         [ 25%]
tests/test_a.py::test_two PASSED                                         [ 50%]
tests/test_b.py::test_flip PASSED                                        [ 75%]
tests/test_b.py::test_three PASSED                                       [100%]

============================== 4 passed in 0.12s ===============================
"""

BAD_LOG = """============================= test session starts ==============================
collected 4 items

tests/test_a.py::test_one PASSED                                         [ 25%]
tests/test_a.py::test_two PASSED                                         [ 50%]
tests/test_b.py::test_flip FAILED                                        [ 75%]
tests/test_b.py::test_three PASSED                                       [100%]

=================================== FAILURES ===================================
__________________________________ test_flip ___________________________________

    def test_flip():
>       assert connect("db", port=5432)
E       ConnectionError: database connection refused on port 5432

tests/test_b.py:9: ConnectionError
=========================== short test summary info ============================
FAILED tests/test_b.py::test_flip - ConnectionError: database connection refused on port 5432
========================= 1 failed, 3 passed in 0.31s ==========================
"""


def tokopt(out: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "tokopt_pipeline", *args], cwd=out, check=True, capture_output=True)


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.environ["TOKOPT_DUCKDB_PATH"] = str(out / "old_store.duckdb")
    os.environ["TOKOPT_PENDING_DIR"] = str(out / "pending")
    (out / "unit-1.log").write_text(BAD_LOG)
    (out / "unit-2.log").write_text(OK_LOG)
    (out / "unit-3.log").write_text(BAD_LOG)
    (out / "nightly.log").write_text(BAD_LOG)
    tokopt(out, "unit-1.log", "--store-memory", "--track-usage", "--suite", "unit", "--commit", "aaaa1111")
    tokopt(out, "unit-2.log", "--store-memory", "--track-usage", "--suite", "unit", "--commit", "bbbb2222")
    tokopt(out, "unit-3.log", "--store-memory", "--track-usage", "--suite", "unit", "--commit", "cccc3333")
    tokopt(out, "nightly.log", "--track-usage", "--token-budget", "300")
    tokopt(out, "nightly.log")
    tokopt(out, "unit-2.log", "--no-store", "--track-usage", "--suite", "e2e")

    from tokopt_pipeline.lib.store.db import Store
    from tokopt_pipeline.lib.usage import ledger

    store = Store.from_env()
    store.write("usage_monitor", {"enabled": True, "email": "oncall@example.com", "warning": 80.0, "critical": 95.0})
    now = datetime.utcnow().replace(microsecond=0)
    for days, component, tout in ((3, "unit", 700), (12, "e2e", 950)):
        store.write("usage_record", {
            "run_id": f"usage-old-{days}", "recorded_at": (now - timedelta(days=days)).isoformat(), "log_path": f"/ci/{component}.log",
            "component": component, "tokens_in": 20_000, "tokens_in_exact": True, "tokens_out": tout, "budget": 1000,
            "reduction_pct": round(100 * (1 - tout / 20_000), 2), "budget_pct": tout / 10, "sections": {"errors": 1},
        })
    store.write("refresh_usage", {})
    at = now + timedelta(seconds=5)
    with store.connect() as conn:
        report = ledger.usage_report(conn, now=at)
        rollup = ledger.rollup_figures(conn)
        history = ledger.usage_history(conn)
        results = conn.execute("SELECT run_id, test_id, outcome FROM mem_test_results ORDER BY ALL").fetchall()
        version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        alerts = conn.execute("SELECT component, level, run_id FROM usage_alerts ORDER BY ALL").fetchall()
        flaky = [r[0] for r in conn.execute("SELECT name FROM mem_entities WHERE flaky ORDER BY 1").fetchall()]
    expected = {
        "schema": version, "now": at.isoformat(), "report": report, "text": ledger.format_report(report),
        "rollup_all_time": {k: v for k, v in rollup.items() if k.endswith("_total") or k == "files"},
        "history": [{**h, "recorded_at": str(h["recorded_at"])} for h in history],
        "test_results": [list(r) for r in results], "alerts": [list(a) for a in alerts], "flaky": flaky,
    }
    (out / "old_store.expected.json").write_text(json.dumps(expected, indent=1, default=str) + "\n")
    with open(out / "old_store.duckdb", "rb") as src, gzip.open(out / "old_store.duckdb.gz", "wb", compresslevel=9) as dst:
        shutil.copyfileobj(src, dst)


if __name__ == "__main__":
    main()
