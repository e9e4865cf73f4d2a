"""The command classes of the tree: a short ``--help`` (the common options) and a
``--help-all`` (every option), so each command's help fits a screen."""

from __future__ import annotations

import click

__all__ = ["Command", "Group", "MoreOption"]


class MoreOption(click.Option):
    """An option the short ``--help`` leaves out (``--help-all`` lists it)."""


def _help_all(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    ctx.meta["tokopt.help_all"] = True
    click.echo(ctx.get_help(), color=ctx.color)
    ctx.exit()


class Command(click.Command):
    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        if any(isinstance(p, MoreOption) for p in params):
            params.append(click.Option(["--help-all"], is_flag=True, expose_value=False, is_eager=True,
                                       callback=_help_all, help="Show every option and exit."))
        return params

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        everything = ctx.meta.get("tokopt.help_all", False)
        rows, hidden = [], 0
        for p in self.get_params(ctx):
            if isinstance(p, click.Argument):
                continue  # named in the usage line and the description
            if isinstance(p, MoreOption) and not everything:
                hidden += 1
                continue
            rv = p.get_help_record(ctx)
            if rv is not None:
                rows.append(rv)
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)
        if hidden:
            formatter.write_paragraph()
            formatter.write_text(f"{hidden} more options: {ctx.command_path} --help-all, or docs/cli.md.")


class Group(click.Group):
    command_class = Command
    group_class = type
