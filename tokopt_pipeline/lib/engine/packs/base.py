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
  report's location stays with its error;
* ``event_tests``: lines that open the report of one test's failure, naming it (the
  error they open is that test's);
* ``event_errors``: the line of an event that states its error (a panic, with its
  message on the next line), read as the error's message when the event is not a
  traceback the engine reads itself;
* ``joins_next``: lines whose next line belongs to their event, whatever it is (a panic's
  header and the message under it, which starts at the first column);
* ``scopes`` and ``quiet_scopes``: the parts of a runner's output a line is in, moved
  through by marker lines (libtest's ``successes:``, ``failures:``, ``test result:``), so
  that a line means what its place says: a ``---- name stdout ----`` under
  ``successes:`` is a passing test's output (a quiet scope: its lines are at most low),
  and the names listed under the second ``failures:`` are failing tests (a
  :class:`TestLine` with ``scopes``).

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
    #: The pack's scopes (:class:`Scope`) in which the line names a failing test; in
    #: any when empty.
    scopes: tuple[str, ...] = ()
    #: The pack's scopes in which it does not.
    not_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """A marker line: from it on, the pack's output is in scope ``enter`` (in none when
    empty) until the next marker. ``after``: only when the scope before is one of these
    (any when empty). The first marker of a pack that matches a line and whose ``after``
    holds decides."""

    pattern: str
    enter: str
    after: tuple[str, ...] = ()


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
    joins_next: tuple[str, ...] = ()
    #: Lines that open an event reporting one test's failure, the test in group ``id``
    #: (the event's error is then that test's).
    event_tests: tuple[str, ...] = ()
    #: Lines of an event that state its error, in group ``msg`` (the whole line when
    #: absent); one that ends with ":" is read with the next line (its message).
    event_errors: tuple[str, ...] = ()
    scopes: tuple[Scope, ...] = ()
    #: Scopes whose lines are at most low (output of passing tests, shown on request).
    quiet_scopes: tuple[str, ...] = ()
    tools: tuple[str, ...] = field(default_factory=tuple)


__all__ = ["Pack", "Scope", "TestLine", "TotalsLine", "Rule", "Level", "C", "H", "M", "L", "V"]
