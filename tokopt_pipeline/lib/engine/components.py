"""Component budgets: split a log by component and summarize each part within its own budget.

One concept (over 400 lines): splitting a log by component and fitting each part
to its own budget.

``--component-budgets '{"api": 20000, "frontend": 15000, "misc": 5000}'`` gives each
component a share of the budget. A log is split into components one of three ways
(``--component-by``, detected when ``auto``):

* ``step`` — CI steps: a GitHub Actions ``##[group]NAME`` (or ``::group::NAME``) line
  starts the step NAME; its output follows until the next group. Lines before the first
  group belong to ``(setup)``.
* ``logger`` — the logger name of each record (``2024-05-01 12:00:00,123 ERROR
  app.api: ...``, ``ERROR:app.api:...``, ``... - app.api - ERROR - ...``, log4j's
  ``LEVEL [thread] com.example.Api``, a JSON line's ``logger``/``name`` field). Lines
  that are not records (tracebacks) belong to the record above them.
* ``file`` — the source file named at the start of a line (pytest result lines,
  ``path:line: message`` from compilers and linters); other lines follow the last file
  named.

A budget key matches a component whose name equals it, matches it as a glob, or
contains it (case-insensitive): ``api`` takes the steps ``Run api tests`` and ``Lint
api``. Exact matches win over globs and substrings; otherwise the first key in the JSON
wins. The key ``misc`` (or ``*``, ``other``) takes every component no other key does;
without one they share what is left of the total budget as ``other``.

Every part is summarized with the engine at its own budget, and its section of the
final summary (heading included) is counted exactly and kept within that budget. The
whole summary is never over ``--token-budget``: when the keys ask for more than the
total, every share is scaled down in proportion, and the header says so.

One concept (over 400 lines): a log split into components, each summarized within
its own budget.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.budget import BudgetTooSmall, require_room
from tokopt_pipeline.lib.engine.export import SideOutputs
from tokopt_pipeline.lib.engine.header import HeaderFacts, header_facts, header_json, header_lines
from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.engine.priority import UsageError
from tokopt_pipeline.lib.engine.quote import json_text, md_text, visible
from tokopt_pipeline.lib.engine.render import Summary, summarize_analysis
from tokopt_pipeline.lib.settings.options import SummaryOptions

if TYPE_CHECKING:
    import polars as pl

    from tokopt_pipeline.lib.engine.analysis import Analyzer

__all__ = ["MODES", "ComponentSummary", "Splitter", "detect_mode", "parse_component_budgets", "match_key", "summarize_components", "scan_components"]

MODES = ("auto", "step", "logger", "file")
CATCH_ALL = ("misc", "*", "other")
MIN_PART = 120  # tokens: below this a part cannot hold even its heading and counts
MATCHED_LISTED = 6  # components a part names (the others are counted)

_GROUP = re.compile(r"^(?:##\[group\]|::group::)(.*)$")
_LEVELS = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|CRITICAL|FATAL)"
_TS = r"\d{4}-\d\d-\d\d[ T][\d:,.]+(?:Z|[+-]\d\d:?\d\d)?"
_LOGGER_RES = [
    re.compile(r"^" + _TS + r"\s+\[?" + _LEVELS + r"\]?\s+\[[^\]]*\]\s+([\w.$-]+)"),  # log4j: LEVEL [thread] logger
    re.compile(r"^" + _TS + r"\s+-?\s*([A-Za-z_][\w.$-]*)\s+-\s+" + _LEVELS + r"\s+-"),  # asctime - name - LEVEL -
    re.compile(r"^" + _TS + r"\s+\[?" + _LEVELS + r"\]?\s+\[?([A-Za-z_][\w.$-]*)\]?:"),  # asctime LEVEL name:
    re.compile(r"^" + _LEVELS + r":([\w.$-]+):"),  # logging.basicConfig
]
_JSON_LOGGER = re.compile(r'"(?:logger|logger_name|name|component)"\s*:\s*"([^"]{1,120})"')
_EXT = r"(?:py|pyx|java|kt|scala|js|jsx|ts|tsx|go|rb|rs|c|cc|cpp|cxx|h|hpp|cs|php|swift|m|sh)"
_FILE_AT_START = re.compile(r"^\s*(?:(?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+)?((?:[\w.-]+[/\\])*[\w.-]+\." + _EXT + r")(?=::|:\d|\s|\(|$)")


def parse_component_budgets(text: str) -> dict[str, int]:
    """``'{"api": 20000, ...}'`` (or the path of a JSON file) -> ``{"api": 20000, ...}``.

    Raises:
        UsageError: not JSON, not an object, or a budget that is not a whole number > 0.
    """
    raw = text
    if not text.lstrip().startswith("{") and Path(text).is_file():
        raw = Path(text).read_text(encoding="utf-8")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--component-budgets: not valid JSON ({exc.msg} at column {exc.colno}); expected e.g. '{{\"api\": 20000, \"misc\": 5000}}'") from None
    if not isinstance(data, dict) or not data:
        raise UsageError("--component-budgets: expected a JSON object of component names and token budgets, e.g. '{\"api\": 20000}'")
    out = {}
    for k, v in data.items():
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise UsageError(f"--component-budgets: the budget of {k!r} must be a whole number above 0, got {v!r}")
        out[str(k)] = v
    return out


def detect_mode(sample: list[str]) -> str:
    """``step`` for CI logs with groups, ``logger`` for logging records, else ``file``."""
    lines = [l for l in sample[:2000] if l.strip()]
    if any(_GROUP.match(l) for l in lines):
        return "step"
    records = sum(1 for l in lines if any(rx.match(l) for rx in _LOGGER_RES) or (l.startswith("{") and _JSON_LOGGER.search(l)))
    if lines and records >= max(3, 0.2 * len(lines)):
        return "logger"
    return "file"


class Splitter:
    """Assigns each line to a component, keeping state between lines."""

    def __init__(self, mode: str):
        if mode not in MODES or mode == "auto":
            raise UsageError(f"unknown component split {mode!r}: use step, logger or file")
        self.mode = mode
        self.current = "(setup)" if mode == "step" else "(none)"

    def component(self, line: str) -> str:
        if self.mode == "step":
            m = _GROUP.match(line)
            if m:
                self.current = m.group(1).strip() or "(unnamed step)"
        elif self.mode == "logger":
            for rx in _LOGGER_RES:
                m = rx.match(line)
                if m:
                    self.current = m.group(1)
                    break
            else:
                if line.startswith("{"):
                    m = _JSON_LOGGER.search(line)
                    if m:
                        self.current = m.group(1)
        else:
            m = _FILE_AT_START.match(line)
            if m:
                self.current = m.group(1).replace("\\", "/")
        return self.current


def match_key(name: str, keys: list[str]) -> str | None:
    """The budget key that takes component ``name`` (see the module docstring)."""
    low = name.lower()
    for k in keys:
        if k.lower() == low:
            return k
    for k in keys:
        if k not in CATCH_ALL and any(c in k for c in "*?[") and fnmatch.fnmatch(low, k.lower()):
            return k
    for k in keys:
        if k not in CATCH_ALL and k.lower() in low:
            return k
    for k in keys:
        if k in CATCH_ALL:
            return k
    return None


@dataclass
class _Part:
    key: str
    budget: int
    path: Path
    handle: IO[str]  # the part's lines, written while the log streams
    lines: int = 0
    components: dict[str, int] = field(default_factory=dict)  # component -> lines


@dataclass
class ComponentResult:
    key: str
    budget: int
    tokens: int
    lines: int
    components: dict[str, int]
    #: None when the part is counted, not shown (no room in its budget).
    summary: Summary | None


@dataclass
class ComponentSummary(Summary):
    """A summary split by component: the figures of the whole log and the composite's
    text, plus each part's result and how the log was split."""

    components: list[ComponentResult] = field(default_factory=list)
    component_mode: str = "file"


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)[:60] or "part"


def _split_budgets(budgets: dict[str, int], available: int, need_other: bool) -> tuple[dict[str, int], float]:
    wanted = dict(budgets)
    if need_other:
        wanted["other"] = max(MIN_PART, available - sum(budgets.values()))
    total = sum(wanted.values())
    if total <= available:
        return wanted, 1.0
    scale = available / total
    return {k: max(1, int(v * scale)) for k, v in wanted.items()}, scale


def _note(fmt: str, a: Analysis) -> str:
    """A part its budget has no room to summarize: what it holds, counted."""
    crit = sum(t.count for t in a.critical_templates)
    counts = {"failing tests": len(a.tests), "distinct errors": len(a.groups), "critical lines": crit, "runs": len(a.runs)}
    counts = {k: v for k, v in counts.items() if v}
    if fmt == "json":
        return json_text({"not_shown": {k.replace(" ", "_"): v for k, v in counts.items()}, "note": "no room in its budget"})
    said = ", ".join(f"{v} {k if v != 1 else k[:-1]}" for k, v in counts.items()) or "no failures"
    return ("" if fmt == "text" else "- ") + f"… not shown, no room in its budget: {said}\n"


def _fragment(fmt: str, key: str, budget: int, part: _Part, text: str) -> str:
    if fmt == "json":
        return text  # assembled by _assemble_json
    name = visible if fmt == "text" else (lambda s: md_text(visible(s)))
    comps = ", ".join(f"{name(c)} ({n:,} lines)" for c, n in list(part.components.items())[:MATCHED_LISTED])
    more = f", {len(part.components) - MATCHED_LISTED} more" if len(part.components) > MATCHED_LISTED else ""
    key = name(key)
    if fmt == "text":
        body = text
        return f"== COMPONENT {key} (budget {budget:,}; {comps}{more}) ==\n{body}"
    body = re.sub(r"^(#{1,5}) ", lambda m: "#" + m.group(1) + " ", text, flags=re.M)
    body = re.sub(r"\A## tokopt summary: [^\n]*\n\n?", "", body)
    return f"## Component: {key} (budget {budget:,})\n_{comps}{more}_\n\n{body}"


def _header(fmt: str, path: str, mode: str, whole: Analysis, results: list[ComponentResult], total_budget: int, tokens_out: int, scale: float) -> str:
    facts = _facts(whole, path, mode, results, total_budget, tokens_out, scale)
    return "\n".join(header_lines(facts, fmt == "text", "components")) + "\n"


def _facts(whole: Analysis, path: str, mode: str, results: list[ComponentResult], total_budget: int, tokens_out: int,
           scale: float) -> HeaderFacts:
    facts = header_facts(whole, tokens_out, total_budget, split_by=mode,
                         parts=[(r.key, r.tokens, r.budget) for r in results], scale=scale)
    facts.source = path
    return facts


def scan_components(path: str, mode: str = "auto", sample_lines: int = 2000) -> tuple[str, dict[str, dict[str, int]]]:
    """Lines, bytes and estimated tokens per component of ``path`` (one streaming pass)."""
    from tokopt_pipeline.lib.engine.reader import open_log

    splitter = None
    stats: dict[str, dict[str, int]] = {}
    model = tok.load_model()
    with open_log(path) as src:
        for batch in src.batches(batch_lines=20_000):
            if splitter is None:
                mode = detect_mode(batch.lines[:sample_lines]) if mode == "auto" else mode
                splitter = Splitter(mode)
            for line in batch.lines:
                c = splitter.component(line)
                s = stats.setdefault(c, {"lines": 0, "bytes": 0})
                s["lines"] += 1
                s["bytes"] += len(line.encode("utf-8")) + 1
    for s in stats.values():
        s["tokens_estimated"] = model.estimate("generic", s["bytes"], s["lines"])
    return mode if mode != "auto" else "file", stats


def summarize_components(
    path: str,
    options: SummaryOptions,
    export_templates: str | Path | None = None,
    preprocess_to: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    annotate: Callable[[Analysis], None] | None = None,
) -> ComponentSummary:
    """The summary of ``path`` with ``options.component_budgets`` honoured.

    One streaming pass analyses the whole log (for the header and the figures) and
    writes each part's redacted lines to a private temporary folder; each part is then
    analysed and rendered within its budget. Returns a :class:`Summary` whose figures
    are those of the whole log and whose text is the composite.

    ``annotate`` is called with the whole log's analysis before anything is rendered
    (as in :func:`~.summarize.summarize`); the **new** and flaky marks it sets carry
    over to the parts.
    """
    budgets = dict(options.component_budgets or {})
    if not budgets:
        raise UsageError("component budgets are empty")
    keys = list(budgets)
    mode = getattr(options, "component_by", "auto") or "auto"
    tmp = Path(tempfile.mkdtemp(prefix="tokopt-components-"))
    parts: dict[str, _Part] = {}
    state: dict[str, Splitter] = {}
    side = SideOutputs(export_templates, preprocess_to)

    def part_for(key: str) -> _Part:
        p = parts.get(key)
        if p is None:
            path = tmp / f"{len(parts):03d}-{_safe(key)}.log"
            p = _Part(key, 0, path, open(path, "w", encoding="utf-8", newline="\n"))
            parts[key] = p
        return p

    def on_batch(df: pl.DataFrame, an: Analyzer) -> None:
        side.add(df, an)
        lines = df.get_column("line").to_list()
        if "splitter" not in state:
            m = detect_mode(lines[:2000]) if mode == "auto" else mode
            state["splitter"] = Splitter(m)
        sp: Splitter = state["splitter"]
        for line in lines:
            comp = sp.component(line)
            key = match_key(comp, keys) or "other"
            p = part_for(key)
            p.handle.write(line + "\n")
            p.lines += 1
            p.components[comp] = p.components.get(comp, 0) + 1

    try:
        try:
            try:
                whole = analyze(path, options, on_batch=on_batch, progress=progress)
            finally:
                for p in parts.values():
                    p.handle.close()
            if annotate is not None:
                annotate(whole)
            split_mode = state["splitter"].mode if "splitter" in state else (mode if mode != "auto" else "file")
            summary = _compose(path, options, whole, parts, budgets, split_mode)  # a budget too small is refused here
            side.finish()
        except BaseException:
            side.discard()
            raise
        return summary
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compose(path: str, options: SummaryOptions, whole: Analysis, parts: dict[str, _Part], budgets: dict[str, int],
             mode: str) -> ComponentSummary:
    fmt = options.fmt
    total = options.effective_budget
    need_other = "other" in parts and "other" not in budgets
    header_reserve = 90 + 12 * (len(budgets) + 1)
    shares, scale = _split_budgets(budgets, max(0, total - header_reserve), need_other)
    part_opts = replace(options, redact=False, profile=whole.profile if options.profile == "auto" else options.profile, component_budgets=None, token_buffer=0)
    order = [k for k in shares if k in parts] + [k for k in shares if k not in parts]
    analyses: dict[str, Analysis] = {}
    for key in order:
        if key in parts:
            a = analyze(str(parts[key].path), part_opts)
            a.source = f"{path} [{key}]"
            a.mark(*whole.marks())  # the whole log's marks on the part's errors and tests
            analyses[key] = a

    frags: dict[str, str] = {}
    results: dict[str, ComponentResult] = {}

    def count_part(key: str, budget: int, frags: dict[str, str] = frags,
                   results: dict[str, ComponentResult] = results) -> None:
        """The part counted in one line instead of summarized."""
        p = parts[key]
        frag = _fragment(fmt, key, budget, p, _note(fmt, analyses[key]))
        frags[key] = frag
        results[key] = ComponentResult(key, budget, tok.count(frag), p.lines, p.components, None)

    def render_part(key: str, budget: int) -> None:
        p = parts[key]
        b = max(1, budget - tok.count(_fragment(fmt, key, budget, p, "")) - 2)
        s: Summary | None = None
        try:
            for _ in range(8):
                s = summarize_analysis(analyses[key], replace(part_opts, token_budget=b))
                frag = _fragment(fmt, key, budget, p, s.text)
                n = tok.count(frag)
                if n <= budget or b <= 1:
                    break
                b = max(1, b - (n - budget) - 2)
        except BudgetTooSmall:
            count_part(key, budget)
            return
        frags[key] = frag
        results[key] = ComponentResult(key, budget, n, p.lines, p.components, s)

    def compose(results: dict[str, ComponentResult] = results, frags: dict[str, str] = frags, total: int = total,
                scale: float = scale) -> str:
        ordered = [results[k] for k in order]
        if fmt == "json":
            return _assemble_json(path, mode, whole, ordered, frags, total, scale)
        body = "\n".join(frags[k] for k in order if k in frags)
        return tok.settle(
            lambda claimed: _header(fmt, path, mode, whole, ordered, total, claimed, scale) + "\n" + body,
            tok.count(body) + 40, 3,
        )[0]

    def least(budget: int, frags: dict[str, str], results: dict[str, ComponentResult]) -> str:
        """The least this summary says at ``budget``: its header and each part counted
        in one line."""
        shares_at, scale_at = _split_budgets(budgets, max(0, budget - header_reserve), need_other) if budget != total \
            else (shares, scale)
        for key in order:
            if key in parts:
                count_part(key, shares_at[key], frags, results)
            else:
                results[key] = ComponentResult(key, shares_at[key], 0, 0, {}, None)
        return compose(results, frags, budget, scale_at)

    least_text = least(total, frags, results)
    require_room(total, tok.count(least_text), options, lambda n: tok.count(least(n, {}, {})))

    for key in order:
        if key in parts:
            render_part(key, shares[key])
    text = compose()
    for _ in range(8):
        n = tok.count(text)
        if n <= total:
            break
        # Over the total (header larger than reserved): shrink the largest part.
        biggest = max((k for k in order if k in parts and results[k].summary is not None),
                      key=lambda k: results[k].tokens, default=None)
        if biggest is None:
            break
        shares[biggest] = max(1, results[biggest].budget - (n - total) - 4)
        render_part(biggest, shares[biggest])
        text = compose()
    while tok.count(text) > total:
        # Still over: the largest parts are counted instead of shown, one by one (the
        # header and every part counted fit: checked above).
        shown_parts = [k for k in order if k in parts and results[k].summary is not None]
        if not shown_parts:
            text = least(total, frags, results)
            break
        biggest = max(shown_parts, key=lambda k: results[k].tokens)
        count_part(biggest, results[biggest].budget)
        text = compose()
    n = tok.count(text)
    shown: dict[str, int] = {}
    omitted: dict[str, int] = {}
    crit_shown = crit_omitted = 0
    for r in results.values():
        if r.summary is None:
            if r.key in analyses:  # counted, not shown
                a = analyses[r.key]
                for sec, v in (("tests", len(a.tests)), ("errors", len(a.groups)), ("runs", len(a.runs))):
                    omitted[sec] = omitted.get(sec, 0) + v
                crit_omitted += a.critical_units
            continue
        for k, v in r.summary.shown.items():
            shown[k] = shown.get(k, 0) + v
        for k, v in r.summary.omitted.items():
            omitted[k] = omitted.get(k, 0) + v
        crit_shown += r.summary.critical_shown
        crit_omitted += r.summary.critical_omitted
    return ComponentSummary(text, fmt, n, total, whole.tokens_in, whole.tokens_in_exact, whole, shown, omitted, crit_shown,
                            crit_omitted, components=[results[k] for k in order], component_mode=mode)


def _assemble_json(path: str, mode: str, whole: Analysis, results: list[ComponentResult], frags: dict[str, str], total: int,
                   scale: float) -> str:
    components: list[dict[str, Any]] = []
    doc = {
        "header": header_json(_facts(whole, path, mode, results, total, 0, scale), "components"),
        "components": components,
    }
    for r in results:
        matched = dict(list(r.components.items())[:MATCHED_LISTED])
        entry: dict[str, Any] = {"name": r.key, "budget": r.budget, "tokens": r.tokens, "lines": r.lines, "matched": matched}
        if len(r.components) > MATCHED_LISTED:
            entry["more_matched"] = len(r.components) - MATCHED_LISTED
        if r.key in frags:
            entry["summary"] = json.loads(frags[r.key])
        components.append(entry)
    return json_text(doc)


def check_budgets(budgets: dict[str, int], token_budget: int) -> list[str]:
    """Problems with a set of component budgets against the total (for --validate-config)."""
    problems: list[str] = []
    total = sum(budgets.values())
    if total > token_budget:
        problems.append(f"component budgets add up to {total:,}, more than --token-budget {token_budget:,}: each will be scaled by {token_budget / total:.3f}")
    for k, v in budgets.items():
        if v < MIN_PART:
            problems.append(f"component {k!r} has {v} tokens: below {MIN_PART} a part holds little more than its heading")
    return problems
