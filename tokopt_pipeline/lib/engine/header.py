"""The header of a summary: one function gathers its facts, one per format writes them.

Every summary starts with the same facts about the log and the summary itself (the
file, its size, the tokens in and out, what was found). :func:`header_facts` collects
them from an :class:`~.model.Analysis`; :func:`header_lines` writes them as Markdown or
plain text and :func:`header_json` as the ``header`` object of a JSON summary. Each takes
a *form*:

* ``full``: every fact (the usual header);
* ``compact``: one line of figures, when the full header would take over half the budget;
* ``minimal``: one line of figures and the budget, for a budget too small for details;
* ``components``: the header of a summary split by component (:mod:`.components`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.engine.quote import inline_code, md_text, visible


def plural(n: int, word: str) -> str:
    """``n`` and ``word`` as a count reads: ``1 line``, ``2,048 lines``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"

__all__ = ["FORMS", "HeaderFacts", "header_facts", "header_lines", "header_json"]

FORMS = ("full", "compact", "minimal", "components")


@dataclass
class HeaderFacts:
    """What a summary's header says."""

    source: str  # the log as given (``-`` for stdin)
    lines: int
    bytes: int
    compression: str | None
    profile: str
    tokens_in: int
    tokens_in_exact: bool
    tokens_out: int
    budget: int
    level_counts: list[int]
    failing_tests: int
    distinct_errors: int
    runs: int
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    redacted: int = 0
    lines_cut: int = 0
    priority_filter: Level = Level.VERBOSE
    #: A summary split by component: how, and each part's (name, tokens used, budget).
    split_by: str | None = None
    parts: list[tuple[str, int, int]] = field(default_factory=list)
    scale: float = 1.0

    @property
    def name(self) -> str:
        """The log's file name (``(stdin)`` for standard input)."""
        return os.path.basename(self.source) if self.source not in ("-", "") else "(stdin)"

    @property
    def path(self) -> str:
        """The log's path as given (``(stdin)`` for standard input)."""
        return self.source if self.source != "-" else "(stdin)"

    @property
    def estimation(self) -> str:
        return "exact" if self.tokens_in_exact else "estimated"


def header_facts(a: Analysis, tokens_out: int, budget: int, priority_filter: Level = Level.VERBOSE,
                 split_by: str | None = None, parts: list[tuple[str, int, int]] | None = None,
                 scale: float = 1.0) -> HeaderFacts:
    """The facts of the header of ``a``'s summary, which counts ``tokens_out`` tokens of ``budget``."""
    return HeaderFacts(
        source=a.source, lines=a.lines, bytes=a.raw_bytes, compression=a.compression, profile=a.profile,
        tokens_in=a.tokens_in, tokens_in_exact=a.tokens_in_exact, tokens_out=tokens_out, budget=budget,
        level_counts=list(a.level_counts), failing_tests=len(a.tests), distinct_errors=len(a.groups),
        runs=len(a.runs), first_timestamp=a.first_timestamp, last_timestamp=a.last_timestamp,
        redacted=sum(a.redactions.values()), lines_cut=a.lines_cut, priority_filter=priority_filter,
        split_by=split_by, parts=list(parts or []), scale=scale,
    )


def header_lines(f: HeaderFacts, plain: bool, form: str = "full") -> list[str]:
    """The header as lines of Markdown, or of plain text when ``plain``."""
    if form == "components":
        return _components_lines(f, plain)
    title = f"tokopt summary: {_name(f.name, plain)}"
    head = title if plain else f"# {title}"
    if form == "minimal":
        return [head, f"{f.lines:,} lines · tokens in {f.tokens_in:,} ({f.estimation}) · budget {f.budget:,}: too small for details"]
    out = [head, ""]
    if form == "compact":
        out.append(f"{f.lines:,} lines · tokens in {f.tokens_in:,} ({f.estimation}) · out {f.tokens_out:,}/{f.budget:,}"
                   f" · {f.failing_tests} failing tests · {f.distinct_errors} distinct errors")
        return out
    b = (lambda s: s) if plain else (lambda s: f"**{s}**")
    code = visible if plain else (lambda s: inline_code(visible(s)))
    if not f.tokens_in:
        red = "n/a"
    elif f.tokens_out > f.tokens_in:  # a short log: its summary, header and all, is longer
        red = "none (the log is shorter than its summary)"
    else:
        red = f"{100 * (1 - f.tokens_out / f.tokens_in):.1f}%"
    lv = " · ".join(f"{Level(i).label} {c:,}" for i, c in enumerate(f.level_counts))
    out.append(f"- {b('file')}: {code(f.path)} · {plural(f.lines, 'line')} · {plural(f.bytes, 'byte')}"
               + (f" ({f.compression})" if f.compression else "") + f" · profile {f.profile}")
    out.append(f"- {b('tokens')}: in {f.tokens_in:,} ({f.estimation}) · out {f.tokens_out:,} of {f.budget:,} budget · reduction {red}")
    out.append(f"- {b('priorities')} (lines): {lv}")
    found = []
    if f.failing_tests:
        found.append(f"{f.failing_tests} failing tests")
    if f.distinct_errors:
        found.append(f"{f.distinct_errors} distinct errors")
    if f.runs:
        found.append(f"{f.runs} test run{'s' if f.runs != 1 else ''}")
    if found:
        out.append(f"- {b('found')}: " + " · ".join(found))
    if f.first_timestamp:
        out.append(f"- {b('time')}: {_name(f.first_timestamp, plain)} → {_name(f.last_timestamp or '', plain)}")
    if f.redacted:
        out.append(f"- {b('redacted')}: {f.redacted} secrets")
    if f.lines_cut:
        out.append(f"- {b('cut')}: {f.lines_cut} over-long lines cut")
    if f.priority_filter < Level.VERBOSE:
        out.append(f"- {b('filter')}: only {f.priority_filter.label} and above")
    return out


def _components_lines(f: HeaderFacts, plain: bool) -> list[str]:
    title = f"tokopt summary: {_name(f.name, plain)} (by {f.split_by})"
    parts = " · ".join(f"{_name(key, plain)} {used:,}/{budget:,}" for key, used, budget in f.parts)
    out = [title if plain else f"# {title}", ""]
    path = visible(f.source) if plain else inline_code(visible(f.source))
    out.append(f"- file: {path} · {f.lines:,} lines · {f.bytes:,} bytes · profile {f.profile}")
    out.append(f"- tokens: in {f.tokens_in:,} ({f.estimation}) · out {f.tokens_out:,} of {f.budget:,} budget")
    out.append(f"- components (tokens used/budget): {parts}")
    out.append(f"- found (whole log): {f.failing_tests} failing tests · {f.distinct_errors} distinct errors")
    if f.scale < 1.0:
        out.append(f"- budgets scaled by {f.scale:.3f} so that their total fits --token-budget")
    return out


def _name(text: str, plain: bool) -> str:
    """A name from the user or the log in a header line."""
    return visible(text) if plain else md_text(visible(text))


def header_json(f: HeaderFacts, form: str = "full") -> dict[str, object]:
    """The header as the ``header`` object of a JSON summary."""
    if form == "minimal":
        return {"file": f.source, "lines": f.lines, "tokens_in": f.tokens_in, "tokens_in_exact": f.tokens_in_exact,
                "token_budget": f.budget}
    if form == "components":
        return {"file": f.source, "split_by": f.split_by, "lines": f.lines, "bytes": f.bytes, "profile": f.profile,
                "tokens_in": f.tokens_in, "tokens_in_exact": f.tokens_in_exact, "token_budget": f.budget,
                "failing_tests": f.failing_tests, "distinct_errors": f.distinct_errors,
                "budget_scale": round(f.scale, 4)}
    return {
        "file": f.source,
        "lines": f.lines,
        "bytes": f.bytes,
        "profile": f.profile,
        "tokens_in": f.tokens_in,
        "tokens_in_exact": f.tokens_in_exact,
        "tokens_out": f.tokens_out,
        "token_budget": f.budget,
        "reduction_pct": round(100 * (1 - f.tokens_out / f.tokens_in), 2) if f.tokens_in else 0.0,
        "priority_counts": {Level(i).label: c for i, c in enumerate(f.level_counts)},
        "failing_tests": f.failing_tests,
        "distinct_errors": f.distinct_errors,
        "first_timestamp": f.first_timestamp,
        "last_timestamp": f.last_timestamp,
        "redacted": f.redacted,
    }
