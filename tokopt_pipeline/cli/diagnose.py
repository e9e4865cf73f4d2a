"""``tokopt diagnose``: a diagnostic report, a log's token distribution, a simulation
that suggests settings, and the token model's upkeep."""

from __future__ import annotations

import json

import click

from tokopt_pipeline.cli.command import Group
from tokopt_pipeline.cli.config import SETTING_OPTIONS, apply_settings, effective_settings
from tokopt_pipeline.cli.output import Bar, emit
from tokopt_pipeline.cli.params import args_of, use
from tokopt_pipeline.cli.summarize import SUMMARY_OPTIONS, summarize_logs

__all__ = ["diagnose"]


@click.group(cls=Group)
def diagnose() -> None:
    """Reports on the setup, on a log's tokens and on the settings that suit it."""


@diagnose.command("report")
@use(*SETTING_OPTIONS, "output", "output_dir", "store_path")
@click.pass_context
def report(ctx: click.Context, **_: object) -> int:
    """Environment, versions, the settings in effect, store health, a tokenizer
    self-check and the last runs (--format json for JSON; --output FILE)."""
    from tokopt_pipeline.cli.config import _config_problems
    from tokopt_pipeline.lib.diagnostics import diagnostic_report, render_report

    args = args_of(ctx)
    apply_settings(args)
    problems = _config_problems(args, None)
    rep = diagnostic_report(effective_settings(args), [p for ok, p in problems if not ok], args.output_dir)
    text = json.dumps(rep, indent=2, default=str) + "\n" if args.format == "json" else render_report(rep)
    return emit(args, text, "diagnostic report")


@diagnose.command("distribution")
@click.argument("paths", nargs=-1, metavar="[LOG]...")
@use(*SUMMARY_OPTIONS)
@click.pass_context
def distribution(ctx: click.Context, **_: object) -> int:
    """Summarize LOG as `tokopt summarize` does and print where its tokens are: by
    priority, by component and the top templates (a table, or JSON with --format
    json)."""
    return summarize_logs(args_of(ctx), distribution=True)


@diagnose.command("simulate")
@use("simulation_size", "format", "output")
@click.pass_context
def simulate(ctx: click.Context, **_: object) -> int:
    """Generate logs of several shapes with planted failures, summarize them under
    several presets, and suggest the settings for each shape."""
    from tokopt_pipeline.lib.diagnostics import benchmark_simulation, render_benchmark

    args = args_of(ctx)
    bar = Bar("simulating")
    b = benchmark_simulation(size_mb=max(0.02, args.simulation_size), progress=bar)
    bar.done()
    text = json.dumps(b, indent=2) + "\n" if args.format == "json" else render_benchmark(b)
    return emit(args, text, "benchmark simulation")


@diagnose.command("tokenizer")
def tokenizer() -> int:
    """Check the tokenizer and rewrite .tokopt/token_model.json with every profile's
    coefficients."""
    from tokopt_pipeline.lib.diagnostics import update_tokenizer_config

    path, changes = update_tokenizer_config()
    for c in changes:
        print(f"  {c}")
    print(f"saved {path}")
    return 0


@diagnose.command("calibrate")
@click.argument("logs", nargs=-1, required=True, metavar="LOG...")
@use("profile")
@click.pass_context
def calibrate(ctx: click.Context, logs: tuple[str, ...], **_: object) -> int:
    """Fit the token estimator on these logs (counted exactly) and save it to
    .tokopt/token_model.json."""
    from tokopt_pipeline.lib.engine import tokens as tok
    from tokopt_pipeline.lib.engine.profiles import detect_profile
    from tokopt_pipeline.lib.engine.reader import open_log

    args = args_of(ctx)
    model = tok.load_model()
    by_profile: dict[str, list] = {}
    for path in logs:
        src = open_log(path)
        lines: list[str] = []
        profile = None
        for batch in src.batches(batch_lines=20_000):
            if profile is None:
                profile = args.profile if args.profile != "auto" else detect_profile(batch.lines[:2000])
            lines.extend(batch.lines)
            if len(lines) >= 200_000:
                by_profile.setdefault(profile, []).extend(tok.block_samples(lines))
                lines = []
        if lines:
            by_profile.setdefault(profile or "generic", []).extend(tok.block_samples(lines))
    for profile, samples in by_profile.items():
        model.profiles[profile] = tok.fit(samples)
        c = model.profiles[profile]
        err = [abs(c.predict(b, n) - t) / max(t, 1) for b, n, t in samples]
        print(f"{profile}: tokens = {c.per_byte:.4f}*bytes + {c.per_line:.3f}*lines  ({len(samples)} blocks, mean error {100 * sum(err) / len(err):.1f}%)")
    path = model.save(tok.DEFAULT_MODEL_PATH)
    print(f"saved {path}")
    return 0


