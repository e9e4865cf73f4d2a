"""What a runner pack is: the knowledge of one ecosystem's tools, as data.

A pack tells the engine, for the output of its tools (a test runner, a compiler, a
linter, a build tool):

* ``rules``: the priority of its lines (first match wins, ahead of the generic rules):
  critical for a failure that decides the job (a failed test's header, a failing
  totals line, a panic, "could not compile"), high for each diagnostic or error line,
  medium for warnings, verbose for noise (passing tests, progress, downloads);
* ``tests``: the lines that name a failing test, and how to read its id from them;
* ``totals``: the lines that sum up a run (kept verbatim; passing ones are counted);
* ``block_starts``: lines that open a new multi-line event even when indented (a
  diagnostic, a panic, a failure header inside another runner's captured output), so
  that two errors in one indented region stay two events;
* ``continues``: lines that belong to the event before them even when they start at
  the first column (a diagnostic's numbered source lines, its ``help:`` and ``note:``);
* ``sections``: lines that open a failure report running over blank lines up to the
  next such line or a ``section_ends`` line (jest's ``● suite › test`` block with its
  code frame and stack, libtest's ``---- name stdout ----``): one event, so the
  report's location stays with its error.

Patterns are matched against one line after the reader has stripped ANSI colours and
CI timestamp prefixes. Every pattern must compile both in Python's ``re`` and in the
Rust regex engine of polars: no look-around, no back-references; named groups as
``(?P<name>...)``. Packs are applied to every line of every log (a job log holds
several tools), so a pattern names its tool's own syntax, anchored where it can be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tokopt_pipeline.lib.engine.priority import Level, Rule

C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


@dataclass(frozen=True)
class TestLine:
    """A line that names a failing test.

    ``pattern`` has a named group ``id`` (the test as its runner names it, e.g.
    ``TestParse/empty`` or ``tests-build::macros compile_fail_full``); optional groups
    ``file`` (the file or package it belongs to) and ``name`` (its own short name; the
    id when absent). ``kind`` is ``failed`` or ``error``.
    """

    pattern: str
    kind: str = "failed"


@dataclass(frozen=True)
class TotalsLine:
    """A line that sums up a test run, a type check or a build.

    ``pattern``: the line; a named group ``text`` is the part kept (default: the whole
    line, stripped). ``failed``: a pattern searched in that text that says the run
    failed (default: a non-zero count of failures or errors, see ``RunTotals.failed``).
    """

    pattern: str
    failed: str = ""


@dataclass(frozen=True)
class Pack:
    """One ecosystem's tools; see the module docstring."""

    name: str
    description: str
    #: Lines that show one of the pack's tools ran (for the summary's list of tools).
    detect: str = ""
    rules: tuple[Rule, ...] = ()
    tests: tuple[TestLine, ...] = ()
    totals: tuple[TotalsLine, ...] = ()
    block_starts: tuple[str, ...] = ()
    continues: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    section_ends: tuple[str, ...] = ()
    tools: tuple[str, ...] = field(default_factory=tuple)


__all__ = ["Pack", "TestLine", "TotalsLine", "Rule", "Level", "C", "H", "M", "L", "V"]
