"""The token-efficiency badge: SVG made locally, shields.io endpoint JSON, colours by threshold."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from tokopt_pipeline.cli import main
from tokopt_pipeline.lib.ci.badge import badge_color, from_report

SVG = "{http://www.w3.org/2000/svg}"


def test_badge_reads_like_the_spec_and_is_valid_svg():
    svg, endpoint, color = from_report({"percentage_of_budget_used": 58.7, "token_budget": 76659})
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Token Efficiency" in texts and "58.7% of 76659" in texts
    assert root.find(SVG + "title").text == "Token Efficiency: 58.7% of 76659"
    assert color == "green"
    assert json.loads(endpoint) == {"schemaVersion": 1, "label": "Token Efficiency", "message": "58.7% of 76659", "color": "green"}


def test_colour_follows_the_thresholds():
    assert badge_color(79.9) == "green"
    assert badge_color(80) == "yellow"
    assert badge_color(94.9) == "yellow"
    assert badge_color(95) == "red"
    assert badge_color(50, warning=40, critical=60) == "yellow"


def test_badge_from_a_saved_report(tmp_path, capsys):
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"token_budget": 1000, "percentage_of_budget_used": 96.5, "total_files_checked": 1, "files_over_budget": 0,
                                  "files_under_budget": 1, "skipped_files": 0, "total_token_count": 965, "files": [], "skipped": []}))
    svg, ep = tmp_path / "b.svg", tmp_path / "b.json"
    rc = main(["--from-report", str(report), "--badge", str(svg), "--badge-endpoint", str(ep)])
    assert rc == 0
    assert json.loads(ep.read_text())["color"] == "red"
    assert "96.5% of 1000" in svg.read_text()
    assert "#e05d44" in svg.read_text()
