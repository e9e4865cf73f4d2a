"""Fitting a result to a token limit: the most of it that fits, and a note on the rest.

An answer with a hard size (an MCP tool result) is a list of items (log lines, graph
entities, runs, failing tests) rendered together with a note saying what was left out
and how to get it. :func:`fit` finds the most items whose rendering, note included, is
within ``limit`` tokens as :func:`measure` counts them, exactly (cl100k_base):

* every text block the client receives, and
* the structured content, serialized as compact JSON, when there is one. A client may
  hand the model the text, the structured content or both, so both count.

When not even the first item fits, :func:`fit` can cut it (``cut``: the first item
rendered with only its first N characters, marked as cut) rather than fail; when not
even the empty rendering fits, it raises :class:`TooSmall` with the limit that would do.

The search gallops (1, 2, 4 ... items) and then bisects, so it renders O(log n)
candidates of at most about twice the limit: the cost follows the limit, not the number
of items. Nothing assumes that more items always take more tokens: the result returned
was itself measured and fits.

Example:
    >>> lines = [f"line {i}" for i in range(1000)]
    >>> def render(k: int) -> Result:
    ...     rest = f"\\n{len(lines) - k} more lines" if k < len(lines) else ""
    ...     return Result(("\\n".join(lines[:k]) + rest,))
    >>> done = fit(len(lines), render, 50)
    >>> done.kept, done.tokens <= 50
    (15, True)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tokopt_pipeline.lib.engine import tokens

__all__ = ["Fitted", "Result", "TooSmall", "cut_text", "fit", "fit_lines", "measure", "structured_json"]


@dataclass(frozen=True)
class Result:
    """What a client receives: text blocks, and structured content (or None)."""

    blocks: tuple[str, ...]
    structured: dict[str, Any] | None = None


def structured_json(data: Any) -> str:
    """Structured content as it is counted: compact JSON, non-ASCII kept as is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def measure(result: Result) -> int:
    """The exact tokens of ``result``: every text block, plus its structured content
    as compact JSON."""
    n = sum(tokens.count(b) for b in result.blocks)
    if result.structured is not None:
        n += tokens.count(structured_json(result.structured))
    return n


class TooSmall(ValueError):
    """Even the smallest rendering (no item, only what is said about them) is over the limit."""

    def __init__(self, limit: int, needed: int):
        self.limit, self.needed = limit, needed
        super().__init__(f"max_tokens={limit:,} is too small for this result: it needs at least {needed:,}")


@dataclass(frozen=True)
class Fitted:
    """A result within the limit.

    Attributes:
        result: what to send.
        kept: how many items it holds whole.
        cut: when no item fit whole, how many characters of the first one it holds
            (None: no item was cut).
        tokens: :func:`measure` of ``result``.
    """

    result: Result
    kept: int
    tokens: int
    cut: int | None = None


def cut_text(text: str, keep: int) -> str:
    """``text`` cut to its first ``keep`` characters, saying how many are left out."""
    if keep >= len(text):
        return text
    return f"{text[:keep]} …[cut: {len(text) - keep:,} more characters]"


def _largest(n: int, attempt: Callable[[int], tuple[Result, int] | None], first: tuple[Result, int]) -> tuple[int, tuple[Result, int]]:
    """The largest k in 0..n that ``attempt`` accepts (0 is accepted: ``first``)."""
    best_k, best = 0, first
    high = n + 1  # the smallest k known to be refused
    k = 1
    while k <= n:  # gallop
        got = attempt(k)
        if got is None:
            high = k
            break
        best_k, best = k, got
        if k == n:
            return best_k, best
        k = min(n, k * 2)
    low = best_k
    while high - low > 1:  # bisect between the last accepted and the first refused
        mid = (low + high) // 2
        got = attempt(mid)
        if got is None:
            high = mid
        else:
            low, best = mid, got
    return low, best


def fit(n: int, render: Callable[[int], Result], limit: int,
        cut: tuple[int, Callable[[int], Result]] | None = None) -> Fitted:
    """The rendering of the most of ``n`` items that is within ``limit`` tokens.

    Args:
        n: how many items there are.
        render: the result holding the first ``k`` items, and the note on the others.
        limit: the most tokens the result may have (:func:`measure`).
        cut: ``(length, render_cut)``: when not even one item fits whole, the result
            holding the first item cut to ``c`` characters (``render_cut(c)``, for c in
            1..length-1); the most characters that fit are kept.

    Raises:
        TooSmall: not even ``render(0)`` (or, with items, one item or a cut of it) fits.
    """

    def attempt(k: int, rendering: Callable[[int], Result] = render) -> tuple[Result, int] | None:
        result = rendering(k)
        size = measure(result)
        return (result, size) if size <= limit else None

    empty = attempt(0)
    if empty is None:
        raise TooSmall(limit, measure(render(0)))
    kept, (result, size) = _largest(n, attempt, empty)
    if kept > 0 or n == 0:
        return Fitted(result, kept, size)
    if cut is not None and cut[0] > 1:
        length, render_cut = cut
        chars, (result, size) = _largest(length - 1, lambda c: attempt(c, render_cut) if c > 0 else empty, empty)
        if chars > 0:
            return Fitted(result, 0, size, cut=chars)
    # The first item does not fit at all: say how much one would need.
    raise TooSmall(limit, measure(render(1)))



def fit_lines(head: Sequence[str], items: Sequence[str], note: Callable[[int], str | None], limit: int,
              after: tuple[str, ...] = ()) -> Fitted:
    """A text block of ``head`` and as many of ``items`` (one line each) as fit, then
    ``note(k)`` on the items left out after the first ``k`` (None: nothing to say), and
    the blocks ``after``; the first item is cut (:func:`cut_text`) when it does not fit
    whole, and counts as shown."""

    def text(lines: Sequence[str], k: int) -> Result:
        said = note(k)
        return Result(("\n".join([*head, *lines, *([said] if said else [])]),) + after)

    def render(k: int) -> Result:
        return text(items[:k], k)

    def render_cut(c: int) -> Result:
        return text([cut_text(items[0], c)], 1)

    return fit(len(items), render, limit, cut=(len(items[0]), render_cut) if items else None)
