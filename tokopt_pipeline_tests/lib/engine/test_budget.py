"""The budget allocator alone: breadth before depth, shares for the lower levels, and
what does not fit is counted (room for each section's omission line is kept)."""

from __future__ import annotations

from tokopt_pipeline.lib.engine.budget import Item, TokenBudgetManager


def items():
    return [
        Item("runs", 0, [10]),
        Item("errors", 0, [20, 120, 130]),
        Item("errors", 0, [20, 120, 130]),
        Item("critical", 0, [15]),
        Item("tests", 0, [8]),
        Item("high", 1, [12, 60]),
        Item("medium", 2, [10]),
        Item("low", 3, [10]),
        Item("verbose", 4, [10]),
    ]


def test_every_failure_gets_one_line_before_any_traceback():
    its = items()
    TokenBudgetManager(budget=150, fixed_cost=20, omission_cost=10).allocate(its)
    crit = [i for i in its if i.level == 0]
    assert all(i.chosen == 0 for i in crit), [(i.section, i.chosen) for i in crit]
    assert all(i.chosen < 1 for i in its if i.section == "errors")  # no room for a traceback


def test_with_room_the_tracebacks_and_then_the_lower_levels():
    its = items()
    alloc = TokenBudgetManager(budget=600, fixed_cost=20).allocate(its)
    assert all(i.chosen == 2 for i in its if i.section == "errors")  # traceback and other locations
    assert all(i.chosen >= 0 for i in its)
    assert alloc.used_estimate <= 600


def test_the_estimate_never_passes_the_budget_and_counts_the_room_kept_for_omission_lines():
    for budget in range(30, 700, 7):
        its = items()
        alloc = TokenBudgetManager(budget=budget, fixed_cost=20, omission_cost=9).allocate(its)
        assert alloc.used_estimate <= budget
        kept = alloc.used_estimate - 20 - sum(i.costs[i.chosen] for i in its if i.chosen >= 0)
        sections_cut = {i.section for i in its if i.chosen < 0}
        # room is kept in omission lines (one per section at most), and every section
        # that left something out has its line's room, unless the budget had none left
        assert kept % 9 == 0 and kept // 9 <= len({i.section for i in its}), (budget, kept)
        assert kept // 9 >= len(sections_cut) or alloc.used_estimate + 9 > budget, (budget, kept, sections_cut)


def test_fit_gives_back_the_latest_choices_until_the_text_fits():
    mgr = TokenBudgetManager(budget=100, fixed_cost=20)
    its = items()
    alloc = mgr.allocate(its)
    order = [it for it, _ in alloc.order]

    def render(al):  # three times the estimate (" x" is one token)
        return " x" * (3 * sum(i.costs[i.chosen] for i in al.items if i.chosen >= 0))

    text = mgr.fit(alloc, render)
    assert len(text.split()) <= 100
    kept = [i for i in order if i.chosen >= 0]
    dropped = [i for i in order if i.chosen < 0]
    assert dropped, "the estimate was a third of the truth: something had to go"
    # the first choices (the breadth pass: runs, errors, critical lines) stay longest
    assert order.index(kept[0]) < order.index(dropped[-1])
    assert all(i.section in ("runs", "errors", "critical", "tests") for i in kept)
