"""Fitting a result to a token limit: never over it, as much as fits, a cut when one item is too big."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine import tokens
from tokopt_pipeline.lib.engine.fit import Result, TooSmall, cut_text, fit, fit_lines, measure


def _note(items: list[str]):
    def note(k: int) -> str | None:
        return None if k >= len(items) else f"… {len(items) - k} more lines: call again with start={k + 1}"
    return note


@given(items=st.lists(st.text(max_size=80), max_size=300), limit=st.integers(30, 2000))
def test_never_over_the_limit_and_one_more_item_would_be(items, limit):
    try:
        done = fit_lines(["# head"], items, _note(items), limit)
    except TooSmall as exc:
        assert exc.needed > limit
        return
    assert done.tokens == measure(done.result) <= limit
    text = done.result.blocks[0]
    shown = done.kept + (done.cut is not None)
    assert text.startswith("\n".join(["# head", *items[:done.kept]]))
    if shown < len(items):
        assert text.endswith(f"… {len(items) - shown} more lines: call again with start={shown + 1}")
        if done.cut is None:  # one more item whole does not fit (the renderings grow with k here)
            said = _note(items)(done.kept + 1)
            bigger = "\n".join(["# head", *items[:done.kept + 1], *([said] if said else [])])
            assert tokens.count(bigger) > limit


def test_structured_content_counts_as_well_as_the_text():
    doc = {"items": ["x" * 10] * 50}
    both = Result(("hello",), doc)
    assert measure(both) == tokens.count("hello") + tokens.count('{"items":[' + ",".join(['"xxxxxxxxxx"'] * 50) + "]}")


def test_an_item_too_big_alone_is_cut_and_says_so():
    items = ["word " * 5000, "next line"]
    done = fit_lines([], items, _note(items), 300)
    assert done.kept == 0 and done.cut is not None and done.tokens <= 300
    text = done.result.blocks[0]
    assert "more characters]" in text and text.endswith("… 1 more lines: call again with start=2")
    assert cut_text("abcdef", 2) == "ab …[cut: 4 more characters]" and cut_text("ab", 5) == "ab"


def test_too_small_says_what_would_do():
    with pytest.raises(TooSmall) as info:
        fit(3, lambda k: Result(("a long head that does not fit " * 10,)), 20)
    assert info.value.needed > 20 and "max_tokens=20 is too small" in str(info.value)


def test_the_search_renders_few_candidates():
    calls = []

    def render(k: int) -> Result:
        calls.append(k)
        return Result(("\n".join(f"line {i}" for i in range(k)),))

    done = fit(100_000, render, 2000)
    assert done.kept > 300 and len(calls) < 40
