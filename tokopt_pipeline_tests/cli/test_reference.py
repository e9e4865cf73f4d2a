"""docs/cli.md is the command's own help; every command's --help fits a screen; every
option has help text and every spec flag is a flag of some command."""

from __future__ import annotations

import re

import click

from tokopt_pipeline.cli.aliases import ALIASES, WITHOUT_A_LOG
from tokopt_pipeline.cli.reference import commands, help_text, markdown
from tokopt_pipeline_tests.conftest import REPO, SPEC

CLI_MD = REPO / "docs" / "cli.md"


def test_docs_cli_md_is_generated_from_the_command():
    assert CLI_MD.read_text(encoding="utf-8") == markdown(), "regenerate: python -m tokopt_pipeline.cli.reference > docs/cli.md"


def test_every_command_and_option_is_in_docs_cli_md():
    doc = CLI_MD.read_text(encoding="utf-8")
    for path, cmd in commands():
        assert f"## `{path}`" in doc, path
        for p in cmd.params:
            for flag in getattr(p, "opts", []):
                if flag.startswith("-"):
                    assert re.search(re.escape(flag) + r"(?![\w-])", doc), (path, flag)


def test_each_help_fits_a_screen():
    for path, _ in commands():
        lines = help_text(path, everything=False).rstrip("\n").split("\n")
        assert len(lines) <= 40, (path, len(lines))


def test_every_option_has_help_text():
    bare = [(path, p.name) for path, cmd in commands() for p in cmd.params
            if isinstance(p, click.Option) and not (p.help or "").strip()]
    assert not bare


def test_every_spec_flag_is_a_flag_or_an_alias():
    flags = {f for _, cmd in commands() for p in cmd.params for f in getattr(p, "opts", []) if f.startswith("--")}
    spec = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", SPEC.read_text(encoding="utf-8"))) - {"--no-verify"}
    missing = sorted(spec - flags - set(ALIASES) - set(WITHOUT_A_LOG))
    assert not missing, missing
