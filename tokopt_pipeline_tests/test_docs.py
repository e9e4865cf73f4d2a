"""Every flag of the spec appears in the command's help (`--help-all` of its commands,
or the aliases it lists) and in the docs (README.md + docs/*.md)."""

from __future__ import annotations

import re

from tokopt_pipeline.cli.reference import commands, help_text, markdown

from .conftest import REPO, SPEC

# The spec's flags (SPEC is the repository's copy of it), listed here too so a flag the
# spec drops stays checked.
SPEC_FLAGS = [
    "--log-file", "--output-dir", "--max-log-size", "--max-logs", "--store-memory", "--analyze-memory",
    "--memory-query", "--token-budget", "--track-usage", "--check-usage", "--preprocess", "--chunk-size",
    "--auto-truncate", "--priority-filter", "--check-memory-connection", "--reconnect-memory",
    "--stream-processing", "--parallel-workers", "--memory-optimized", "--debug-tokens", "--verbose",
    "--add-priority-pattern", "--calibrate-token-model", "--strict-estimation", "--update-tokenizer-config",
    "--token-buffer", "--diagnostic-report", "--token-distribution", "--validate-config",
    "--benchmark-simulation", "--validate-ci", "--fail-on-threshold", "--report-json", "--component-budgets",
    "--adaptive-optimization", "--min-compression", "--target-tokens", "--enable-monitoring", "--alert-email",
    "--critical-threshold", "--warning-threshold", "--optimization-profile", "--custom-profile-path", "--preset",
]
# Preset names the spec documents.
SPEC_PRESETS = ["monitoring", "ci-integration", "max-compression", "balanced", "test-debugging"]
# Not flags of this command (pre-commit's and git's own options).
NOT_OURS = {"--no-verify"}


def spec_flags() -> list[str]:
    found = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", SPEC.read_text(encoding="utf-8")))
    return sorted(set(SPEC_FLAGS) | (found - NOT_OURS))


def _docs() -> str:
    parts = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in parts if p.exists())


def _help() -> str:
    """Every command's full help, and the table of the aliases."""
    return markdown() + "\n".join(help_text(path) for path, _ in commands())


def test_the_literal_list_covers_the_spec():
    found = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", SPEC.read_text(encoding="utf-8"))) - NOT_OURS
    assert found <= set(SPEC_FLAGS), sorted(found - set(SPEC_FLAGS))


def test_every_spec_flag_is_in_help():
    text = _help()
    missing = [f for f in spec_flags() if not re.search(re.escape(f) + r"(?![\w-])", text)]
    assert not missing, f"not in tokopt --help: {missing}"


def test_every_spec_flag_is_documented():
    text = _docs()
    missing = [f for f in spec_flags() if not re.search(re.escape(f) + r"(?![\w-])", text)]
    assert not missing, f"not in README.md or docs/*.md: {missing}"


def test_every_preset_is_in_help_and_docs():
    h, d = _help(), _docs()
    for name in SPEC_PRESETS:
        assert name in h and f"`{name}`" in d, name


def test_every_option_of_every_command_is_in_the_docs():
    """Every flag of every command is in README.md or docs/*.md (docs/cli.md lists them
    all, generated; the topic pages explain them)."""
    d = _docs()
    flags = sorted({f for _, cmd in commands() for p in cmd.params for f in getattr(p, "opts", []) if f.startswith("--")})
    missing = [f for f in flags if not re.search(re.escape(f) + r"(?![\w-])", d)]
    assert not missing, missing
