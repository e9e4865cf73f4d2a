"""Logs of several shapes with planted failures, summarized under several presets,
and the settings each shape suggests (``tokopt diagnose simulate``)."""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict


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
    lines: list[str] = []
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
    lines: list[str] = []
    n = 0
    while sum(len(l) for l in lines) < target:
        n += 1
        lines.append(json.dumps({"ts": f"2024-05-01T12:00:{n % 60:02d}Z", "level": "info", "logger": "svc.orders", "msg": "order processed", "order_id": rng.randrange(10**8), "ms": rng.randrange(500)}))
    for k, name in enumerate(failures):
        pos = (k + 1) * len(lines) // (len(failures) + 1)
        lines.insert(pos, json.dumps({"ts": "2024-05-01T13:00:00Z", "level": "fatal", "logger": "svc.orders", "msg": f"{name} crashed: database unreachable"}))
    return "\n".join(lines) + "\n"


SHAPES: dict[str, Callable[[random.Random, int, list[str]], str]] = {"pytest": _gen_pytest, "application-log": _gen_app, "github-actions": _gen_actions, "json-lines": _gen_json}
SIM_PRESETS = ["balanced", "ci-integration", "max-compression"]


class SimRow(TypedDict):
    """One log shape summarized under one preset."""

    shape: str
    preset: str
    bytes: int
    lines: int
    tokens_in: int
    tokens_out: int
    budget: int
    reduction_pct: float
    failures_planted: int
    failures_kept: int
    seconds: float
    mb_per_s: float
    profile: str


class Suggestion(TypedDict):
    """The settings suggested for a log shape, and why."""

    preset: str
    profile: str
    why: str


class Simulation(TypedDict):
    """What :func:`benchmark_simulation` found."""

    size_mb: float
    seed: int
    results: list[SimRow]
    suggestions: dict[str, Suggestion]


def benchmark_simulation(size_mb: float = 1.0, seed: int = 7,
                         progress: Callable[[int, int], None] | None = None) -> Simulation:
    """Generate logs of several shapes, summarize each under several presets, suggest settings.

    Each generated log has planted failures with unique names. A preset *keeps the
    failures* when every planted name appears in its summary. The suggestion for a
    shape is the preset with the smallest summary that keeps them all.
    """
    from tokopt_pipeline.lib.engine.summarize import summarize
    from tokopt_pipeline.lib.settings.layers import summary_options
    from tokopt_pipeline.lib.settings.presets import PRESETS

    rng = random.Random(seed)
    results: list[SimRow] = []
    suggestions: dict[str, Suggestion] = {}
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
            rows: list[SimRow] = []
            for preset in SIM_PRESETS:
                opts = summary_options(PRESETS[preset].settings)
                t0 = time.perf_counter()
                s = summarize(str(path), opts)
                dt = max(time.perf_counter() - t0, 1e-9)
                kept = sum(1 for n in names if n in s.text)
                rows.append(SimRow(
                    shape=shape,
                    preset=preset,
                    bytes=s.analysis.raw_bytes,
                    lines=s.analysis.lines,
                    tokens_in=s.tokens_in,
                    tokens_out=s.tokens_out,
                    budget=s.budget,
                    reduction_pct=s.reduction_pct,
                    failures_planted=len(names),
                    failures_kept=kept,
                    seconds=round(dt, 3),
                    mb_per_s=round(s.analysis.raw_bytes / 1e6 / dt, 1),
                    profile=s.analysis.profile,
                ))
                done += 1
                if progress is not None:
                    progress(done, steps)
            keep_all = [r for r in rows if r["failures_kept"] == r["failures_planted"]]
            best = min(keep_all, key=lambda r: r["tokens_out"]) if keep_all else max(rows, key=lambda r: r["failures_kept"])
            suggestions[shape] = Suggestion(preset=best["preset"], profile=best["profile"], why=f"smallest summary ({best['tokens_out']:,} tokens, {best['reduction_pct']}% reduction) that kept {best['failures_kept']}/{best['failures_planted']} planted failures")
            results.extend(rows)
    return Simulation(size_mb=size_mb, seed=seed, results=results, suggestions=suggestions)


def render_benchmark(b: Simulation) -> str:
    out = [f"benchmark simulation ({b['size_mb']:g} MB per log, seed {b['seed']})", ""]
    out.append(f"{'shape':<16}{'preset':<17}{'tokens in':>11}{'out':>8}{'reduction':>11}{'failures kept':>15}{'MB/s':>7}")
    for r in b["results"]:
        out.append(f"{r['shape']:<16}{r['preset']:<17}{r['tokens_in']:>11,}{r['tokens_out']:>8,}{r['reduction_pct']:>10}%{r['failures_kept']:>10}/{r['failures_planted']:<4}{r['mb_per_s']:>7}")
    out.append("")
    out.append("suggested settings:")
    for shape, s in b["suggestions"].items():
        out.append(f"  {shape:<16} --preset {s['preset']} --profile {s['profile']}   ({s['why']})")
    return "\n".join(out) + "\n"
