"""The spec's command-like flags, read as the commands they are.

``tokopt --check-usage`` is ``tokopt usage check``, ``tokopt --validate-ci
--fail-on-threshold=90`` is ``tokopt ci validate --fail-on-threshold=90``, ``tokopt
LOG --token-distribution`` is ``tokopt diagnose distribution LOG``, and a command line
that is none of these is ``tokopt summarize ...``. :func:`rewrite` turns such a command
line into the command's own; two commands at once are a usage error.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokopt_pipeline.cli.output import CommandUsageError
from tokopt_pipeline.cli.params import takes_value

__all__ = ["ALIASES", "rewrite"]


@dataclass(frozen=True)
class Alias:
    """A flag that names a command: its command words; how many values it takes
    (``"0"``, ``"1"``, ``"*"``, ``"+"``), passed to the command as arguments, or as
    ``option`` when given."""

    command: tuple[str, ...]
    values: str = "0"
    option: str | None = None


ALIASES: dict[str, Alias] = {
    "--check-usage": Alias(("usage", "check")),
    "--analyze-memory": Alias(("memory", "analyze")),
    "--memory-query": Alias(("memory", "query"), "1"),
    "--check-memory-connection": Alias(("memory", "check")),
    "--reconnect-memory": Alias(("memory", "reconnect")),
    "--export-memory": Alias(("memory", "export"), "1"),
    "--import-memory": Alias(("memory", "import"), "1"),
    "--validate-ci": Alias(("ci", "validate"), "*"),
    "--validate-config": Alias(("config", "validate")),
    "--diagnostic-report": Alias(("diagnose", "report")),
    "--token-distribution": Alias(("diagnose", "distribution")),
    "--benchmark-simulation": Alias(("diagnose", "simulate")),
    "--update-tokenizer-config": Alias(("diagnose", "tokenizer")),
    "--calibrate-token-model": Alias(("diagnose", "calibrate"), "+"),
}

#: Flags that change a summary when a log is given and are a command of their own
#: when none is: the command and the option its value goes to.
WITHOUT_A_LOG: dict[str, Alias] = {
    "--enable-monitoring": Alias(("usage", "monitor")),
    "--save-profile": Alias(("config", "save"), "1"),
    "--from-report": Alias(("ci", "validate"), "1", option="--from-report"),
}


def _split(token: str) -> tuple[str, str | None]:
    if token.startswith("--") and "=" in token:
        flag, value = token.split("=", 1)
        return flag, value
    return token, None


def rewrite(argv: list[str]) -> list[str]:
    """``argv`` with its command words first (see the module docstring)."""
    kept: list[str] = []
    found: list[tuple[str, Alias, list[str]]] = []
    positionals = 0
    soft: list[tuple[str, Alias, list[str], int]] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        flag, inline = _split(token)
        alias = ALIASES.get(flag)
        if alias is not None:
            values, i = _values(argv, i, flag, inline, alias.values)
            found.append((flag, alias, values))
            continue
        if flag in WITHOUT_A_LOG:
            start = len(kept)
            kept.append(token)
            if inline is None and WITHOUT_A_LOG[flag].values == "1" and i + 1 < len(argv):
                kept.append(argv[i + 1])
                i += 1
            soft.append((flag, WITHOUT_A_LOG[flag], kept[start:], start))
            i += 1
            continue
        kept.append(token)
        if token == "--":
            kept.extend(argv[i + 1:])
            positionals += len(argv) - i - 1
            break
        if token.startswith("-") and token != "-":
            if inline is None and takes_value(flag) and i + 1 < len(argv):
                kept.append(argv[i + 1])
                i += 1
        else:
            positionals += 1
        i += 1
    has_log = positionals > 0 or any(_split(t)[0] == "--log-file" for t in kept)
    commands = {a.command for _, a, _ in found}
    if commands == {("memory", "analyze"), ("memory", "query")}:
        # --analyze-memory --memory-query Q: the analysis with the query's answer
        query = next(v for f, _, v in found if f == "--memory-query")
        return ["memory", "analyze", "--query", *query, *kept]
    if not found and not has_log and soft:
        # --from-report stays an option of ci validate; the others give a command alone
        by_command = {a.command for _, a, _, _ in soft}
        if len(by_command) == 1:
            flag, alias, tokens, start = soft[0]
            if alias.option is None:
                del kept[start:start + len(tokens)]
                value = tokens[1:] if len(tokens) > 1 else ([_split(tokens[0])[1]] if _split(tokens[0])[1] else [])
                return [*alias.command, *value, *kept]
            return [*alias.command, *kept]
    if len(commands) > 1:
        flags = " and ".join(dict.fromkeys(f for f, _, _ in found))
        words = ", ".join("tokopt " + " ".join(c) for c in sorted(commands))
        raise CommandUsageError(f"{flags} are separate commands; run one at a time ({words})")
    if not found:
        return ["summarize", *kept]
    flag, alias, values = found[0]
    if has_log and alias.command not in (("diagnose", "distribution"), ("ci", "validate"), ("config", "validate")):
        raise CommandUsageError(f"{flag} is a command of its own (tokopt {' '.join(alias.command)}); it does not summarize a log")
    return [*alias.command, *[v for _, _, vs in found for v in vs], *kept]


def _values(argv: list[str], i: int, flag: str, inline: str | None, how: str) -> tuple[list[str], int]:
    """The values of an alias flag at ``argv[i]``, and the index after them."""
    if inline is not None:
        return [inline], i + 1
    i += 1
    if how == "0":
        return [], i
    if how == "1":
        if i >= len(argv):
            raise CommandUsageError(f"{flag} needs a value")
        return [argv[i]], i + 1
    values = []
    while i < len(argv) and not (argv[i].startswith("-") and argv[i] != "-"):
        values.append(argv[i])
        i += 1
    if how == "+" and not values:
        raise CommandUsageError(f"{flag} needs at least one value")
    return values, i
