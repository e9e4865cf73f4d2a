"""The TokenBudgetManager: choose what a summary shows so that it fits the budget.

Items come in priority order, each with one or more *variants* of increasing detail
(variant 0 is the most compressed form that still represents the item). Allocation:

1. the header and every run's totals line;
2. every critical item in its compressed form (failing test names grouped by file,
   identical messages merged into one line with a count);
3. high items in compressed form, then critical and high items upgraded to more
   detail (one representative traceback per distinct error, cut to its innermost
   frames) — within shares of what is left, so lower levels still get room;
4. medium, low and verbose items, each level with its share of the rest (what a level
   does not use flows to the next).

Items in the baseline (``Item.demoted``: what the last green run had too, see
:mod:`.baseline`) are noise for this run: they come after every other item has had
its turn at every level of detail, one line each (never more detail), most important
first, within ``DEMOTED_SHARE`` of the budget; the rest of them is counted.

Whatever does not fit is counted: each section ends with an exact count of what it
left out. The renderer produces the final text, which is counted exactly; if it is
over budget (token merges across item boundaries), the last chosen items are dropped
and counted until it fits. The result is never over budget.

The least a summary says is its header and the count of what it leaves out; a budget
too small for that is a usage error (:func:`require_room`, :class:`BudgetTooSmall`)
that names the smallest budget that works, never an empty or cut summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.priority import UsageError

if TYPE_CHECKING:
    from tokopt_pipeline.lib.settings.options import SummaryOptions

# Shares of the budget left after critical content, by level (high, medium, low, verbose).
LEVEL_SHARES = {1: 0.45, 2: 0.25, 3: 0.2, 4: 0.1}
#: Share of what is left after the critical lines that the high lines' first lines may
#: take before the failing tests are listed.
HIGH_BREADTH_SHARE = 0.3
#: Most of the budget the items in the baseline (what the last green run had too) may
#: take, after every new item.
DEMOTED_SHARE = 0.1


class BudgetTooSmall(UsageError):
    """The budget cannot hold a summary's header and the count of what it leaves out.

    ``need`` is the smallest budget (after the buffer) that works for this log and
    format.
    """

    def __init__(self, message: str, budget: int, need: int):
        super().__init__(message)
        self.budget, self.need = budget, need


def require_room(budget: int, need: int, opts: SummaryOptions, need_at: Callable[[int], int]) -> None:
    """Raise :class:`BudgetTooSmall` when ``budget`` is below ``need``, the tokens of the
    least summary (its header states the budget, so its size is ``need_at(budget)``).

    The message names the smallest budget that works (with ``opts.token_buffer``, the
    ``--token-budget`` that gives it) and the format.
    """
    if need <= budget:
        return
    least = need
    for _ in range(8):  # the header's own figures change with the budget it states
        n = need_at(least)
        if n <= least:
            break
        least = n
    buffer = max(0, getattr(opts, "token_buffer", 0) or 0)
    given = f"--token-budget {opts.token_budget:,} minus --token-buffer {buffer:,} leaves {budget:,} tokens, too few" if buffer \
        else f"a token budget of {budget:,} is too small"
    fix = f"--token-budget {least + buffer:,} or more with --token-buffer {buffer:,}" if buffer else f"--token-budget {least:,} or more"
    raise BudgetTooSmall(
        f"{given} for the header of this log's {opts.fmt} summary and the count of what it leaves out "
        f"({least:,} tokens): use {fix}", budget, least)


@dataclass(eq=False)
class Item:
    """One thing a summary can show, at increasing detail (costs in tokens)."""

    section: str
    level: int
    costs: list[int]
    units: int = 1  # events it represents (for omission counts)
    key: object = None
    chosen: int = -1  # -1: not shown; else the variant index
    demoted: bool = False  # in the baseline: considered after every item that is not


@dataclass
class Allocation:
    items: list[Item]
    budget: int
    used_estimate: int = 0
    order: list[tuple[Item, int]] = field(default_factory=list)  # choices in the order made

    def shown(self, section: str | None = None) -> list[Item]:
        return [i for i in self.items if i.chosen >= 0 and (section is None or i.section == section)]

    def omitted(self, section: str) -> list[Item]:
        return [i for i in self.items if i.chosen < 0 and i.section == section]


class TokenBudgetManager:
    """Allocates a token budget across items by priority; see the module docstring.

    Args:
        budget: the hard limit for the whole rendered text.
        fixed_cost: tokens of what is always rendered (header, section titles).
        omission_cost: tokens reserved for one section's omission line.
    """

    def __init__(self, budget: int, fixed_cost: int, omission_cost: int = 24):
        self.budget = budget
        self.fixed_cost = fixed_cost
        self.omission_cost = omission_cost

    def allocate(self, items: list[Item]) -> Allocation:
        alloc = Allocation(items, self.budget)
        demoted = [i for i in items if i.demoted]
        if demoted:  # what the last green run had too: after all the others (at the end)
            items = [i for i in items if not i.demoted]
        used = self.fixed_cost
        sections_with_omission: set[str] = set()

        def reserve_for(section: str) -> int:
            """Room still to keep for ``section``'s omission line."""
            return 0 if section in sections_with_omission else self.omission_cost

        # Every section that might end up incomplete needs room for its omission line:
        # it is reserved the first time an item of the section is skipped.
        def try_choose(item: Item, variant: int, limit: int) -> bool:
            nonlocal used
            prev = item.costs[item.chosen] if item.chosen >= 0 else 0
            # An item not yet shown costs at least a token: with no room left, its cost
            # need not be counted (costs are counted on first use).
            fits = item.chosen >= 0 or used + 1 <= limit
            extra = item.costs[variant] - prev if fits else 1
            if fits and used + extra <= limit:
                item.chosen = variant
                used += extra
                alloc.order.append((item, variant))
                return True
            if item.chosen < 0 and item.section not in sections_with_omission:
                if used + self.omission_cost <= self.budget:
                    sections_with_omission.add(item.section)
                    used += self.omission_cost
            return False

        def by_level(lv: int) -> list[Item]:
            return [i for i in items if i.level == lv]

        # 1. Breadth: one line for every failure before any detail. What failed (the
        #    failing CI steps), every run's totals, each distinct critical error, each
        #    critical line; then the high ones, within a share; then the failing tests.
        crit = by_level(0)
        for section in ("failed", "runs", "errors", None):
            for item in crit:
                if (item.section == section) if section else item.section not in ("failed", "runs", "errors", "tests"):
                    try_choose(item, 0, self.budget - reserve_for(item.section))
        rest = max(0, self.budget - used)
        high_breadth = used + int(rest * HIGH_BREADTH_SHARE)
        high_limit = used + int(rest * (LEVEL_SHARES[1] + 0.35))
        for item in by_level(1):
            try_choose(item, 0, min(self.budget, high_breadth) - reserve_for(item.section))
        for item in crit:
            if item.section == "tests":
                try_choose(item, 0, self.budget - reserve_for(item.section))
        # 2. Depth: what the failing steps said, and one representative traceback per
        #    distinct error (critical, then high), then the rest of the high lines. When
        #    the log's failures are tests with tracebacks, their tracebacks come before
        #    the steps' last lines (which mostly repeat the runner's short summary).
        tested = any(i.section == "errors" and i.level == 0 for i in crit)

        def steps_detail() -> None:
            for item in crit:
                if item.section == "failed" and item.chosen >= 0 and len(item.costs) > 1:
                    try_choose(item, 1, self.budget)

        if not tested:
            steps_detail()
        for lv in (0, 1):
            for item in by_level(lv):
                if item.chosen >= 0 and len(item.costs) > 1 and item.section not in ("failed", "tests"):
                    try_choose(item, 1, self.budget if lv == 0 else min(self.budget, high_limit))
            if lv == 0 and tested:
                steps_detail()
        for item in by_level(1):
            if item.chosen < 0:
                try_choose(item, 0, min(self.budget, high_limit))
        # Where else each distinct error happened (its other locations: one line).
        for lv in (0, 1):
            for item in by_level(lv):
                if item.section == "errors" and item.chosen == 1 and len(item.costs) > 2:
                    try_choose(item, 2, self.budget if lv == 0 else min(self.budget, high_limit))
        for item in crit:
            if item.section == "failed" and item.chosen >= 1:
                for v in range(2, len(item.costs)):
                    if not try_choose(item, v, self.budget):
                        break
        # 4: lower levels, each with its share; unused share flows down.
        rest = max(0, self.budget - used)
        carry = 0
        for lv in (2, 3, 4):
            share = int(rest * LEVEL_SHARES[lv] / (LEVEL_SHARES[2] + LEVEL_SHARES[3] + LEVEL_SHARES[4])) + carry
            limit = min(self.budget, used + share)
            start = used
            for item in by_level(lv):
                try_choose(item, 0, limit)
            for item in by_level(lv):
                if item.chosen >= 0 and len(item.costs) > 1:
                    try_choose(item, 1, limit)
            carry = max(0, share - (used - start))
        # Anything left: more detail for whatever was shown, in priority order.
        for item in sorted((i for i in items if i.chosen >= 0), key=lambda i: i.level):
            for v in range(item.chosen + 1, len(item.costs)):
                if not try_choose(item, v, self.budget):
                    break
        # What the last green run had too: one line each, most important first, within
        # a small share of the budget and what the new items left; never any detail.
        noise_limit = min(self.budget, used + int(self.budget * DEMOTED_SHARE))
        for item in sorted(demoted, key=lambda i: i.level):
            try_choose(item, 0, noise_limit - reserve_for(item.section))
        alloc.used_estimate = used
        return alloc

    def fit(self, alloc: Allocation, render: Callable[[Allocation], str]) -> str:
        """Render and trim until the exact count is within budget (drops the last choices).

        Returns the smallest rendering when nothing more can be dropped, even if it is
        still over budget: the caller decides what to do then.

        Item costs are estimates (tokens merge across item boundaries), so each round
        scales the overshoot by how far the estimate was off, drops that much of the
        latest choices, and counts again.
        """
        text = render(alloc)
        n = tok.count(text)
        while n > self.budget and alloc.order:
            chosen_cost = sum(i.costs[i.chosen] for i in alloc.items if i.chosen >= 0) or 1
            ratio = max(1.0, n / max(1, self.fixed_cost + chosen_cost))
            over = (n - self.budget) / ratio
            freed = 0
            while alloc.order and freed < over:
                item, variant = alloc.order.pop()
                if item.chosen != variant:
                    continue
                prev = [v for (it, v) in alloc.order if it is item]
                new = prev[-1] if prev else -1
                freed += item.costs[variant] - (item.costs[new] if new >= 0 else 0)
                item.chosen = new
            text = render(alloc)
            n = tok.count(text)
        return text
