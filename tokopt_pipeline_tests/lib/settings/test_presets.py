"""Presets and adaptive optimization, through the command a user runs."""

from __future__ import annotations

import json

import pytest

from tokopt_pipeline.cli import main
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.settings.presets import PRESETS, SETTINGS
from tokopt_pipeline.lib.settings.profile_files import parse_profiles
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG
from tokopt_pipeline_tests.conftest import run_main as _run


def test_every_preset_is_documented_and_valid_as_a_profile():
    assert set(PRESETS) == {"monitoring", "ci-integration", "max-compression", "balanced", "test-debugging"}
    for name, p in PRESETS.items():
        assert p.purpose and len(p.why) > 40, name
        assert set(p.settings) <= set(SETTINGS), name
        parse_profiles(json.dumps({"profiles": {name: {"settings": p.settings}}}), name)


def test_max_compression_preset_keeps_every_failure_in_plain_text(tmp_path, capsys):
    out = tmp_path / "s.txt"
    rc, _, _ = _run(capsys, EXAMPLE_LOG, "--preset", "max-compression", "--output", out)
    assert rc == 0
    text = out.read_text()
    assert tok.count(text) <= 4000
    assert not text.startswith("#"), "text format, no Markdown"
    assert "48 failing tests" in text


def test_monitoring_preset_writes_json(tmp_path, capsys):
    out = tmp_path / "s.json"
    rc, _, _ = _run(capsys, EXAMPLE_LOG, "--preset", "monitoring", "--output", out)
    assert rc == 0
    doc = json.loads(out.read_text())
    assert doc["header"]["token_budget"] == 8000


def test_a_flag_on_the_command_line_wins_over_the_preset(tmp_path, capsys):
    out = tmp_path / "s.md"
    rc, _, _ = _run(capsys, EXAMPLE_LOG, "--preset", "max-compression", "--token-budget", "76659", "--format", "markdown", "--output", out)
    assert rc == 0
    text = out.read_text()
    assert text.startswith("# tokopt summary")
    assert "of 76,659 budget" in text


def test_unknown_preset_is_a_usage_error(capsys):
    assert main(["x.log", "--preset", "fastest"]) == 2
    assert "max-compression" in capsys.readouterr().err


@pytest.mark.slow
def test_adaptive_optimization_reaches_both_targets_and_says_what_it_picked(tmp_path, capsys):
    out = tmp_path / "s.md"
    rc, stdout, _ = _run(capsys, EXAMPLE_LOG, "--adaptive-optimization", "--min-compression", "50", "--target-tokens", "5000", "--output", out)
    assert rc == 0
    assert "adaptive optimization picked" in stdout
    text = out.read_text()
    n = tok.count(text)
    assert n <= 5000
    # 291,002 tokens in (exact); at least 50% compression
    assert n <= 291002 * 0.5
    assert "48 failing tests" in text


@pytest.mark.slow
def test_adaptive_choice_can_be_saved_and_reused(tmp_path, capsys):
    prof = tmp_path / "profiles.json"
    rc, stdout, _ = _run(capsys, EXAMPLE_LOG, "--adaptive-optimization", "--target-tokens", "3000", "--save-profile", "numpy-ci", "--custom-profile-path", prof, "--output", tmp_path / "a.md")
    assert rc == 0
    saved = json.loads(prof.read_text())["profiles"]["numpy-ci"]["settings"]
    assert saved["token_budget"] == 3000
    out = tmp_path / "b.md"
    rc, _, _ = _run(capsys, EXAMPLE_LOG, "--optimization-profile", "numpy-ci", "--custom-profile-path", prof, "--output", out)
    assert rc == 0
    assert "of 3,000 budget" in out.read_text()
