"""Where a log's tokens are: by priority, by component, and the top templates
(``tokopt diagnose distribution``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypedDict

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.priority import Level

if TYPE_CHECKING:
    from tokopt_pipeline.lib.engine.render import Summary


class LevelShare(TypedDict):
    level: str
    lines: int
    tokens: int
    pct: float


class ComponentShare(TypedDict):
    component: str
    lines: int
    bytes: int
    tokens: int
    pct: float


class TemplateShare(TypedDict):
    tokens: int
    count: int
    level: str
    template: str


class SectionCounts(TypedDict):
    shown: int
    omitted: int


class Distribution(TypedDict):
    """What :func:`token_distribution` found."""

    file: str
    tokens_in: int
    tokens_in_exact: bool
    tokens_out: int
    budget: int
    by_priority: list[LevelShare]
    components_by: str | None
    by_component: list[ComponentShare] | None
    top_templates: list[TemplateShare]
    summary_sections: dict[str, SectionCounts]


# -- token distribution ------------------------------------------------------------
def token_distribution(summary: Summary, component_by: str = "auto", top: int = 15) -> Distribution:
    """Input tokens by priority level, by component, and the top templates of a summarized log.

    Per-level and per-template tokens are measured on each template's real example
    times its count and scaled so the levels add up to the input's token count.
    """
    a = summary.analysis
    temps = list(a.templates.values())
    counts = tok.count_many([t.example for t in temps]) if temps else []
    raw = [c * t.count for c, t in zip(counts, temps, strict=False)]
    # Tokens per line of each level, measured on its templates' examples (the overall
    # average for a level whose lines are all inside grouped events), times its lines.
    all_lines = sum(t.count for t in temps) or 1
    avg = sum(raw) / all_lines if raw else 0.0
    per_level: list[float] = []
    for lv in Level:
        n = sum(t.count for t in temps if t.level == lv)
        r = sum(x for x, t in zip(raw, temps, strict=False) if t.level == lv)
        per_level.append(a.level_counts[lv] * (r / n if n else avg))
    scale_lv = (a.tokens_in / sum(per_level)) if sum(per_level) else 0.0
    scale = (a.tokens_in / sum(raw)) if sum(raw) else 0.0
    by_level: list[LevelShare] = []
    for lv in Level:
        toks = per_level[lv] * scale_lv
        by_level.append(LevelShare(level=lv.label, lines=a.level_counts[lv], tokens=int(round(toks)), pct=round(100 * toks / a.tokens_in, 1) if a.tokens_in else 0.0))
    order = sorted(range(len(temps)), key=lambda i: -raw[i])[:top]
    top_templates = [
        TemplateShare(tokens=int(round(raw[i] * scale)), count=temps[i].count, level=Level(temps[i].level).label, template=temps[i].template or temps[i].example)
        for i in order
    ]
    components: list[ComponentShare] | None = None
    mode: str | None = None
    if a.source not in ("-", "") and os.path.exists(a.source):
        from tokopt_pipeline.lib.engine.components import scan_components
        from tokopt_pipeline.lib.engine.redact import redact_text

        mode, raw_stats = scan_components(a.source, component_by)
        # Component names come from the raw log (a step named "Run curl -u ci:PASS ..."):
        # redacted like everything else shown.
        stats: dict[str, dict[str, int]] = {}
        for name, st in raw_stats.items():
            into = stats.setdefault(redact_text(name), {"lines": 0, "bytes": 0, "tokens_estimated": 0})
            for k in into:
                into[k] += st[k]
        total_est = sum(s["tokens_estimated"] for s in stats.values()) or 1
        components = sorted(
            (ComponentShare(component=k, lines=v["lines"], bytes=v["bytes"], tokens=int(round(v["tokens_estimated"] * a.tokens_in / total_est)), pct=round(100 * v["tokens_estimated"] / total_est, 1)) for k, v in stats.items()),
            key=lambda d: -d["tokens"],
        )
    return Distribution(
        file=a.source,
        tokens_in=a.tokens_in,
        tokens_in_exact=a.tokens_in_exact,
        tokens_out=summary.tokens_out,
        budget=summary.budget,
        by_priority=by_level,
        components_by=mode,
        by_component=components,
        top_templates=top_templates,
        summary_sections={k: SectionCounts(shown=summary.shown.get(k, 0), omitted=summary.omitted.get(k, 0)) for k in summary.shown},
    )


def render_distribution(d: Distribution) -> str:
    out = [f"token distribution of {d['file']}: {d['tokens_in']:,} tokens in ({'exact' if d['tokens_in_exact'] else 'estimated'}), {d['tokens_out']:,} in the summary (budget {d['budget']:,})", ""]
    out.append(f"{'priority':<12}{'lines':>12}{'tokens':>12}{'%':>8}")
    for r in d["by_priority"]:
        out.append(f"{r['level']:<12}{r['lines']:>12,}{r['tokens']:>12,}{r['pct']:>8.1f}")
    if d["by_component"] is not None:
        out.append("")
        out.append(f"{'component (' + str(d['components_by']) + ')':<40}{'lines':>10}{'tokens':>12}{'%':>8}")
        for c in d["by_component"][:20]:
            name = c["component"] if len(c["component"]) <= 39 else "…" + c["component"][-38:]
            out.append(f"{name:<40}{c['lines']:>10,}{c['tokens']:>12,}{c['pct']:>8.1f}")
        if len(d["by_component"]) > 20:
            out.append(f"… {len(d['by_component']) - 20} more components")
    out.append("")
    out.append(f"{'tokens':>10}{'count':>9}  {'level':<9}top templates")
    for tp in d["top_templates"]:
        t = tp["template"].replace("\n", " ")
        out.append(f"{tp['tokens']:>10,}{tp['count']:>9,}  {tp['level']:<9}{t[:100]}")
    return "\n".join(out) + "\n"
