"""Reading a log back as its summary cites it: numbered, cleaned and redacted lines.

A summary says ``line 412`` or ``lines 410–449``; :func:`numbered_lines` gives those
lines of the log exactly as the summary's engine saw them: read by
:func:`~tokopt_pipeline.lib.engine.reader.open_log` (plain or compressed, ANSI codes and
CI timestamps removed, over-long lines cut with a marker) and numbered the same way,
with secrets replaced by the engine's :class:`~tokopt_pipeline.lib.engine.redact.Redactor`
fed every line from the first, in order, so a private key block that began before the
range is still redacted inside it. :func:`grep_lines` gives the lines that match a
pattern, with context lines around them, the same way.

Both stream the log in batches: memory stays bounded however big the log is, and a
caller may stop reading at any point.

Patterns are regular expressions in the syntax of Rust's ``regex`` crate (the one
polars and ripgrep use): matching takes time linear in the text, so no pattern can make
a search run away (there is no backtracking; look-around and backreferences are not
supported). A pattern is limited to :data:`MAX_PATTERN` characters, and one that does
not compile (or compiles to more than the engine's size limit) raises
:class:`BadPattern` with the engine's own explanation. The search runs on the redacted
text, so a pattern cannot find out what a redacted secret was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from tokopt_pipeline.lib.engine.reader import adaptive_batch_lines, open_log
from tokopt_pipeline.lib.engine.redact import Redactor
from tokopt_pipeline.lib.errors import InputNotFound

__all__ = ["MAX_CONTEXT", "MAX_PATTERN", "BadPattern", "Hit", "check_pattern", "grep_lines", "numbered_lines"]

#: The longest pattern taken (characters).
MAX_PATTERN = 1000
#: The most context lines taken before and after a match.
MAX_CONTEXT = 50


class BadPattern(ValueError):
    """A search pattern that is too long or not a valid regular expression."""


@dataclass(frozen=True)
class Hit:
    """A line of a search's result: a match, or context around one."""

    line_no: int
    text: str
    match: bool


def _source_path(path: str) -> str:
    if path == "-":
        raise InputNotFound("a log on disk is needed here, not - (stdin)")
    return os.path.expanduser(path)


def _batches(path: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line number, redacted lines)`` of the whole log, in order."""
    redactor = Redactor()
    with open_log(_source_path(path)) as source:
        for batch in source.batches(adaptive_batch_lines(source.stats.file_bytes)):
            yield batch.first_line_no, redactor.redact_lines(batch.lines)


def numbered_lines(path: str, start: int = 1) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` from line ``start`` to the end, redacted.

    Raises:
        InputNotFound / BadInput: as :func:`~tokopt_pipeline.lib.engine.reader.open_log`.
    """
    for first, lines in _batches(path):
        if first + len(lines) <= start:
            continue  # redacted all the same: a key block may open here
        for i in range(max(0, start - first), len(lines)):
            yield first + i, lines[i]


def check_pattern(pattern: str) -> str:
    """``pattern`` when it is one :func:`grep_lines` can search for.

    Raises:
        BadPattern: empty, longer than :data:`MAX_PATTERN`, or not a valid expression.
    """
    if not pattern:
        raise BadPattern("the pattern is empty")
    if len(pattern) > MAX_PATTERN:
        raise BadPattern(f"the pattern is {len(pattern):,} characters long; the most taken is {MAX_PATTERN:,}")
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern, strict=True)
    except pl.exceptions.PolarsError as exc:
        why = str(exc).split("\n\nThis error occurred", 1)[0].removeprefix("regex error: ").strip()
        raise BadPattern(f"not a valid regular expression (Rust regex syntax): {why}") from None
    return pattern


def grep_lines(path: str, pattern: str, context: int = 0, start: int = 1) -> Iterator[Hit]:
    """The lines from ``start`` on that match ``pattern`` (:func:`check_pattern`), each
    with up to ``context`` lines before and after (as ``grep -C``), in order, each
    line once.

    Raises:
        BadPattern: see :func:`check_pattern`.
        InputNotFound / BadInput: as :func:`~tokopt_pipeline.lib.engine.reader.open_log`.
    """
    check_pattern(pattern)
    context = max(0, min(int(context), MAX_CONTEXT))
    start = max(1, start)
    done = start - 1  # the last line given
    until = 0  # the last line of the last match's after-context
    tail: dict[int, str] = {}  # the last `context` lines of the batch before
    for first, lines in _batches(path):
        last = first + len(lines) - 1
        if last < start:
            continue

        def text(n: int, first: int = first, lines: list[str] = lines, tail: dict[int, str] = tail) -> str:
            return lines[n - first] if n >= first else tail[n]

        found = pl.Series(lines, dtype=pl.String).str.contains(pattern).arg_true().to_list()
        for i in found:
            m = first + i
            if m < start:
                continue
            for n in range(done + 1, min(until, m - 1) + 1):  # the previous match's after-context
                yield Hit(n, text(n), False)
                done = n
            for n in range(max(done + 1, m - context, start), m):  # this one's before-context
                yield Hit(n, text(n), False)
                done = n
            yield Hit(m, text(m), True)
            done, until = m, m + context
        for n in range(done + 1, min(until, last) + 1):
            yield Hit(n, text(n), False)
            done = n
        tail = {n: lines[n - first] for n in range(max(first, last - context + 1), last + 1)} if context else {}
