"""What is new since the last green run: the baseline of a passing run, and this run's
lines that the passing run had too, demoted below everything new.

A :class:`Baseline` is a passing run reduced to 64-bit fingerprints (never its lines):

* of each of its templates' text (the miner's, with ``<*>`` for what varies) and of
  the masked form of each template's kept real lines;
* of each of its error groups' keys (exception type and normalized message);
* and the *shapes* of its templates: how many tokens, and where the ``<*>`` are.

A template of the run being summarized is **in the baseline** when its text, or each
of its kept real lines (masked), equals one of those fingerprints, once the positions a
shape of the passing run leaves variable are made variable too: the line
``tests/a.py::test_x PASSED [ 10%]`` alone is its own template here, and matches the
passing run's ``<*> PASSED <*>``. A template made only of ``<*>`` matches nothing. An
error group is in the baseline when the passing run had its key and no failing test
raised it here. Failing tests, run totals and failing CI steps are never in it: they
are what broke this run.

:func:`apply` marks what is in the baseline (``TemplateStat.in_baseline``,
``ErrorGroup.in_baseline``; the one place these marks are set) and records what it
demoted in ``Analysis.baseline``. The renderer then lists those items after every new
one (:class:`~.budget.TokenBudgetManager` gives them what the new ones leave), each
section's omission line counts those that do not fit, and the header's count line
says how many lines (and about how many tokens) were demoted. Critical events stay
critical: shown or counted, never dropped.

Where a baseline comes from: ``--baseline-log PASSING.log`` (:func:`of_log`, one
analysis pass over it), or the memory (``--store-memory``): the last passing run of
the same suite, whose fingerprints the memory kept when it was recorded
(:func:`of_analysis` on a run that :func:`passed`).

Example:
    >>> b = Baseline.of_texts(["job <*> done"], shapes=["3:1"])
    >>> b.matches("job 12 done".split()), b.matches("job failed".split())
    (True, False)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

import polars as pl

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.model import Analysis, TemplateStat
from tokopt_pipeline.lib.engine.quote import md_text, visible
from tokopt_pipeline.lib.engine.templates import WILDCARD, mask_series
from tokopt_pipeline.lib.settings.options import SummaryOptions

__all__ = ["Baseline", "apply", "fingerprint", "note", "of_analysis", "of_log", "passed"]

#: What the count line calls the run a baseline comes from.
GREEN_RUN = "the last green run"


def fingerprint(text: str) -> int:
    """A stable signed 64-bit fingerprint of ``text`` (the same in every process)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _error_fingerprint(key: str) -> int:
    return fingerprint("error|" + key)


def _shape(tokens: list[str]) -> str | None:
    """``"N:i,j"``: N tokens, ``<*>`` at positions i and j; None without a ``<*>`` or
    without a constant token."""
    wild = [i for i, t in enumerate(tokens) if t == WILDCARD]
    if not wild or len(wild) == len(tokens):
        return None
    return f"{len(tokens)}:" + ",".join(map(str, wild))


@dataclass(frozen=True)
class Baseline:
    """A passing run as fingerprints (see the module docstring).

    Args:
        fingerprints: of its template texts, its masked kept lines and its error keys.
        shapes: its templates' shapes, ``"N:i,j"``.
        label: where it comes from (a log's name, a run id), for the count line.
    """

    fingerprints: frozenset[int]
    shapes: frozenset[str] = frozenset()
    label: str = ""

    @classmethod
    def of_texts(cls, texts: Iterable[str], shapes: Iterable[str] = (), errors: Iterable[str] = (),
                 label: str = "") -> Baseline:
        """A baseline of template texts or masked lines, shapes and error keys."""
        fps = {fingerprint(" ".join(t.split())) for t in texts if not _all_wild(t)}
        fps |= {_error_fingerprint(k) for k in errors}
        return cls(frozenset(fps), frozenset(shapes), label)

    @cached_property
    def _by_length(self) -> dict[int, list[tuple[int, ...]]]:
        out: dict[int, list[tuple[int, ...]]] = {}
        for s in self.shapes:
            n, _, pos = s.partition(":")
            try:
                out.setdefault(int(n), []).append(tuple(int(p) for p in pos.split(",")))
            except ValueError:
                continue
        return out

    def matches(self, tokens: list[str]) -> bool:
        """Whether the template or masked line ``tokens`` is in the baseline: as it is,
        or with the variable positions of one of the baseline's shapes made variable."""
        if not tokens or all(t == WILDCARD for t in tokens):
            return False
        fps = self.fingerprints
        if fingerprint(" ".join(tokens)) in fps:
            return True
        for positions in self._by_length.get(len(tokens), ()):
            general = list(tokens)
            for p in positions:
                general[p] = WILDCARD
            if any(t != WILDCARD for t in general) and fingerprint(" ".join(general)) in fps:
                return True
        return False

    def has_error(self, key: str) -> bool:
        return _error_fingerprint(key) in self.fingerprints

    def payload(self) -> dict[str, object]:
        """As JSON-friendly values (the memory's store operation carries them)."""
        return {"fingerprints": sorted(self.fingerprints), "shapes": sorted(self.shapes), "label": self.label}

    @classmethod
    def from_payload(cls, d: dict[str, object]) -> Baseline:
        fps = d.get("fingerprints") or []
        shapes = d.get("shapes") or []
        assert isinstance(fps, list) and isinstance(shapes, list)
        return cls(frozenset(int(x) for x in fps), frozenset(str(s) for s in shapes), str(d.get("label") or ""))


def _all_wild(text: str) -> bool:
    return all(t == WILDCARD for t in text.split())


def _kept_lines(t: TemplateStat) -> list[str]:
    return t.examples or ([t.example] if t.example else [])


def _masked(lines: list[str]) -> list[list[str]]:
    if not lines:
        return []
    return [str(m or "").split() for m in mask_series(pl.Series("line", lines, dtype=pl.Utf8)).to_list()]


def of_analysis(a: Analysis, label: str = "") -> Baseline:
    """The baseline a run leaves: its templates, their kept lines (masked) and its
    error groups, as fingerprints."""
    templates = list(a.templates.values())
    lines = [x for t in templates for x in _kept_lines(t)]
    texts = [t.template for t in templates] + [" ".join(m) for m in _masked(lines)]
    shapes = {s for t in templates if (s := _shape(t.template.split())) is not None}
    return Baseline.of_texts(texts, shapes, a.groups.keys(), label or a.source)


def of_log(path: str, options: SummaryOptions | None = None) -> Baseline:
    """The baseline of a passing log: one analysis pass over it, with the same settings
    (profile, rules, redaction) as the run it is compared with.

    Raises:
        InputNotFound, BadInput: the log cannot be read or is not a log.
    """
    from tokopt_pipeline.lib.engine.analysis import analyze

    opts = replace(options or SummaryOptions(), collect_run_meta=False, baseline_log=None, component_budgets=None)
    return of_analysis(analyze(path, opts), label=os.path.basename(path) if path != "-" else "(stdin)")


def passed(a: Analysis) -> bool:
    """Whether a run passed, by its log: no failing test, no failing run totals, no
    failing CI step and no critical line or error."""
    return not a.tests and not a.failed_steps and not any(r.failed for r in a.runs) and a.critical_units == 0


def apply(a: Analysis, b: Baseline) -> dict[str, object]:
    """Mark what ``a`` shares with the passing run ``b`` and record the counts in
    ``a.baseline`` (returned): lines and templates, about how many input tokens those
    lines were (each template's count times its example's tokens), error groups and
    their occurrences."""
    templates = list(a.templates.values())
    kept = [_kept_lines(t) for t in templates]
    masked = iter(_masked([x for ks in kept for x in ks]))
    lines = tokens = n_templates = 0
    demoted_examples: list[tuple[int, str]] = []
    for t, ks in zip(templates, kept, strict=True):
        mine = [next(masked) for _ in ks]
        seen = b.matches(t.template.split()) or (bool(mine) and all(b.matches(m) for m in mine))
        t.in_baseline = seen
        if seen:
            n_templates += 1
            lines += t.count
            demoted_examples.append((t.count, t.example))
    if demoted_examples:
        counts = tok.count_many([x + "\n" for _, x in demoted_examples])
        tokens = sum(n * c for (n, _), c in zip(demoted_examples, counts, strict=True))
    errors = occurrences = 0
    for g in a.groups.values():
        g.in_baseline = not g.tests and b.has_error(g.key)
        if g.in_baseline:
            errors += 1
            occurrences += g.count
    a.baseline = {"label": b.label, "lines": lines, "tokens": tokens, "templates": n_templates,
                  "errors": errors, "occurrences": occurrences}
    return a.baseline


def clear(a: Analysis) -> None:
    """Take any baseline marks off ``a``."""
    for t in a.templates.values():
        t.in_baseline = False
    for g in a.groups.values():
        g.in_baseline = False
    a.baseline = {}


def note(a: Analysis, fmt: str) -> list[str]:
    """The count line(s) of a summary whose analysis had a baseline applied (Markdown
    or text; JSON: :func:`note_json`). None without a baseline."""
    d = a.baseline
    if not d:
        return []
    lines, tokens, errors, occ = (int(str(d.get(k, 0))) for k in ("lines", "tokens", "errors", "occurrences"))
    label = str(d.get("label") or "")
    what = f"{lines:,} line{'s' if lines != 1 else ''} (≈{tokens:,} tokens)"
    if errors:
        what += f" and {errors} distinct error{'s' if errors != 1 else ''} (×{occ:,})"
    name = "baseline" if fmt == "text" else "**baseline**"
    # The label is a file name or a run id: text from the user, quoted like every name.
    src = f" ({visible(label) if fmt == 'text' else md_text(visible(label))})" if label else ""
    return [f"- {name}: {what} also in {GREEN_RUN}{src} demoted: listed after what is new"]


def note_json(a: Analysis) -> dict[str, object] | None:
    """The count as JSON (the summary's ``baseline`` key); None without a baseline."""
    d = a.baseline
    if not d:
        return None
    return {"source": d.get("label") or "", "demoted_lines": d.get("lines", 0), "demoted_tokens_estimated": d.get("tokens", 0),
            "demoted_templates": d.get("templates", 0), "demoted_errors": d.get("errors", 0),
            "demoted_error_occurrences": d.get("occurrences", 0)}
