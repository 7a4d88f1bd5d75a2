"""Every path left out of the scan is named, with its reason, in every report."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from reportdata import rich_saved

from secscan.model import results
from secscan.model.findings import Excluded
from secscan.model.results import SavedResults
from secscan.report import html, markdown, results_json
from secscan.report.formats import render_compliance

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EXCLUDED = (
    Excluded("web/node_modules", "installed Node packages (.package-lock.json)"),
    Excluded("gen", "excluded by the config in /cfg/.secscan.yaml: 'gen/'"),
)


def _saved() -> SavedResults:
    saved = rich_saved()
    return replace(saved, result=replace(saved.result, excluded=EXCLUDED))


def test_the_results_file_keeps_the_excluded_list() -> None:
    saved = _saved()
    text = results_json.render(saved, NOW)
    assert json.loads(text)["result"]["excluded"] == [
        {"path": "web/node_modules", "reason": "installed Node packages (.package-lock.json)"},
        {"path": "gen", "reason": "excluded by the config in /cfg/.secscan.yaml: 'gen/'"},
    ]
    back = results.loads(text)
    assert back.result.excluded == EXCLUDED
    assert results.dumps(back.result, back.decision) == text


def test_html_and_markdown_name_every_excluded_path_and_why() -> None:
    page = html.render(_saved(), NOW)
    summary = markdown.render(_saved(), NOW)
    assert "Excluded from the scan (2)" in page and "Excluded from the scan (2)" in summary
    for e in EXCLUDED:
        assert e.path in page and e.path.replace("_", "\\_") in summary
    assert "installed Node packages (.package-lock.json)" in page
    assert "installed Node packages \\(.package-lock.json\\)" in summary


def test_compliance_scope_lists_the_excluded_paths() -> None:
    iso = "iso27001-2022"
    doc = json.loads(render_compliance(_saved(), NOW, framework=iso, fmt="json"))
    assert doc["scope"]["excluded"] == [{"path": e.path, "reason": e.reason} for e in EXCLUDED]
    md = render_compliance(_saved(), NOW, framework=iso, fmt="markdown")
    scope = md.split("## Scope", 1)[1].split("## Summary", 1)[0]
    assert "Excluded from the scan (2):" in scope and "<code>web/node\\_modules</code>" in scope
    page = render_compliance(_saved(), NOW, framework=iso, fmt="html")
    scope_html = page.split('<section id="scope">', 1)[1].split("</section>", 1)[0]
    assert "Excluded from the scan (2)" in scope_html and "<code>gen</code>" in scope_html
    nothing = render_compliance(rich_saved(), NOW, framework=iso, fmt="markdown")
    assert "Nothing was excluded from the scan." in nothing
