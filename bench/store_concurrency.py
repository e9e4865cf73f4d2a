"""Concurrent writers on the store, on each backend: how many runs were recorded, how
many transient errors were retried, how many failed, and the wall time.

``--workers`` processes (default 8) each summarize their share of ``--runs`` small
pytest logs (default 24) as ``tokopt LOG --store-memory --track-usage`` does, and
rebuild the error entities after each run, all started at once
(:mod:`tokopt_pipeline_tests.store_load`).

* DuckDB: a new file in a temporary folder. One writer at a time; a writer that does
  not get the file's lock within ``TOKOPT_LOCK_TIMEOUT`` (here 30 s) leaves its write in
  the pending folder (``pending`` counts what is left there at the end).
* PostgreSQL: a cluster started on loopback for the run (Debian's ``postgresql``
  binaries; ``initdb`` in a temporary folder), or the server of ``--url``. Writers wait
  for an advisory lock per store; transient errors are retried (``retries``).

usage: python bench/store_concurrency.py [--workers 8] [--runs 24] [--url postgresql://...]
       [--backend duckdb|postgres|both]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tokopt_pipeline_tests.store_load import make_logs, run_writers  # noqa: E402


def measure(backend: str, workers: int, runs: int, url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="tokopt-bench-") as tmp:
        root = Path(tmp)
        logs = make_logs(root / "logs", runs)
        env = {"TOKOPT_LOG_DIR": str(root / "logs"), "TOKOPT_LOCK_TIMEOUT": "30",
               "TOKOPT_DUCKDB_PATH": str(root / "s.duckdb"), "TOKOPT_PENDING_DIR": str(root / "pending")}
        cluster = None
        if backend == "postgres":
            if url is None:
                from tokopt_pipeline_tests.pg_cluster import Cluster

                cluster = Cluster.start()
                url = cluster.new_schema("postgres", "bench")
            env["TOKOPT_STORE_URL"] = url
        try:
            figures = run_writers(logs, workers=workers, env=env, out=root / "out")
        finally:
            if cluster is not None:
                cluster.stop()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--url", help="a PostgreSQL store URL (default: a cluster started for the run)")
    ap.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    args = ap.parse_args()
    backends = ["duckdb", "postgres"] if args.backend == "both" else [args.backend]
    print(f"{args.workers} writer processes, {args.runs} runs (summary + memory + usage, then error entities rebuilt)")
    print(f"{'backend':<10}{'ops':>6}{'retries':>9}{'errors':>8}{'pending':>9}{'wall s':>9}{'runs/s':>8}")
    failed = False
    for backend in backends:
        f = measure(backend, args.workers, args.runs, args.url)
        print(f"{backend:<10}{f['ops']:>6}{f['retries']:>9}{len(f['errors']):>8}{f['pending']:>9}{f['wall']:>9.2f}"
              f"{f['ops'] / f['wall']:>8.2f}")
        for e in f["errors"][:5]:
            print(f"  error: {e}")
        failed |= bool(f["errors"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
