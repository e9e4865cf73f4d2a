"""The token-efficiency badge: an SVG made locally, and a shields.io endpoint JSON.

The badge reads ``Token Efficiency | 58.7% of 76659``. Its colour follows the usage
thresholds (``--warning-threshold``, default 80; ``--critical-threshold``, default 95):
green below the warning threshold, yellow from it, red from the critical threshold.

The SVG is drawn here in shields.io's "flat" style (no request leaves the machine).
The endpoint JSON is what shields.io's endpoint badge reads
(``https://img.shields.io/endpoint?url=...``) when the file is published somewhere it
can fetch.

Example:
    >>> badge_message(58.7, 76659)
    '58.7% of 76659'
    >>> badge_color(58.7)
    'green'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from tokopt_pipeline.lib.usage.thresholds import CRITICAL_PCT, WARNING_PCT, budget_state

__all__ = ["LABEL", "COLORS", "badge_message", "badge_color", "svg", "endpoint_json", "from_report"]

LABEL = "Token Efficiency"
COLORS = {"green": "#97ca00", "yellow": "#dfb317", "red": "#e05d44", "grey": "#555"}

# Approximate advance widths of Verdana 11px (what shields.io measures with), in px.
_WIDE = {"m": 11, "w": 9, "M": 10, "W": 11, "%": 11, "@": 11}
_NARROW = {"i": 3, "l": 3, "j": 3, "I": 4, "f": 4, "t": 4, "r": 5, " ": 4, ".": 4, ",": 4, ":": 4, "|": 5, "(": 5, ")": 5}


def _text_width(text: str) -> int:
    w = 0.0
    for ch in text:
        if ch in _WIDE:
            w += _WIDE[ch]
        elif ch in _NARROW:
            w += _NARROW[ch]
        elif ch.isupper():
            w += 7.5
        elif ch.isdigit():
            w += 7
        else:
            w += 6.5
    return int(round(w))


def badge_message(percentage: float, budget: int) -> str:
    return f"{percentage:.1f}% of {budget}"


def badge_color(percentage: float, warning: float = WARNING_PCT, critical: float = CRITICAL_PCT) -> str:
    return {"critical": "red", "warning": "yellow", "ok": "green"}[budget_state(percentage, warning, critical)]


def svg(label: str, message: str, color: str) -> str:
    """A flat-style badge as SVG text."""
    fill = COLORS.get(color, color)
    lw = _text_width(label) + 10
    mw = _text_width(message) + 10
    total = lw + mw
    l_esc, m_esc = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{l_esc}: {m_esc}">'
        f"<title>{l_esc}: {m_esc}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{fill}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lw / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{l_esc}</text><text x="{lw / 2:.1f}" y="14">{l_esc}</text>'
        f'<text x="{lw + mw / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{m_esc}</text><text x="{lw + mw / 2:.1f}" y="14">{m_esc}</text>'
        "</g></svg>\n"
    )


def endpoint_json(label: str, message: str, color: str) -> str:
    """shields.io endpoint schema (``schemaVersion`` 1)."""
    return json.dumps({"schemaVersion": 1, "label": label, "message": message, "color": color}, indent=2) + "\n"


def from_report(report: Mapping[str, Any], warning: float = WARNING_PCT, critical: float = CRITICAL_PCT) -> tuple[str, str, str]:
    """(svg text, endpoint JSON text, colour name) for a validation report, as
    :func:`.validate.validate` returns it or as read back from its JSON."""
    pct = float(report["percentage_of_budget_used"])
    msg = badge_message(pct, int(report["token_budget"]))
    color = badge_color(pct, warning, critical)
    return svg(LABEL, msg, color), endpoint_json(LABEL, msg, color), color
