"""Rendering an :class:`~tokopt_pipeline.lib.engine.analysis.Analysis` into a budgeted summary.

:func:`summarize_analysis` builds the candidate items (runs, failing tests, error
groups, templates by level), lets the :class:`TokenBudgetManager` choose what fits,
and renders Markdown (default), plain text or JSON. The header reports the exact token
count of the final text itself.

One concept (over 400 lines): choosing and writing what a summary shows (items,
their variants and costs, the three formats, the fit to the budget).
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, cast

from tokopt_pipeline.lib.engine import baseline
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.budget import Allocation, Item, TokenBudgetManager, require_room
from tokopt_pipeline.lib.engine.cisteps import Step
from tokopt_pipeline.lib.engine.header import HeaderFacts, header_facts, header_json, header_lines
from tokopt_pipeline.lib.engine.model import Analysis, ErrorGroup, TemplateStat
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.engine.quote import code_fence, inline_code, json_text, md_text, visible
from tokopt_pipeline.lib.engine.testresults import FailedTest, RunTotals
from tokopt_pipeline.lib.settings.options import SummaryOptions

MAX_TEXT = 320
TEMPLATE_SECTIONS = {0: "critical", 1: "high", 2: "medium", 3: "low", 4: "verbose"}
SECTION_TITLES = {
    "failed": "What failed",
    "runs": "Runs",
    "tests": "Failing tests",
    "errors": "Errors",
    "critical": "Critical lines",
    "high": "Error lines",
    "medium": "Warnings",
    "low": "Other activity",
    "verbose": "Debug",
}
SECTION_ORDER = ["failed", "runs", "tests", "errors", "critical", "high", "medium", "low", "verbose"]
#: Passing runs listed one by one up to this many; more are counted in one line.
PASSING_RUNS_LISTED = 3
#: Passing runs listed at most when the budget has room for all of them.
PASSING_RUNS_MAX = 60
#: Lines of a failing step's output shown at each level of detail.
STEP_TAIL = (0, 8, 20, 40)


_PADDING = re.compile(r"(?<=\S)  {2,}(?=\S)")
_CUT_MARKER = re.compile(r" …\[line cut: \d+ bytes in total\]$")


def clip(text: str, n: int = MAX_TEXT) -> str:
    """``text`` shortened to ``n`` characters; the reader's marker on a line it cut
    (`` …[line cut: N bytes in total]``) stays visible."""
    if len(text) <= n:
        return text
    # A line padded into columns (a linter's table) loses its padding before its end.
    text = _PADDING.sub("  ", text)
    if len(text) <= n:
        return text
    m = _CUT_MARKER.search(text)
    tail = m.group(0) if m else ""
    return text[: max(1, n - 1 - len(tail))] + "…" + tail


@dataclass
class PassingRuns:
    """The totals lines of the runs that passed, counted in one line."""

    runs: list[RunTotals]

    @property
    def line_no(self) -> int:
        return self.runs[0].line_no


@dataclass
class SameRuns:
    """Runs whose totals lines read the same (one log holding the same session many
    times): shown once, with their count."""

    runs: list[RunTotals]

    @property
    def line_no(self) -> int:
        return self.runs[0].line_no

    @property
    def last_line(self) -> int:
        return self.runs[-1].line_no

    @property
    def text(self) -> str:
        return self.runs[0].text

    @property
    def runner(self) -> str:
        return self.runs[0].runner


def same_runs(runs: list[RunTotals]) -> list[RunTotals | SameRuns]:
    """``runs`` with those whose totals read the same (same runner, same text) merged
    into one :class:`SameRuns`, in the order each first appears."""
    by_text: dict[tuple[str, str], list[RunTotals]] = {}
    for r in runs:
        by_text.setdefault((r.runner, r.text), []).append(r)
    return [rs[0] if len(rs) == 1 else SameRuns(rs) for rs in by_text.values()]


#: What a reader of a failure looks for: a source file, a file:line, an error code.
#: What a reader of a failure looks for, in one word of a line: a source file, a
#: file:line, an error code (checked word by word: one regex over a whole long line
#: would scan it again from every position).
_KEY_WORD = re.compile(
    r"\w\.(?:c|cc|cpp|cxx|h|hh|hpp|rs|go|py|pyi|js|mjs|cjs|ts|tsx|jsx|java|kt|kts|scala|rb|cs|php|swift"
    r"|m|mm|json|ya?ml|toml|xml|gradle|tf|sh|proto|sql|vue|svelte|css|scss|html|md|rst|cfg|ini|lock)(?::\d+)*$"
    r"|[A-Za-z_][\w./-]*:\d+(?::\d+)?$|^[A-Z]{1,5}\d{3,5}$|^\[[a-z]+(?:-[a-z]+)+\]$|^error\[\w+\]"
)
_WORD_EDGES = "\"'`()[]{},;<>"


def _key_values(example: str) -> list[str]:
    out = []
    for word in example.split():
        w = word.strip(_WORD_EDGES).rstrip(":.")
        if w and _KEY_WORD.search(w):
            out.append(w)
    m = re.search(r"\bexit (?:code|status):? \d+", example)
    if m:
        out.append(m.group(0))
    return out


@lru_cache(maxsize=8192)
def needs_example(template: str, example: str) -> bool:
    """Whether a critical or high line must be shown as it was rather than as its
    template: the template masks a file, a location or an error code of the line, or is
    mostly masks (a reader would learn nothing from it)."""
    if "<*>" not in template:
        return False
    words = shown_template(template).split()
    constant = [w for w in words if "<*>" not in w]
    if len(constant) < 3 or len(constant) * 2 < len(words):
        return True
    return any(v not in template for v in _key_values(example))


def says_nothing(template: str) -> bool:
    """A template with no constant word of two letters or more (``<*>``, ``- <*>``,
    ``[<*>] <*>``): shown as it is, it tells a reader nothing, so a real line of it is
    shown instead."""
    return "<*>" in template and not any(
        "<*>" not in w and sum(c.isalpha() for c in w) >= 2 for w in template.split())


def family(template: str) -> tuple[str, ...]:
    """What kind of line a template is: its first two constant words (a component, a
    tool, an alert label and the like)."""
    words = [w for w in template.split() if "<*>" not in w and any(c.isalnum() for c in w)]
    return tuple(words[:2])


def breadth_order(templates: Iterable[TemplateStat]) -> list[TemplateStat]:
    """Templates by level, each level breadth first: the most frequent template of every
    family before the second of any, so that a rare kind of line is not the first thing
    a tight budget drops; within a round, by count."""
    rank: dict[tuple[int, tuple[str, ...]], int] = {}
    out: list[tuple[int, int, int, int, TemplateStat]] = []
    for t in sorted(templates, key=lambda t: (t.level, -t.count, t.first_line)):
        fam = (t.level, family(t.template))
        r = rank.get(fam, 0)
        rank[fam] = r + 1
        out.append((t.level, r, -t.count, t.first_line, t))
    return [x[-1] for x in sorted(out, key=lambda x: x[:4])]


_WILD_RUN = re.compile(r"<\*>(?:\s+<\*>)+")


def shown_template(template: str) -> str:
    """A template as a summary shows it: a run of variables (``<*> <*> <*>``, typically
    a header's date, time, host and pid) reads as one ``<*>``, which saves tokens and
    loses nothing a reader needs (the example line shows the real values)."""
    return _WILD_RUN.sub("<*>", template)


@dataclass
class Summary:
    """A rendered summary and its figures."""

    text: str
    fmt: str
    tokens_out: int
    budget: int
    tokens_in: int
    tokens_in_exact: bool
    analysis: Analysis
    shown: dict[str, int]
    omitted: dict[str, int]
    critical_shown: int
    critical_omitted: int

    @property
    def reduction_pct(self) -> float:
        return round(100.0 * (1 - self.tokens_out / self.tokens_in), 2) if self.tokens_in else 0.0

    @property
    def budget_pct(self) -> float:
        return round(100.0 * self.tokens_out / self.budget, 2) if self.budget else 0.0

    def figures(self) -> dict[str, Any]:
        a = self.analysis
        return {
            "tokens_in": self.tokens_in,
            "tokens_in_exact": self.tokens_in_exact,
            "tokens_out": self.tokens_out,
            "budget": self.budget,
            "reduction_pct": self.reduction_pct,
            "budget_pct": self.budget_pct,
            "lines": a.lines,
            "bytes": a.raw_bytes,
            "profile": a.profile,
            "critical_events": a.critical_units,
            "critical_shown": self.critical_shown,
            "critical_omitted": self.critical_omitted,
            "failing_tests": len(a.tests),
            "error_groups": len(a.groups),
            "templates": len(a.templates),
            "runs": len(a.runs),
        }


class _Costs(list[Any]):
    """An item's variant costs, each counted on first use (None until then; read by
    index, as the budget manager does)."""

    def __init__(self, n: int, count: Callable[[int], int]):
        super().__init__([None] * n)
        self._count = count

    def __getitem__(self, i: Any) -> Any:
        v = list.__getitem__(self, i)
        if v is None:
            v = self._count(i)
            list.__setitem__(self, i, v)
        return v


def _names(named: list[tuple[str, str]]) -> str:
    """Test names with their tags; a tag after a run of names applies to each of them
    (``a, b, c [E1]``), so a parametrized test's cases are not tagged one by one."""
    out: list[str] = []
    run: list[str] = []
    for i, (name, tags) in enumerate(named):
        run.append(name)
        if i + 1 == len(named) or named[i + 1][1] != tags:
            out.append(", ".join(run) + tags)
            run = []
    return ", ".join(out)


def _common_dir(paths: list[str]) -> str:
    """The directory all ``paths`` share, when it is long enough to be worth saying
    once (an install prefix such as ``.venv/lib/python3.11/site-packages/pkg/``);
    shorter ones stay in the ids, which are then verbatim."""
    paths = [p for p in paths if p]
    if not paths:
        return ""
    prefix = os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(paths[0])
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix if len(prefix) >= 24 else ""


# What an item shows, by its section (the budget manager keeps ``Item.key`` opaque):
# a failing CI step ("failed"), run totals ("runs"), a failing test ("tests"), an error
# group ("errors"), else a template (the sections by level).
_RunKey = RunTotals | SameRuns | PassingRuns


def _step(it: Item) -> Step:
    return cast(Step, it.key)


def _run(it: Item) -> _RunKey:
    return cast(_RunKey, it.key)


def _test(it: Item) -> FailedTest:
    return cast(FailedTest, it.key)


def _group(it: Item) -> ErrorGroup:
    return cast(ErrorGroup, it.key)


def _template(it: Item) -> TemplateStat:
    return cast(TemplateStat, it.key)


#: What a critical or high line can add: ("example", a real line) or ("context", the
#: lines around its first occurrence as (line number, text)).
_Detail = tuple[str, str | list[tuple[int, str]]]


class _Builder:
    def __init__(self, a: Analysis, opts: SummaryOptions):
        self.a, self.opts = a, opts
        self.fmt = opts.fmt
        self.plain = opts.fmt == "text"
        self.group_ids: dict[str, str] = {}
        groups = sorted(a.groups.values(), key=lambda g: (g.in_baseline, not g.new, g.level, -len(g.tests), -g.count, g.first_line))
        self.groups = [g for g in groups if g.level <= opts.priority_filter]
        for n, g in enumerate(self.groups, 1):
            self.group_ids[g.key] = f"E{n}"
        self.tests = sorted(a.tests.values(), key=lambda t: (t.file, t.first_line))
        self.test_prefix = _common_dir([t.file for t in self.tests if "::" in t.test_id])
        self.file_firsts: set[int] = set()
        # A log of the same session many times: every test failed in every run, said once.
        counts = {t.runs for t in self.tests}
        self.runs_each = counts.pop() if len(counts) == 1 and len(a.runs) > 1 else 0
        seen_files: set[str] = set()
        for t in self.tests:
            if t.file not in seen_files:
                seen_files.add(t.file)
                self.file_firsts.add(id(t))

    # -- fragments ----------------------------------------------------------
    def code(self, s: str) -> str:
        """Log text as the format shows it: verbatim, in Markdown as inline code."""
        return visible(s) if self.plain else inline_code(visible(s))

    def bare(self, s: str) -> str:
        """A name from the log (a test's, a class's, a file's): as it is when it cannot
        form any Markdown, else as inline code (JSON: as it is)."""
        if self.fmt == "json":
            return s
        return visible(s) if self.plain else md_text(visible(s))

    def run_line(self, r: _RunKey, variant: int = 0) -> str:
        if isinstance(r, PassingRuns):
            last = r.runs[-1]
            n = len(r.runs)
            if variant >= 1:  # every one, when there is room
                return f"- {n} passing runs:\n" + "\n".join(
                    "  " + self.run_line(x) for x in same_runs(r.runs)[:PASSING_RUNS_MAX])
            return f"- {n} passing runs, lines {r.runs[0].line_no}–{last.line_no}; the last: {self.code(clip(last.text))}"
        text = f"=== {r.text} ===" if r.runner == "pytest" and r.text[:1].isdigit() else r.text
        if isinstance(r, SameRuns):
            return f"- ×{len(r.runs)} {self.code(clip(text))} (lines {r.line_no}–{r.last_line})"
        return f"- {self.code(clip(text))} (line {r.line_no})"

    def step_lines(self, step: Step, variant: int) -> list[str]:
        """A failing CI step at a level of detail: 0, what failed and how it ended;
        1 and up, its command, its first error lines and more of its last lines."""
        exit_code = f", exit code {step.exit_code}" if step.exit_code is not None else ""
        span = f"lines {step.first_line}–{step.last_line}" if step.last_line > step.first_line else f"line {step.first_line}"
        job = f" of job {self.code(clip(step.job, 120))}" if step.job else ""
        out = [f"- step {self.code(clip(step.name, 200))}{job} failed{exit_code} ({span})"]
        for line_no, text in step.annotations[:3]:
            out.append(f"  - {self.code(clip(text))} (line {line_no})")
        if len(step.annotations) > 3:
            out.append(f"  - … {len(step.annotations) - 3} more annotations")
        if variant == 0:
            return out
        command = step.command[: (3 if variant < 3 else len(step.command))]
        if command and not (len(command) == 1 and command[0].strip() == step.name):
            out.append("  command: " + " ⏎ ".join(self.code(clip(c, 200)) for c in command)
                       + (f" (+{len(step.command) - len(command)} lines)" if len(step.command) > len(command) else ""))
        shown = {ln for ln, _ in step.annotations}
        errors = [(ln, t) for ln, t in step.first_errors[: (3 if variant < 2 else len(step.first_errors))] if ln not in shown]
        tail = self.step_tail(step, variant)
        in_tail = {ln for ln, _ in tail}
        errors = [(ln, t) for ln, t in errors if ln not in in_tail]
        if errors:
            out.append("  first errors:")
            out.extend(f"  - {self.code(clip(t.strip()))} (line {ln})" for ln, t in errors)
        if tail:
            out.append(f"  last lines (from line {tail[0][0]}):")
            out.append(self.block([clip(t, 240) for _, t in tail]))
        return out

    def step_tail(self, step: Step, variant: int) -> list[tuple[int, str]]:
        """The last lines of a failing step's output a variant shows (none under a
        priority filter: they are lines of any level)."""
        if self.opts.priority_filter < Level.VERBOSE or variant < 1:
            return []
        shown = {ln for ln, _ in step.annotations}
        return [(ln, t) for ln, t in step.tail if ln not in shown][-STEP_TAIL[min(variant, len(STEP_TAIL) - 1)]:]

    def json_label(self, t: FailedTest) -> str:
        """A test as JSON lists it: its label under its file, or its whole id when its
        runner names no file."""
        return self.test_label(t) if "::" in t.test_id and t.file else t.test_id + self.test_tags(t)

    def block(self, lines: list[str]) -> str:
        """Lines as an indented code block (verbatim)."""
        # A line the terminal would have broken (at a carriage return, a form feed ...)
        # is shown as those lines; the characters no one sees are written out.
        body = [visible(l) for l in "\n".join(lines).splitlines()]
        if self.plain:
            return "\n".join("    " + l for l in body)
        fence = code_fence("\n".join(body))
        return "\n".join("  " + l for l in [fence, *body, fence])

    def test_label(self, t: FailedTest) -> str:
        rest = t.test_id.split("::")[1:] if "::" in t.test_id else [t.name]
        return self.bare("::".join(rest)) + self.test_tags(t)

    def test_tags(self, t: FailedTest) -> str:
        ref = self.group_ids.get(t.group_key or "")
        tags = []
        if t.kind == "error":
            tags.append("error")
        if getattr(t, "new", False):
            tags.append("new")
        if getattr(t, "flaky", False):
            tags.append("flaky")
        if t.runs > 1 and not self.runs_each:
            tags.append(f"in {t.runs} runs")
        if ref:
            tags.append(ref)
        return f" [{', '.join(tags)}]" if tags else ""

    def group_head(self, g: ErrorGroup) -> str:
        gid = self.group_ids[g.key]
        what = f"{g.exc_type}: {clip(g.message, 200)}" if g.exc_type and g.message else (g.exc_type or clip(g.message or g.example[0] if g.example else "", 200))
        tests = f", {len(g.tests)} test{'s' if len(g.tests) != 1 else ''}" if g.tests else ""
        new = " **new**" if g.new and not self.plain else (" NEW" if g.new else "")
        lines = f"line {g.first_line}" if g.count == 1 else f"lines {g.first_line}–{g.last_line}"
        b = (lambda s: s) if self.plain else (lambda s: f"**{s}**")
        return f"- {b(gid)}{new} {self.code(what)} — ×{g.count}{tests}, {lines}"

    def group_detail(self, g: ErrorGroup) -> str:
        return self.block([clip(l, 240) for l in g.example])

    @staticmethod
    def more_examples(t: TemplateStat) -> list[str]:
        """A critical or high template's other distinct real lines (shown, one more per
        variant, when the budget has room: a template hides what differs, such as the
        names of five failing tests)."""
        if t.count < 2 or "<*>" not in t.template:
            return []
        return [x for x in t.examples if x != t.example]

    def important_text(self, t: TemplateStat) -> str:
        """A critical or high line as shown: as it was when its template would hide
        what a reader needs (its file, line or error code) or is mostly masks, else its
        template (shorter, and it says what varies)."""
        if "<*>" not in t.template or needs_example(t.template, t.example):
            return t.example
        return shown_template(t.template)

    def important_details(self, t: TemplateStat) -> list[_Detail]:
        """What a critical or high line can add, in the order the budget buys it: its
        real example (when the template is shown), one more distinct real line, the
        lines around its first occurrence, then its other distinct lines."""
        out: list[_Detail] = []
        if self.important_text(t) != t.example:
            out.append(("example", t.example))
        more = self.more_examples(t) if t.count > 1 else []
        more = [x for x in more if x != t.example]
        if more:
            out.append(("example", more[0]))
        ctx = self.a.contexts.get(t.template_id) if self.opts.priority_filter >= Level.VERBOSE else None
        if ctx and len(ctx) > 1:  # (its lines are of any level: not under a priority filter)
            out.append(("context", ctx))
        out.extend(("example", x) for x in more[1:])
        return out

    def important_line(self, t: TemplateStat, variant: int) -> str:
        lines = f"line {t.first_line}" if t.count == 1 else f"lines {t.first_line}–{t.last_line}"
        out = [f"- ×{t.count} {self.code(clip(self.important_text(t)))} ({lines})"]
        for _, what in self.important_details(t)[:variant]:
            if isinstance(what, str):  # an example
                out.append(f"  e.g. {self.code(clip(what))}")
            else:  # the context
                out.append(f"  around line {what[0][0]}:")
                out.append(self.block([clip(x, 240) for _, x in what]))
        return "\n".join(out)

    def template_line(self, t: TemplateStat, detail: bool, extra: int = 0) -> str:
        lines = f"line {t.first_line}" if t.count == 1 else f"lines {t.first_line}–{t.last_line}"
        like = says_nothing(t.template)
        if "<*>" not in t.template or like:
            text = t.example
        elif t.count == 1:  # the real line when there is room, else its shorter template
            text = t.example if detail else shown_template(t.template)
        else:
            text = shown_template(t.template)
        s = f"- ×{t.count} {'like ' if like and t.count > 1 else ''}{self.code(clip(text))} ({lines})"
        if detail and t.count > 1:
            if text != t.example:
                s += f"\n  e.g. {self.code(clip(t.example))}"
            for x in self.more_examples(t)[:extra]:
                s += f"\n  {self.code(clip(x))}"
        return s

    # -- items ----------------------------------------------------------------
    def items(self) -> list[Item]:
        a, opts = self.a, self.opts
        items: list[Item] = []
        # A line the failing steps show (their annotations) is not listed again.
        annotated = {ln for step in a.failed_steps for ln, _ in step.annotations}
        dropped: dict[int, int] = {}
        for tpl in a.templates.values():
            if tpl.count == 1 and tpl.first_line in annotated:
                dropped[tpl.first_line] = tpl.template_id
        for step in a.failed_steps:
            units = sum(1 for ln, _ in step.annotations if ln in dropped and a.templates[dropped[ln]].level == 0)
            items.append(Item("failed", 0, [0] * len(STEP_TAIL), units=units, key=step))
        hidden = set(dropped.values())
        passing = [r for r in a.runs if not r.failed]
        listed = set(map(id, passing)) if len(passing) > PASSING_RUNS_LISTED else set()
        for r in same_runs([r for r in a.runs if id(r) not in listed]):
            items.append(Item("runs", 0, [0], units=0, key=r))
        if listed:
            items.append(Item("runs", 0, [0, 0], units=0, key=PassingRuns(passing)))
        for ft in self.tests:
            upgrade = "::" in ft.test_id and ft.file and id(ft) not in self.file_firsts
            items.append(Item("tests", 0, [0, 0] if upgrade else [0], units=1, key=ft))
        for g in self.groups:
            units = g.count if (g.level == 0 and not g.tests) else 0
            variants = (3 if self.other_locations(g) else 2) if g.example else 1
            items.append(Item("errors", g.level, [0] * variants, units=units, key=g, demoted=g.in_baseline))
        temps = breadth_order(a.templates.values())
        for t in temps:
            if t.level > opts.priority_filter or not t.example.strip() or t.template_id in hidden:
                continue
            detail = "<*>" in t.template
            if t.level <= Level.HIGH:
                variants = 1 + len(self.important_details(t))
            else:
                variants = (2 + len(self.more_examples(t))) if detail else 1
            items.append(Item(TEMPLATE_SECTIONS[t.level], t.level, [0] * variants, units=t.count, key=t, demoted=t.in_baseline))
        if a.baseline:  # what the last green run had too: after what is new, in every section
            items = [i for i in items if not i.demoted] + [i for i in items if i.demoted]
        # Every variant is counted when the budget manager first considers it: an item
        # that comes after the budget is spent is never counted (every cost is at least 1).
        for it in items:
            it.costs = _Costs(len(it.costs), partial(self.cost, it))
        return items

    def fragment(self, it: Item, variant: int) -> str:
        """The text an item adds to the summary at a variant (for costing)."""
        if self.fmt == "json":
            saved, it.chosen = it.chosen, variant
            try:
                if it.section == "tests":
                    return json_text(self.json_label(_test(it)))[:-1] + ","
                return json_text(self.json_item(it.section, it))[:-1] + ","
            finally:
                it.chosen = saved
        if it.section == "runs":
            return self.run_line(_run(it), variant)
        if it.section == "failed":
            return "\n".join(self.step_lines(_step(it), variant))
        if it.section == "tests":
            t = _test(it)
            if id(t) in self.file_firsts or "::" not in t.test_id or not t.file or variant >= 1:
                tid = t.test_id[len(self.test_prefix):] if self.test_prefix and t.test_id.startswith(self.test_prefix) else t.test_id
                return self.code(tid) + self.test_tags(t) + ", "
            return self.test_label(t) + ", "
        if it.section == "errors":
            return "\n".join(self.group_lines(_group(it), variant))
        return self.render_template(_template(it), variant)

    def group_lines(self, g: ErrorGroup, variant: int) -> list[str]:
        """A distinct error: its line; then its representative traceback; then where
        its other occurrences happened."""
        out = [self.group_head(g)]
        if variant >= 1:
            out.append(self.group_detail(g))
        if variant >= 2:
            more = self.other_locations(g)
            if more:
                out.append("  also at: " + ", ".join(self.code(x) for x in more))
        return out

    @staticmethod
    def other_locations(g: ErrorGroup) -> list[str]:
        shown = "\n".join(g.example)
        return [x for x in g.locations if x not in shown]

    def render_template(self, t: TemplateStat, variant: int) -> str:
        if t.level <= Level.HIGH:
            return self.important_line(t, variant)
        return self.template_line(t, variant >= 1, max(0, variant - 1))

    def cost(self, it: Item, variant: int) -> int:
        return tok.count(self.fragment(it, variant)) + 1

    # -- rendering ------------------------------------------------------------
    def header(self, tokens_out: int, budget: int) -> HeaderFacts:
        return header_facts(self.a, tokens_out, budget, self.opts.priority_filter)

    def section_title(self, sec: str, n_total: int) -> str:
        title = SECTION_TITLES[sec]
        if sec == "tests":
            title += f" ({n_total}, each in {self.runs_each} runs)" if self.runs_each > 1 else f" ({n_total})"
        if sec == "errors":
            title += f" ({n_total} distinct)"
        return title.upper() if self.plain else f"## {title}"

    def render_tests(self, shown: list[Item]) -> list[str]:
        """Failing tests by file. A file's first test is shown by its whole id (what a
        reader searches for and reruns), and so is every test the budget had room to
        upgrade; the others of the file by their short labels after them. Tests of
        runners that name no file are shown by their ids."""
        by_file: OrderedDict[str, OrderedDict[str, list[tuple[str, str]]]] = OrderedDict()
        whole: OrderedDict[str, list[FailedTest]] = OrderedDict()
        loose: list[str] = []
        for it in shown:
            t = _test(it)
            if "::" not in t.test_id or not t.file:
                loose.append(self.code(t.test_id) + self.test_tags(t))
                continue
            if t.file not in whole or it.chosen >= 1:
                whole.setdefault(t.file, []).append(t)
                by_file.setdefault(t.file, OrderedDict())
                continue
            parts = t.test_id.split("::")
            cls = "::".join(parts[1:-1]) if len(parts) > 2 else ""
            name = "::".join(parts[1:]) if "::" in t.test_id else t.name
            name = name.split("::")[-1] if cls else name
            by_file[t.file].setdefault(cls, []).append((self.bare(name), self.test_tags(t)))
        out = []
        prefix = _common_dir(list(whole))
        if prefix:
            out.append(f"under {self.code(prefix)}:")
        for f, classes in by_file.items():
            ids = ", ".join(self.code(t.test_id[len(prefix):] if prefix else t.test_id) + self.test_tags(t) for t in whole[f])
            # The tests of the last whole id's class follow it by name; other classes
            # are named once ("Class: a, b").
            parts = whole[f][-1].test_id.split("::")
            own = "::".join(parts[1:-1]) if len(parts) > 2 else ""
            chunks = [_names(names) if cls == own else (f"{self.bare(cls)}: " + _names(names) if cls else _names(names))
                      for cls, names in sorted(classes.items(), key=lambda kv: kv[0] != own)]
            out.append(f"- {ids}" + (", " + "; ".join(chunks) if chunks else ""))
        for i in range(0, len(loose), 8):
            out.append("- " + ", ".join(loose[i:i + 8]))
        return out

    def render(self, alloc: Allocation, tokens_out: int, budget: int, compact_header: bool = False) -> str:
        if self.fmt == "json":
            return self.render_json(alloc, tokens_out, budget)
        out = header_lines(self.header(tokens_out, budget), self.plain, "compact" if compact_header else "full") + baseline.note(self.a, self.fmt)
        for sec in SECTION_ORDER:
            sec_items = [i for i in alloc.items if i.section == sec]
            if not sec_items:
                continue
            shown = [i for i in sec_items if i.chosen >= 0]
            omitted = [i for i in sec_items if i.chosen < 0]
            out.append("")
            total = len(sec_items)
            out.append(self.section_title(sec, total))
            if sec == "tests":
                out.extend(self.render_tests(shown))
            else:
                for it in shown:
                    if sec == "runs":
                        out.append(self.run_line(_run(it), it.chosen))
                    elif sec == "failed":
                        out.extend(self.step_lines(_step(it), it.chosen))
                    elif sec == "errors":
                        out.extend(self.group_lines(_group(it), it.chosen))
                    else:
                        out.append(self.render_template(_template(it), it.chosen))
            if omitted:
                out.append(self.omission_line(sec, omitted))
        return visible("\n".join(out) + "\n")

    def omission_line(self, sec: str, omitted: list[Item]) -> str:
        n = len(omitted)
        if sec == "tests":
            files: OrderedDict[str, int] = OrderedDict()
            for it in omitted:
                file = _test(it).file or "?"
                files[file] = files.get(file, 0) + 1
            where = ", ".join(f"{self.bare(os.path.basename(f))} {c}" for f, c in list(files.items())[:4])
            more = f", {len(files) - 4} more files" if len(files) > 4 else ""
            return f"- … {n} more failing test{'s' if n != 1 else ''} not shown ({where}{more})"
        if sec == "errors":
            units = sum(_group(it).count for it in omitted)
            return f"- … {n} more distinct error{'s' if n != 1 else ''} ({units} occurrences) not shown"
        if sec == "runs":
            return f"- … {n} more run totals not shown"
        if sec == "failed":
            return f"- … {n} more failing step{'s' if n != 1 else ''} not shown"
        lines = sum(_template(it).count for it in omitted)
        return f"- … {n} more template{'s' if n != 1 else ''} ({lines:,} lines) not shown"

    def render_json(self, alloc: Allocation, tokens_out: int, budget: int) -> str:
        doc: dict[str, Any] = {
            "header": header_json(self.header(tokens_out, budget)),
            "sections": [],
            "omitted": {},
        }
        if self.a.baseline:
            doc["baseline"] = baseline.note_json(self.a)
        for sec in SECTION_ORDER:
            sec_items = [i for i in alloc.items if i.section == sec]
            if not sec_items:
                continue
            shown = [i for i in sec_items if i.chosen >= 0]
            omitted = [i for i in sec_items if i.chosen < 0]
            if sec == "tests":
                entries = self.json_tests(shown)
            else:
                entries = [self.json_item(sec, it) for it in shown]
            section: dict[str, Any] = {"name": sec, "title": SECTION_TITLES[sec], "total": len(sec_items), "items": entries}
            if sec == "tests" and self.runs_each > 1:
                section["each_in_runs"] = self.runs_each
            if omitted:
                section["omitted"] = {"count": len(omitted), "text": self.omission_line(sec, omitted)[4:]}
                doc["omitted"][sec] = len(omitted)
            doc["sections"].append(section)
        return json_text(doc)

    @staticmethod
    def json_run(r: RunTotals | SameRuns, runner: str | None = None) -> dict[str, Any]:
        """A run's totals (with its runner); runs that read the same, once with their count."""
        d: dict[str, Any] = {"line": r.line_no}
        if isinstance(r, SameRuns):
            d.update(last_line=r.last_line, runs=len(r.runs))
        if runner is not None:
            d["runner"] = runner
        d["totals"] = r.text
        return d

    def json_tests(self, shown: list[Item]) -> list[dict[str, Any]]:
        """Failing tests grouped by file, labels as in Markdown (``Class::name [E1]``; a
        test of a runner that names no file by its whole id)."""
        by_file: OrderedDict[str, list[str]] = OrderedDict()
        for it in shown:
            t = _test(it)
            label = self.json_label(t)
            by_file.setdefault(t.file, []).append(label)
        return [{"file": f, "tests": names} for f, names in by_file.items()]

    def json_item(self, sec: str, it: Item) -> dict[str, Any]:
        d: dict[str, Any]
        if sec == "runs":
            r = _run(it)
            if isinstance(r, PassingRuns):
                d = {"line": r.line_no, "runner": r.runs[-1].runner, "passing_runs": len(r.runs), "totals": r.runs[-1].text}
                if it.chosen >= 1:
                    d["all"] = [self.json_run(x) for x in same_runs(r.runs)[:PASSING_RUNS_MAX]]
                return d
            return self.json_run(r, r.runner)
        if sec == "failed":
            step = _step(it)
            d = {"step": step.name, "first_line": step.first_line, "last_line": step.last_line, "exit_code": step.exit_code,
                 "annotations": [t for _, t in step.annotations]}
            if it.chosen >= 1:
                d["command"] = step.command
                d["first_errors"] = [{"line": ln, "text": clip(t)} for ln, t in step.first_errors]
                if self.opts.priority_filter >= Level.VERBOSE:  # output lines of any level
                    d["last_lines"] = [clip(t, 240) for _, t in self.step_tail(step, it.chosen)]
            return d
        if sec == "tests":
            test = _test(it)
            d = {"test": test.test_id, "name": test.name, "file": test.file, "kind": test.kind}
            if test.group_key in self.group_ids:
                d["error"] = self.group_ids[test.group_key]
            for flag in ("new", "flaky"):
                if getattr(test, flag, False):
                    d[flag] = True
            return d
        if sec == "errors":
            g = _group(it)
            d = {"id": self.group_ids[g.key], "type": g.exc_type, "message": clip(g.message, 200), "count": g.count, "level": Level(g.level).label, "first_line": g.first_line, "last_line": g.last_line, "tests": len(g.tests)}
            if g.new:
                d["new"] = True
            if it.chosen >= 1:
                d["traceback"] = [clip(l, 240) for l in g.example]
            if it.chosen >= 2:
                d["also_at"] = self.other_locations(g)
            return d
        k = _template(it)
        d = {"count": k.count, "template": clip(shown_template(k.template)), "first_line": k.first_line, "last_line": k.last_line}
        if k.level <= Level.HIGH:
            d["example"] = clip(k.example)
            details = self.important_details(k)[: max(0, it.chosen)]
            examples = [clip(x) for _, x in details if isinstance(x, str) and x != k.example]
            if examples:
                d["more_examples"] = examples
            for _, x in details:
                if not isinstance(x, str):  # the context
                    d["context"] = {"first_line": x[0][0], "lines": [clip(t, 240) for _, t in x]}
            return d
        if it.chosen >= 1 or k.count == 1 or says_nothing(k.template):
            d["example"] = clip(k.example)
        if it.chosen >= 2:
            d["more_examples"] = [clip(x) for x in self.more_examples(k)[: it.chosen - 1]]
        return d

def summarize_analysis(a: Analysis, opts: SummaryOptions) -> Summary:
    """Choose, render and count: the budgeted summary of an analysis."""
    b = _Builder(a, opts)
    budget = opts.effective_budget
    items = b.items()
    # The least a summary says is its header and the count of what it leaves out.
    require_room(budget, _least(b, items, budget), opts, lambda n: _least(b, items, n))
    empty = Allocation(items, budget)
    fixed = tok.count(b.render(empty, budget, budget)) - sum(
        tok.count(b.omission_line(sec, [i for i in items if i.section == sec])) + 1 for sec in {i.section for i in items}
    )
    compact = False
    if fixed > budget * 0.5:
        compact = True
        fixed = tok.count(b.render(empty, budget, budget, compact_header=True)) - sum(
            tok.count(b.omission_line(sec, [i for i in items if i.section == sec])) + 1 for sec in {i.section for i in items}
        )
    mgr = TokenBudgetManager(budget, max(0, fixed) + 8, omission_cost=28)
    alloc = mgr.allocate(items)

    text, n = tok.settle(lambda claimed: mgr.fit(alloc, lambda al: b.render(al, claimed, budget, compact)), budget, 6)
    if n <= budget:
        text, n = _refill(b, alloc, items, budget, compact, text, n)
    if n > budget:
        # Not even the header and the omission lines fit: say only what was left out
        # (it fits: checked above).
        for it in items:
            it.chosen = -1
        text = _minimal(b, items, budget)
        n = tok.count(text)
    shown = {s: len(alloc.shown(s)) for s in SECTION_ORDER}
    omitted = {s: len(alloc.omitted(s)) for s in SECTION_ORDER}
    crit_shown = sum(i.units for i in items if i.level == 0 and i.chosen >= 0)
    crit_omitted = sum(i.units for i in items if i.level == 0 and i.chosen < 0)
    return Summary(text, opts.fmt, n, budget, a.tokens_in, a.tokens_in_exact, a, shown, omitted, crit_shown, crit_omitted)


#: Items tried again, at most, when the rendered summary left room (costs are counted
#: per item, so the allocation is a little cautious).
REFILL_TRIES = 12
_BREADTH = {"failed": 0, "runs": 1, "errors": 2, "critical": 3, "tests": 4, "high": 5}


def _refill(b: _Builder, alloc: Allocation, items: list[Item], budget: int, compact: bool,
            text: str, n: int) -> tuple[str, int]:
    """Fill the room an allocation left: the items not shown, breadth first (a line each
    before any detail), are added one by one while the exactly counted text fits."""
    if budget - n < max(16, budget // 64):  # little room: not worth a render per item
        return text, n
    left = [i for i in items if i.chosen < 0 and not i.demoted]  # the baseline's have their share
    left.sort(key=lambda i: (i.level, _BREADTH.get(i.section, 9)))
    added: list[Item] = []
    tries = misses = 0
    for it in left:
        slack = budget - n
        if slack < 8 or tries >= REFILL_TRIES or misses >= 3:
            break
        if it.costs[0] > slack:
            continue
        tries += 1
        it.chosen = 0
        new = b.render(alloc, n, budget, compact)
        m = tok.count(new)
        if m <= budget - 3:  # room for the header's own count to change
            text, n, misses = new, m, 0
            added.append(it)
        else:
            it.chosen = -1
            misses += 1
    if not added:
        return text, n
    while True:  # the header states the count: render until it is stable
        claimed = n
        for _ in range(4):
            text = b.render(alloc, claimed, budget, compact)
            n = tok.count(text)
            if n == claimed:
                break
            claimed = n
        if n <= budget or not added:
            return text, n
        added.pop().chosen = -1


def _least(b: _Builder, items: list[Item], budget: int) -> int:
    """Tokens of the least summary at ``budget``: its header and the counts of what it
    leaves out (:func:`_minimal`)."""
    return tok.count(_minimal(b, items, budget))


def _minimal(b: _Builder, items: list[Item], budget: int) -> str:
    """The summary for a budget too small for any detail: the header and the counts of
    what is left out."""
    tests = sum(1 for i in items if i.section == "tests")
    runs = sum(1 for i in items if i.section == "runs")
    crit_lines = sum(i.units for i in items if i.level == 0 and i.section not in ("tests", "runs"))
    errors = sum(1 for i in items if i.section == "errors")
    facts = b.header(0, budget)
    if b.fmt == "json":
        omitted = {"tests": tests, "critical": crit_lines, "errors": errors, "runs": runs}
        omitted = {k: v for k, v in omitted.items() if v}
        return json_text({"header": header_json(facts, "minimal"), "sections": [], "omitted": omitted,
                          "note": "budget too small for details"})
    parts = []
    if tests:
        parts.append(f"… {tests} more failing test{'s' if tests != 1 else ''} not shown")
    if crit_lines:
        parts.append(f"… {crit_lines} more critical line{'s' if crit_lines != 1 else ''} not shown")
    if errors:
        parts.append(f"… {errors} more distinct error{'s' if errors != 1 else ''} not shown")
    if runs:
        parts.append(f"… {runs} more run totals not shown")
    bullet = "" if b.plain else "- "
    return visible("\n".join([*header_lines(facts, b.plain, "minimal"), *[bullet + p for p in parts]]) + "\n")
