"""The settings of one summarization, shared by the CLI, the Python API and Dagster."""

from __future__ import annotations

from dataclasses import dataclass, field

from tokopt_pipeline.lib.engine.priority import Level, Rule
from tokopt_pipeline.lib.settings.presets import DEFAULT_TOKEN_BUDGET

FORMATS = ("markdown", "json", "text")


@dataclass
class SummaryOptions:
    """Everything that changes what a summary contains.

    Args:
        token_budget: hard limit for the rendered summary (exact cl100k_base tokens).
        token_buffer: safety margin subtracted from the budget.
        profile: a profile name, or ``"auto"`` to detect it.
        extra_rules: user priority rules, evaluated before the profile's.
        priority_filter: keep only this level and more important ones.
        redact: replace secrets before anything is counted or stored.
        chunk_size: lines per chunk; ``None`` picks one from the file size.
        strict_estimation: count the input's tokens exactly instead of estimating.
        fmt: ``markdown``, ``json`` or ``text``.
        auto_truncate: when even the minimal summary exceeds the budget, cut it at a
            token boundary (always on: a summary is never over budget).
        max_traceback_lines: lines kept per representative traceback.
        component_budgets: token budget per component (see :mod:`.components`).
        component_by: how components are found: ``step``, ``logger``, ``file`` or ``auto``.
        collect_run_meta: also collect the passing tests and the commit in the pass
            (``Analysis.run_meta``), for the cross-run memory.
        baseline_log: a log of the last passing run: this run's lines it had too are
            demoted below what is new, and counted (:mod:`~tokopt_pipeline.lib.engine.baseline`).
        baseline: False turns any baseline off (``--no-baseline``), the memory's too.
    """

    token_budget: int = DEFAULT_TOKEN_BUDGET
    token_buffer: int = 0
    profile: str = "auto"
    extra_rules: list[Rule] = field(default_factory=list)
    priority_filter: Level = Level.VERBOSE
    redact: bool = True
    chunk_size: int | None = None
    strict_estimation: bool = False
    fmt: str = "markdown"
    auto_truncate: bool = True
    max_traceback_lines: int = 14
    component_budgets: dict[str, int] | None = None
    max_batch_lines: int | None = None  # lines processed at once; None: 200,000 (--memory-optimized: 10,000)
    component_by: str = "auto"
    collect_run_meta: bool = False
    baseline_log: str | None = None
    baseline: bool = True

    @property
    def effective_budget(self) -> int:
        return max(0, self.token_budget - max(0, self.token_buffer))
