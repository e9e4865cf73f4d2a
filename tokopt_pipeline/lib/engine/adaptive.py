"""Adaptive optimization: pick the most detailed settings that reach the targets.

``--adaptive-optimization --min-compression 50 --target-tokens 60000`` reads the log
once, then renders it under a ladder of settings, from the most detailed to the most
compressed:

=================  =============================================
``all-levels``     every level, up to debug
``no-debug``       information and above
``warnings-up``    warnings and above
``errors-only``    errors and failures only
``critical-only``  failures, crashes and run totals only
=================  =============================================

Each is rendered at ``min(target_tokens, (1 - min_compression/100) * input tokens)``
tokens, so both targets are met by construction. The pick is the first rung whose
summary shows everything it keeps (nothing replaced by an omission count); when no rung
manages that, the one that omits the fewest critical and high items, then the fewest
items. The pick, its figures and those of every rung tried are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypedDict

from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.priority import Level, UsageError
from tokopt_pipeline.lib.engine.render import summarize_analysis
from tokopt_pipeline.lib.settings.options import SummaryOptions

__all__ = ["RUNGS", "Choice", "Rung", "choose", "effective_target"]

RUNGS: list[tuple[str, Level]] = [
    ("all-levels", Level.VERBOSE),
    ("no-debug", Level.LOW),
    ("warnings-up", Level.MEDIUM),
    ("errors-only", Level.HIGH),
    ("critical-only", Level.CRITICAL),
]


class Rung(TypedDict):
    """The figures of one rung tried."""

    name: str
    priority_filter: str  # the level's label
    tokens_out: int
    reduction_pct: float
    omitted: int
    omitted_important: int  # omitted critical and high items


@dataclass
class Choice:
    """What adaptive optimization picked, and what it tried."""

    name: str
    priority_filter: Level
    token_budget: int
    tokens_in: int
    tokens_out: int
    reduction_pct: float
    omitted: int
    tried: list[Rung]

    def settings(self) -> dict[str, str | int]:
        """The pick as profile settings (what ``--save-profile`` stores)."""
        return {"priority_filter": self.priority_filter.label, "token_budget": self.token_budget, "token_buffer": 0}

    def describe(self, min_compression: float | None, target_tokens: int | None) -> str:
        lines = [
            f"adaptive optimization picked {self.name!r}: priority filter {self.priority_filter.label}, "
            f"budget {self.token_budget:,} -> {self.tokens_out:,} tokens, compression {self.reduction_pct}%"
            + (f" (min {min_compression:g}%)" if min_compression is not None else "")
            + (f", target {target_tokens:,}" if target_tokens else "")
        ]
        for t in self.tried:
            mark = "*" if t["name"] == self.name else " "
            lines.append(f"  {mark} {t['name']:<14} {t['tokens_out']:>8,} tokens  {t['reduction_pct']:>6}%  omitted {t['omitted']} ({t['omitted_important']} critical/high)")
        return "\n".join(lines)


def effective_target(tokens_in: int, budget: int, min_compression: float | None, target_tokens: int | None) -> int:
    """The budget that meets every target: the smallest of the three limits."""
    b = budget
    if target_tokens:
        b = min(b, target_tokens)
    if min_compression is not None and tokens_in:
        b = min(b, int(tokens_in * (1 - min_compression / 100.0)))
    return max(1, b)


def choose(path: str, options: SummaryOptions, min_compression: float | None = None, target_tokens: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> Choice:
    """Analyse ``path`` once and pick the settings (see the module docstring)."""
    if min_compression is not None and not 0 <= min_compression < 100:
        raise UsageError(f"--min-compression must be at least 0 and below 100, got {min_compression:g}")
    a = analyze(path, options, progress=progress)
    budget = effective_target(a.tokens_in, options.effective_budget, min_compression, target_tokens)
    tried: list[Rung] = []
    for name, level in RUNGS:
        s = summarize_analysis(a, replace(options, priority_filter=min(level, options.priority_filter), token_budget=budget, token_buffer=0))
        omitted = sum(s.omitted.values())
        important = sum(v for k, v in s.omitted.items() if k in ("runs", "tests", "errors", "critical", "high"))
        tried.append(Rung(name=name, priority_filter=level.label, tokens_out=s.tokens_out, reduction_pct=s.reduction_pct, omitted=omitted, omitted_important=important))
    pick = next((t for t in tried if t["omitted"] == 0), None)
    if pick is None:
        pick = min(tried, key=lambda t: (t["omitted_important"], t["omitted"]))
    level = Level.parse(pick["priority_filter"])
    return Choice(pick["name"], level, budget, a.tokens_in, pick["tokens_out"], pick["reduction_pct"], pick["omitted"], tried)
