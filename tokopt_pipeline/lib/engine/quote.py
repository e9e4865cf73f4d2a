"""Log text quoted for Markdown: verbatim, and never read as Markdown or HTML.

What came from a log is shown as it was (people and models search a summary for the
exact text) inside a code span or a fenced code block whose fence the text cannot close.
"""

from __future__ import annotations

import re

__all__ = ["inline_code", "code_fence"]

_TICKS = re.compile(r"`+")


def inline_code(text: str) -> str:
    """``text`` as Markdown inline code, verbatim: the fence is longer than any run of
    backticks inside (CommonMark), padded with a space that Markdown removes."""
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def code_fence(body: str) -> str:
    """A fence for a Markdown code block that ``body`` cannot close."""
    longest = max((len(m) for m in _TICKS.findall(body)), default=0)
    return "`" * max(3, longest + 1)
