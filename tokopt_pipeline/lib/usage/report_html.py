"""A static HTML report of token usage and recurring errors, readable offline.

One self-contained file: inline CSS and inline SVG charts, no script and nothing
fetched. Charts: tokens out against budget per day (bars, with the daily budget use
as a line), and the top recurring error types by the number of runs they appeared in.
Tables under each chart carry the same figures for screen readers and copy-paste.

Example:
    with store.connect() as conn:
        write_report(conn, "usage.html")
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tokopt_pipeline.lib.outputs import atomic_write_text
from tokopt_pipeline.lib.store.db import Connection

if TYPE_CHECKING:
    from tokopt_pipeline.lib.memory.graph import TopError

__all__ = ["render_report", "write_report"]

W, H, PAD = 760, 260, 48


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _daily(conn: Connection, days: int) -> list[tuple[Any, ...]]:
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    return conn.execute(
        """
        SELECT CAST(recorded_at AS DATE) AS day, count(*), sum(tokens_in), sum(tokens_out), sum(budget)
        FROM usage_ledger WHERE tracked AND recorded_at >= ? GROUP BY 1 ORDER BY 1
        """,
        [start],
    ).fetchall()


def _usage_chart(rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return '<p class="empty">No usage recorded yet (run tokopt with --track-usage).</p>'
    peak = max(max(r[3] or 0, r[4] or 0) for r in rows) or 1
    n = len(rows)
    slot = (W - 2 * PAD) / n
    bw = max(2.0, slot * 0.6)
    parts = [f'<svg role="img" aria-label="Tokens out and budget per day" viewBox="0 0 {W} {H}" width="100%" xmlns="http://www.w3.org/2000/svg">']
    parts.append(f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" class="axis"/>')
    for frac in (0.25, 0.5, 0.75, 1.0):
        y = H - PAD - frac * (H - 2 * PAD)
        parts.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{W - PAD}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{PAD - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{int(peak * frac):,}</text>')
    line = []
    for i, (day, runs, _tokens_in, tout, budget) in enumerate(rows):
        x = PAD + i * slot + (slot - bw) / 2
        hb = (budget or 0) / peak * (H - 2 * PAD)
        ho = (tout or 0) / peak * (H - 2 * PAD)
        parts.append(f'<rect x="{x:.1f}" y="{H - PAD - hb:.1f}" width="{bw:.1f}" height="{hb:.1f}" class="budget"><title>{_esc(day)}: budget {budget:,}</title></rect>')
        parts.append(f'<rect x="{x:.1f}" y="{H - PAD - ho:.1f}" width="{bw:.1f}" height="{ho:.1f}" class="out"><title>{_esc(day)}: {tout:,} tokens out in {runs} runs</title></rect>')
        pct = (tout or 0) / budget if budget else 0
        line.append(f"{x + bw / 2:.1f},{H - PAD - pct * (H - 2 * PAD):.1f}")
        if n <= 14 or i % max(1, n // 10) == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{H - PAD + 16}" class="tick" text-anchor="middle">{_esc(str(day)[5:])}</text>')
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" class="pct"/>')
    parts.append("</svg>")
    parts.append('<p class="legend"><span class="sw out"></span> tokens out <span class="sw budget"></span> budget '
                 '<span class="sw pct"></span> share of budget used (full height = 100%)</p>')
    return "".join(parts)


def _errors_chart(rows: list[TopError]) -> str:
    if not rows:
        return '<p class="empty">No errors in the memory yet (run tokopt with --store-memory).</p>'
    bar_h, gap, label_w = 22, 8, 330
    height = len(rows) * (bar_h + gap) + 10
    peak = max(r["runs"] for r in rows) or 1
    parts = [f'<svg role="img" aria-label="Top recurring errors by runs" viewBox="0 0 {W} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">']
    for i, r in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = r["runs"] / peak * (W - label_w - 80)
        name = r["name"] if len(r["name"]) <= 48 else r["name"][:47] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" class="label" text-anchor="end">{_esc(name)}<title>{_esc(r["name"])}</title></text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" class="err"><title>{_esc(r["name"])}: {r["runs"]} runs, {r["occurrences"]} occurrences</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" class="tick">{r["runs"]} runs · ×{r["occurrences"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:820px;color:#1d1d1f;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e5e5e5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.axis{stroke:#888}.grid{stroke:#eee}.tick{font-size:11px;fill:#555}.label{font-size:12px;fill:#222}
.budget{fill:#d9e4f2}.out{fill:#2f6db5}.pct{fill:none;stroke:#d9822b;stroke-width:2}.err{fill:#c0392b}
.legend{font-size:12px;color:#555}.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin:0 4px 0 10px}
.sw.out{background:#2f6db5}.sw.budget{background:#d9e4f2}.sw.pct{background:#d9822b;height:3px}
.empty{color:#777;font-style:italic}.meta{color:#666;font-size:12px}
"""


def render_report(conn: Connection, top: int = 10, days: int = 30) -> tuple[str, dict[str, int]]:
    """The report's HTML and a few counts (``runs``, ``errors``)."""
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.usage import ledger as usage

    daily = _daily(conn, days)
    info = memory.analyze_memory(conn, top=top)
    report = usage.usage_report(conn)
    errors = info["top_errors"]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>tokopt usage report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>tokopt usage report</h1>", f'<p class="meta">Generated {_esc(now)} from the tokopt store.</p>']
    out.append("<h2>Use against budget</h2><table><tr><th>period</th><th>runs</th><th>tokens in</th><th>tokens out</th><th>budget</th><th>used</th><th>reduction</th></tr>")
    for period, entries in report["periods"].items():
        if entries:
            e = entries[0]
            out.append(f'<tr><td>{_esc(period)}</td><td class="n">{e["runs"]:,}</td><td class="n">{e["tokens_in"]:,}</td><td class="n">{e["tokens_out"]:,}</td>'
                       f'<td class="n">{e["budget"]:,}</td><td class="n">{e["use_pct"]}%</td><td class="n">{e["reduction_pct"]}%</td></tr>')
        else:
            out.append(f'<tr><td>{_esc(period)}</td><td colspan="6">no runs</td></tr>')
    out.append("</table>")
    out.append(f"<h2>Tokens per day (last {days} days)</h2>")
    out.append(_usage_chart(daily))
    if daily:
        out.append("<table><tr><th>day</th><th>runs</th><th>tokens in</th><th>tokens out</th><th>budget</th></tr>")
        for day, runs, tin, tout, budget in daily:
            out.append(f'<tr><td>{_esc(day)}</td><td class="n">{runs}</td><td class="n">{tin or 0:,}</td><td class="n">{tout or 0:,}</td><td class="n">{budget or 0:,}</td></tr>')
        out.append("</table>")
    out.append("<h2>Top recurring errors</h2>")
    out.append(_errors_chart(errors))
    if errors:
        out.append("<table><tr><th>error</th><th>runs</th><th>occurrences</th><th>first seen</th><th>last seen</th></tr>")
        for err in errors:
            out.append(f'<tr><td>{_esc(err["name"])}</td><td class="n">{err["runs"]}</td><td class="n">{err["occurrences"]}</td>'
                       f'<td>{_esc(err["first_seen"])}</td><td>{_esc(err["last_seen"])}</td></tr>')
        out.append("</table>")
    if info["flaky_tests"]:
        out.append("<h2>Flaky tests</h2><ul>" + "".join(f"<li>{_esc(t)}</li>" for t in info["flaky_tests"]) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n", {"runs": sum(r[1] for r in daily), "errors": len(errors)}


def write_report(conn: Connection, path: str | os.PathLike[str], top: int = 10, days: int = 30) -> dict[str, int]:
    text, info = render_report(conn, top=top, days=days)
    atomic_write_text(path, text)
    return info
