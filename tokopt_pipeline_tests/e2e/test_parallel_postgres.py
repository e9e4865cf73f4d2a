"""The deployment of deploy/ running in parallel, end to end: `dagster dev` (webserver and
daemon) on the instance of deploy/dagster.yaml, its run, event log and schedule storage
and the tokopt store both on a real PostgreSQL 15 on loopback.

Twelve logs dropped at once become twelve runs, at most four at a time. One run's worker
is killed with SIGKILL while it works; the code server that started it notices, run
retries start it again, and its partition is still materialized once, with no row twice.
Every run's blocking checks pass, and the memory's marks (errors never seen before
**new**) are those of the same logs summarized one after the other. The cross-log
automation's runs (no partition) may come and go meanwhile; they are not logs' runs.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from tokopt_pipeline_tests.conftest import postgres_store_url
from tokopt_pipeline_tests.store_load import make_logs, summarize_one

from .dagster_dev import REPO, dagster_dev, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOGS = 12
MAX_RUNS = 4
BLOCKING = {"summary_within_budget", "critical_events_represented"}
PARTITIONED = ("raw_logs", "priority_chunks", "budget_trimmed_summaries")
PID = re.compile(r"Started process for run \(pid: (\d+)\)")
WAIT_DONE = 420  # seconds for every run to end
SUMMARY_STEP = '"budget_trimmed_summaries'  # in the message of the summary step's start and its checks'
ENDED = {"RunSuccessEvent", "RunFailureEvent", "RunCanceledEvent"}
WORKING = ("QUEUED", "STARTING", "STARTED", "CANCELING")


def _instance_yaml(tmp_path: Path) -> Path:
    """deploy/dagster.yaml as it is, but for the monitoring's pace: a dead worker is
    noticed within seconds instead of a minute."""
    text = (REPO / "deploy" / "dagster.yaml").read_text()
    assert "poll_interval_seconds: 60" in text and f"max_concurrent_runs: {MAX_RUNS}" in text
    out = tmp_path / "dagster.yaml"
    out.write_text(text.replace("poll_interval_seconds: 60", "poll_interval_seconds: 5"))
    return out


class Killer(threading.Thread):
    """Kills, with SIGKILL, the run worker of the first log's run seen working: the pid the
    worker reports in the run's event log ("Started process for run (pid: N)"), once the
    run is STARTED and has started a step but not yet its summary step (so it cannot end
    between the look and the kill), and only when /proc shows that pid is a run worker of
    this ``dagster dev`` (a process the code server spawned, in its process group), never a
    process that reused the pid. What it did (or why not) is in :meth:`report`."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.killed: str | None = None
        self.pid: int | None = None
        self.process = ""  # the killed process as /proc showed it just before
        self.at: float | None = None
        self.looks = 0
        self.passed: Counter[str] = Counter()  # pids seen but not killed, by reason
        self.errors: Counter[str] = Counter()
        self.last_error = ""
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set() and self.killed is None:
            self.looks += 1
            try:
                for run in self.server.runs():
                    if run["status"] != "STARTED" or not run["tags"].get("dagster/partition"):
                        continue
                    events = self.server.run_events(run["run_id"])
                    pid = next((int(m.group(1)) for e in events for m in [PID.search(e.get("message") or "")] if m), None)
                    steps = [e.get("message") or "" for e in events if e["__typename"] == "ExecutionStepStartEvent"]
                    if not pid or not steps:
                        continue
                    if any(SUMMARY_STEP in m for m in steps) or any(e["__typename"] in ENDED for e in events):
                        self.passed["run too far along"] += 1
                        continue
                    why_not = _not_a_run_worker(pid, self.server.proc.pid)
                    if why_not:
                        self.passed[why_not] += 1
                        continue
                    self.process = _process(pid)
                    os.kill(pid, signal.SIGKILL)
                    self.killed, self.pid, self.at = run["run_id"], pid, time.time()
                    return
            except Exception as exc:  # the server busy or the process gone: look again
                self.errors[type(exc).__name__] += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            time.sleep(0.3)

    def report(self) -> str:
        done = f"killed pid {self.pid} of run {self.killed} at {self.at:.1f} ({self.process})" if self.killed else "killed nothing"
        return (f"killer: {done}; {'alive' if self.is_alive() else 'stopped'} after {self.looks} looks; "
                f"passed over {dict(self.passed)}; errors {dict(self.errors)}{'; last: ' + self.last_error if self.last_error else ''}")


def _not_a_run_worker(pid: int, group: int) -> str | None:
    """Why ``pid`` is not a run worker of the ``dagster dev`` whose process group is
    ``group`` (None when it is one): a worker is a multiprocessing child of the code
    server (``dagster api grpc``), in the group."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        ppid = int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("PPid:")))
        parent = Path(f"/proc/{ppid}/cmdline").read_bytes()
        pgid = os.getpgid(pid)
    except (OSError, StopIteration, ValueError):
        return "process gone"
    if pgid != group:
        return "not in dagster dev's process group"
    if b"multiprocessing" not in cmd or b"dagster\0api\0grpc" not in parent:
        return "not a child of the code server"
    return None


def _process(pid: int) -> str:
    """pid, parent pid and command line of a process, as /proc shows them ("gone" when it is not there)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        ppid = next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("PPid:"))
    except (OSError, StopIteration):
        return f"pid {pid} gone"
    return f"pid {pid} ppid {ppid}: {cmd[:200]}"


def _state(server, killer: Killer, t0: float) -> str:
    """What the runs, the pools, the killer and the processes of ``dagster dev`` were
    doing: the report of a wait that timed out."""
    def at(t):
        return "-" if t is None else f"{t - t0:+.1f}s"

    lines = [killer.report()]
    runs = sorted(server.runs(), key=lambda r: r["start"] or float("inf"))
    lines.append(f"runs ({len(runs)}; times from the logs' drop):")
    for r in runs:
        tags = r["tags"]
        lines.append(
            f"  {r['run_id'][:8]} {r['status']:<9} {r['job']:<20} partition={tags.get('dagster/partition')} "
            f"by={tags.get('dagster/sensor_name') or tags.get('dagster/schedule_name') or '-'} "
            f"parent={(tags.get('dagster/parent_run_id') or '-')[:8]} retry={tags.get('dagster/retry_number', '-')} "
            f"start={at(r['start'])} end={at(r['end'])}"
        )
    for pool in server.pools():
        lines.append(f"pool {pool['concurrencyKey']}: {pool['slotCount']} slots (limit {pool['limit']})")
        lines += [f"  claimed {c['runId'][:8]} {c['stepKey']}" for c in pool["claimedSlots"]]
        lines += [f"  pending {p['runId'][:8]} {p['stepKey']} enqueued={at(p['enqueuedTimestamp'])} "
                  f"assigned={at(p['assignedTimestamp'])}" for p in pool["pendingSteps"]]
    for r in runs:
        if r["status"] in ("STARTING", "STARTED", "CANCELING"):
            lines.append(f"last events of {r['run_id'][:8]} ({r['status']}):")
            lines += [f"  {e['__typename']}: {(e.get('message') or '')[:200]}" for e in server.run_events(r["run_id"])[-12:]]
    ps = subprocess.run(["ps", "-ww", "-o", "pid,ppid,stat,etimes,args", "-g", str(server.proc.pid)], capture_output=True, text=True)
    lines.append("processes of dagster dev:\n" + "\n".join(line[:220] for line in ps.stdout.splitlines()))
    return "\n".join(lines)


def _log_runs(runs: list[dict]) -> list[dict]:
    """The runs of one log each (they have a partition), not those of the cross-log
    automation or of a schedule."""
    return [r for r in runs if r["tags"].get("dagster/partition")]


def _most_at_once(runs: list[dict]) -> int:
    edges = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_twelve_logs_at_once_on_postgres_lose_nothing_and_survive_a_killed_worker(pg_cluster, tmp_path, monkeypatch):
    from tokopt_pipeline.lib.store.db import Store

    store_url = postgres_store_url(pg_cluster)
    instance_db = f"dagster_{os.getpid()}"
    pg_cluster.new_database(instance_db)
    env = {
        "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(pg_cluster.port), "DAGSTER_PG_USER": "tokopt",
        "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": instance_db,
        "TOKOPT_STORE_URL": store_url, "TOKOPT_EXECUTOR": "in_process", "TOKOPT_LOCK_TIMEOUT": "30",
    }
    logs = make_logs(tmp_path / "made", LOGS)
    with dagster_dev(tmp_path / "dev", instance=_instance_yaml(tmp_path), env=env) as server:
        server.log_dir.mkdir(exist_ok=True)
        for log in logs:  # all at once, each whole when it appears (renamed in)
            os.replace(log, server.log_dir / log.name)
        t0 = time.time()
        killer = Killer(server)
        killer.start()

        keys = {log.name for log in logs}

        def all_partitions_done():
            # Every log's partition has a successful run, and no run is left working: the
            # logs' runs, and the runs the cross-log automation (error_entities,
            # token_usage_metrics: no partition) starts once the summaries are in.
            runs = server.runs()
            ok = {r["tags"]["dagster/partition"] for r in _log_runs(runs) if r["status"] == "SUCCESS"}
            return runs if ok == keys and not [r for r in runs if r["status"] in WORKING] else None

        # Below the test's own timeout (600 s, pyproject.toml), so that a wait that never
        # ends reports the runs, the pools and the killer.
        runs = wait_for(all_partitions_done, f"{LOGS} partitions summarized", timeout=WAIT_DONE, log=server.server_log,
                        describe=lambda: _state(server, killer, t0))
        killer.stop.set()

        # The instance the runs went through is the one on the server.
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with dg.DagsterInstance.from_config(str(server.home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert {r.run_id for r in instance.get_runs()} >= {r["run_id"] for r in runs}

        # The killed run failed and was started again once, as a retry of it.
        assert killer.killed, killer.report()
        by_id = {r["run_id"]: r for r in runs}
        assert by_id[killer.killed]["status"] == "FAILURE", killer.report()
        retries = [r for r in runs if r["tags"].get("dagster/parent_run_id") == killer.killed]
        assert len(retries) == 1 and retries[0]["status"] == "SUCCESS", retries
        failed = [r for r in runs if r["status"] != "SUCCESS" and r["run_id"] != killer.killed]
        assert failed == [], [server.run_errors(r["run_id"]) for r in failed]

        # Every partition of every partitioned asset materialized; once, but for the step
        # the worker died in (its materialization may have been written before its success
        # was: the retry runs that step again and it rewrites the same store rows).
        killed_key = by_id[killer.killed]["tags"]["dagster/partition"]
        for asset in PARTITIONED:
            counts = Counter(m["partition"] for m in server.materializations(asset))
            assert set(counts) == keys, asset
            assert all(n == 1 for k, n in counts.items() if k != killed_key) and counts[killed_key] <= 2, (asset, counts)
        succeeded = [r for r in _log_runs(runs) if r["status"] == "SUCCESS"]
        assert len(succeeded) == LOGS
        for run in succeeded:
            checks = server.check_results(run["run_id"])
            assert all(checks.get(name) for name in BLOCKING), (run["tags"]["dagster/partition"], checks)

        # In parallel, within the limit.
        most = _most_at_once(succeeded + [by_id[killer.killed]])
        assert 3 <= most <= MAX_RUNS, (most, sorted((round(r["start"] % 1000, 1), round(r["end"] % 1000, 1)) for r in succeeded))
        assert "StoreBusy" not in server.server_log.read_text(errors="replace")

    # The store: one run of each log, nothing twice, nothing lost.
    monkeypatch.setenv("TOKOPT_STORE_URL", store_url)
    with Store.from_env().connect() as conn:
        def rows(sql):
            return conn.execute(sql).fetchall()

        assert sorted(k for (k,) in rows("SELECT file_key FROM runs")) == sorted(keys)
        assert rows("SELECT count(*) FROM summaries")[0][0] == LOGS
        assert rows("SELECT count(*) FROM analyses")[0][0] == LOGS
        assert rows("SELECT count(*) FROM usage_ledger")[0][0] == LOGS
        assert [s for (s,) in rows("SELECT seq FROM mem_runs ORDER BY seq")] == list(range(1, LOGS + 1))
        order = [Path(p).name for (p,) in rows("SELECT log_path FROM mem_runs ORDER BY seq")]
        marks = {Path(p).name: n for p, n in rows("SELECT log_path, new_errors FROM mem_runs")}
        assert rows("SELECT count(*) FROM (SELECT run_seq, test_key FROM mem_results GROUP BY run_seq, test_key HAVING count(*) > 1) d")[0][0] == 0

    # The same logs summarized one after the other, in the order they were recorded.
    monkeypatch.setenv("TOKOPT_STORE_URL", postgres_store_url(pg_cluster))
    monkeypatch.chdir(tmp_path)
    serial_logs = tmp_path / "dev" / "incoming"
    for name in order:
        summarize_one(serial_logs / name, tmp_path / "serial", suite=None)
    with Store.from_env().connect() as conn:
        serial = {Path(p).name: n for p, n in conn.execute("SELECT log_path, new_errors FROM mem_runs").fetchall()}
    assert marks == serial and sum(marks.values()) > 0
