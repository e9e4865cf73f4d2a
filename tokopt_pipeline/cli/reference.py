"""docs/cli.md, generated from the command tree: every command's full help
(``--help-all``) and the spec's flags that are aliases of commands.

    python -m tokopt_pipeline.cli.reference > docs/cli.md

A test checks that docs/cli.md is what this prints.
"""

from __future__ import annotations

import click

from tokopt_pipeline.cli.aliases import ALIASES, WITHOUT_A_LOG
from tokopt_pipeline.cli.main import tokopt

__all__ = ["commands", "help_text", "markdown"]

INTRO = """# The `tokopt` command

Generated from the command itself (`python -m tokopt_pipeline.cli.reference > docs/cli.md`);
a test keeps it in step. `tokopt --help` and each command's `--help` show the common
options; `--help-all` shows every one, as below.

`tokopt LOG ...` is `tokopt summarize LOG ...`. The spec's command-like flags still work:
each is an alias of a command (two commands in one call are a usage error, exit 2).
"""


def commands() -> list[tuple[str, click.Command]]:
    """Every command of the tree with its path (``tokopt memory analyze``), depth first."""
    out: list[tuple[str, click.Command]] = []

    def walk(path: str, cmd: click.Command) -> None:
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            for name in sorted(cmd.commands):
                walk(f"{path} {name}", cmd.commands[name])

    walk("tokopt", tokopt)
    return out


def help_text(path: str, everything: bool = True) -> str:
    """The help of the command at ``path`` as the terminal shows it (80 columns)."""
    words = path.split()[1:]
    ctx = tokopt.make_context("tokopt", [], resilient_parsing=True, terminal_width=80, max_content_width=80)
    cmd: click.Command = tokopt
    for w in words:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[w]
        ctx = cmd.make_context(w, [], parent=ctx, resilient_parsing=True, terminal_width=80, max_content_width=80)
    if everything:
        ctx.meta["tokopt.help_all"] = True
    return ctx.get_help()


def markdown() -> str:
    parts = [INTRO, "## Aliases\n", "| flag | command |", "|---|---|"]
    for flag, alias in ALIASES.items():
        parts.append(f"| `{flag}` | `tokopt {' '.join(alias.command)}` |")
    for flag, alias in WITHOUT_A_LOG.items():
        what = f"`tokopt {' '.join(alias.command)}` when no log is given" + ("" if alias.option else "; with a log, an option of the summary")
        parts.append(f"| `{flag}` | {what} |")
    parts.append("")
    for path, _cmd in commands():
        parts.append(f"## `{path}`\n")
        parts.append("```text\n" + help_text(path).rstrip() + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
