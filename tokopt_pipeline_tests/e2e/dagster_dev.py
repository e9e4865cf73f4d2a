"""Starting the real ``dagster dev`` (webserver + daemon) and talking to it over loopback."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tokopt_pipeline_tests.conftest import REPO

DAGSTER = REPO / ".venv" / "bin" / "dagster"
WAIT = 300  # seconds any single wait may take at most


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what: str, timeout: float = WAIT, log: Path | None = None, describe=None):
    """The first true value of ``predicate()``, polled every second; past ``timeout`` an
    AssertionError naming ``what``, with ``describe()`` (the state that was waited on)
    and the tail of ``log``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            state = ""
            if describe is not None:
                try:
                    state = describe()
                except Exception as exc:  # the report must not hide the timeout
                    state = f"(the state could not be read: {type(exc).__name__}: {exc})"
            raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s\n{state}\n{tail}")
        time.sleep(1)


class DagsterDev:
    """``dagster dev`` on a folder of its own. ``instance``: the dagster.yaml it runs with
    (the repository's by default); ``env``: variables added to its environment."""

    def __init__(self, root: Path, instance: Path = REPO / "dagster_home" / "dagster.yaml", env: dict | None = None):
        self.root = root
        self.instance = instance
        self.extra_env = env or {}
        self.home = root / "dagster_home"
        self.log_dir = root / "incoming"
        self.out_dir = root / "out"
        self.db = root / "store" / "tokopt.duckdb"
        self.pending = root / "pending"
        self.server_log = root / "dagster-dev.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict:
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "TOKOPT_LOG_DIR": str(self.log_dir),
            "TOKOPT_OUTPUT_DIR": str(self.out_dir),
            "TOKOPT_DUCKDB_PATH": str(self.db),
            "TOKOPT_PENDING_DIR": str(self.pending),
            "TOKOPT_SENSOR_INTERVAL": "3",
            **self.extra_env,
        }

    def start(self):
        self.home.mkdir(parents=True)
        self.log_dir.mkdir()
        shutil.copy(self.instance, self.home / "dagster.yaml")
        out = open(self.server_log, "wb")
        self.proc = subprocess.Popen(
            [str(DAGSTER), "dev", "-h", "127.0.0.1", "-p", str(self.port), "-w", str(REPO / "workspace.yaml")],
            cwd=REPO, env=self.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        wait_for(self._code_loaded, "dagster dev to serve the code location", log=self.server_log)

    def stop(self):
        if self.proc is None:
            return
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=grace)
                # The group may outlive its leader (daemon, code server, run workers).
                os.killpg(self.proc.pid, 0)
                time.sleep(1)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                if self.proc.poll() is not None:
                    try:
                        os.killpg(self.proc.pid, 0)
                    except ProcessLookupError:
                        break
        self.proc = None

    # -- HTTP -------------------------------------------------------------------
    def _code_loaded(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("dagster dev exited:\n" + self.server_log.read_text(errors="replace")[-4000:])
        try:
            data = self.graphql("{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { name } } } }")
        except (urllib.error.URLError, ConnectionError, OSError):
            return False
        return bool(data["repositoriesOrError"].get("nodes"))

    def post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        out = self.post("/graphql", {"query": query, "variables": variables or {}})
        if out.get("errors"):
            raise AssertionError(f"GraphQL errors: {out['errors']}")
        return out["data"]

    # -- queries ----------------------------------------------------------------
    def runs(self, sensor: str | None = None) -> list[dict]:
        """The runs (of ``sensor``, or all): id, status, start and end (epoch s) and tags."""
        q = """query($f: RunsFilter) { runsOrError(filter: $f) { __typename ... on Runs {
                 results { runId jobName status startTime endTime tags { key value } } } } }"""
        tags = [{"key": "dagster/sensor_name", "value": sensor}] if sensor else []
        data = self.graphql(q, {"f": {"tags": tags}})
        return [
            {"run_id": r["runId"], "job": r["jobName"], "status": r["status"], "start": r["startTime"], "end": r["endTime"],
             "tags": {t["key"]: t["value"] for t in r["tags"]}}
            for r in data["runsOrError"]["results"]
        ]

    def pools(self) -> list[dict]:
        """Each concurrency pool of the instance: its key, slot count and limit, the slots
        claimed (run id, step key) and the steps waiting for one (run id, step key, and
        ``assignedTimestamp`` once a slot was assigned to it)."""
        q = """{ instance { concurrencyLimits { concurrencyKey slotCount limit
                 claimedSlots { runId stepKey } pendingSteps { runId stepKey enqueuedTimestamp assignedTimestamp } } } }"""
        return self.graphql(q)["instance"]["concurrencyLimits"]

    def wait_for_runs(self, sensor: str, n: int) -> list[dict]:
        def done():
            runs = self.runs(sensor)
            failed = [r for r in runs if r["status"] in ("FAILURE", "CANCELED")]
            if failed:
                raise AssertionError(f"{sensor} run failed: {failed}\n" + self.run_errors(failed[0]["run_id"]))
            ok = [r for r in runs if r["status"] == "SUCCESS"]
            return ok if len(ok) >= n else None

        return wait_for(done, f"{n} successful {sensor} run(s)", log=self.server_log)

    def run_events(self, run_id: str) -> list[dict]:
        """The run's events so far: ``__typename`` and, where it has one, ``message``."""
        q = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events { __typename
                 ... on MessageEvent { message } } } } }"""
        return self.graphql(q, {"id": run_id})["logsForRun"].get("events", [])

    def run_errors(self, run_id: str) -> str:
        return "\n".join(e.get("message", "") for e in self.run_events(run_id) if "Failure" in e["__typename"])

    def check_results(self, run_id: str) -> dict[str, bool]:
        q = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events { __typename
                 ... on AssetCheckEvaluationEvent { evaluation { checkName success } } } } } }"""
        events = self.graphql(q, {"id": run_id})["logsForRun"]["events"]
        return {e["evaluation"]["checkName"]: e["evaluation"]["success"] for e in events if e["__typename"] == "AssetCheckEvaluationEvent"}

    def materializations(self, asset: str) -> list[dict]:
        q = """query($k: AssetKeyInput!) { assetOrError(assetKey: $k) { ... on Asset {
                 assetMaterializations(limit: 50) { partition runId metadataEntries { label __typename
                   ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
                   ... on PathMetadataEntry { path } } } } } }"""
        mats = self.graphql(q, {"k": {"path": [asset]}})["assetOrError"].get("assetMaterializations", [])
        out = []
        for m in mats:
            md = {}
            for e in m["metadataEntries"]:
                md[e["label"]] = e.get("intValue", e.get("floatValue", e.get("path")))
            out.append({"partition": m["partition"], "run_id": m["runId"], "metadata": md})
        return out


@contextmanager
def dagster_dev(root: Path, **kwargs):
    server = DagsterDev(root, **kwargs)
    try:
        server.start()
        yield server
    finally:
        server.stop()
