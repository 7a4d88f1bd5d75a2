"""The HTML report in a real headless Chromium: no console errors, no requests, filters work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromium import NEEDS_CHROMIUM, Watched
from reportdata import EVIL, NOW, evil_saved, flow_saved, rich_saved
from trenddata import hostile_trends

from secscan.model.results import SavedResults, loads
from secscan.report import html
from secscan.report.formats import render_compliance

SAMPLES = Path(__file__).resolve().parents[2] / "reports" / "samples"
SAMPLE_RESULTS = SAMPLES / "secscan-results.json"

pytestmark = NEEDS_CHROMIUM


class Page(Watched):
    """A page that records every console message, page error, dialog and request."""

    def __init__(self, browser: Any, path: Path) -> None:
        super().__init__(browser.new_page(viewport={"width": 1366, "height": 768}))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def visible_rows(self) -> list[str]:
        rows: list[str] = self.page.eval_on_selector_all(
            "tbody.finding",
            "rs => rs.filter(r => !r.hidden && r.offsetParent !== null)"
            ".map(r => r.dataset.severity)",
        )
        return rows

    def assert_clean(self) -> None:
        assert self.console == [], self.console
        assert self.requests == [self.url], self.requests
        assert self.dialogs == []


def write(saved: SavedResults, tmp_path: Path, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(html.render(saved, NOW), encoding="utf-8")
    return path


def example_saved() -> SavedResults:
    if not SAMPLE_RESULTS.is_file():
        pytest.skip(f"{SAMPLE_RESULTS} is missing: run python scripts/samples.py")
    return loads(SAMPLE_RESULTS.read_text(encoding="utf-8"), str(SAMPLE_RESULTS))


def test_example_report_filters_by_severity(browser: Any, tmp_path: Path) -> None:
    saved = example_saved()
    page = Page(browser, write(saved, tmp_path))
    total = len(page.visible_rows())
    assert total > 0
    severities = set(page.visible_rows())
    wanted = "high" if "high" in severities else sorted(severities)[0]
    page.page.select_option("#filter-severity", wanted)
    rows = page.visible_rows()
    assert rows and set(rows) == {wanted}
    assert len(rows) < total or severities == {wanted}
    assert page.page.text_content("#shown-count") == str(len(rows))
    page.page.screenshot(path=str(tmp_path / "example-high.png"), full_page=True)
    # Clearing the filter brings every row back.
    page.page.click("#filter-reset")
    # Polled from Python: a JavaScript-string predicate would need 'unsafe-eval', which the
    # report's Content Security Policy rightly refuses.
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.page.locator("#shown-count")).to_have_text(str(total))
    assert len(page.visible_rows()) == total
    page.assert_clean()


def test_rich_report_filters_search_and_details(browser: Any, tmp_path: Path) -> None:
    page = Page(browser, write(rich_saved(), tmp_path))
    assert len(page.visible_rows()) == 7
    page.page.select_option("#filter-severity", "high")
    assert page.visible_rows() == ["high", "high", "high"]
    page.page.select_option("#filter-scanner", "pip-audit")
    assert page.visible_rows() == ["high"]
    page.page.select_option("#filter-severity", "")
    page.page.select_option("#filter-scanner", "")
    page.page.fill("#filter-text", "cwe-89")
    assert page.visible_rows() == ["high"]
    page.page.fill("#filter-text", "")
    page.page.select_option("#filter-status", "waived")
    assert page.visible_rows() == ["low"]
    page.page.select_option("#filter-status", "")
    page.page.select_option("#filter-kind", "dependency")
    assert page.visible_rows() == ["high", "medium"]
    page.page.select_option("#filter-kind", "")
    # A matrix count filters to that control's findings.
    page.page.click("a.control-link[data-control='iso27001-2022-a-8-8']")
    assert page.visible_rows() == ["high", "medium"]
    # A finding's details open and show its snippet.
    page.page.click("tbody.finding:not([hidden]) button.toggle")
    assert page.page.is_visible("tbody.finding:not([hidden]) tr.detail pre.snippet")
    page.page.screenshot(path=str(tmp_path / "rich.png"), full_page=True)
    page.assert_clean()


def test_hostile_report_runs_nothing(browser: Any, tmp_path: Path) -> None:
    page = Page(browser, write(evil_saved(), tmp_path))
    page.page.click("tbody.finding button.toggle")
    assert page.page.evaluate("document.querySelectorAll('img, textarea, iframe').length") == 0
    assert page.page.evaluate("document.scripts.length") == 1
    assert "<script>alert('x')</script>" in page.page.inner_text("tbody.finding")
    page.assert_clean()


def test_print_layout_shows_details(browser: Any, tmp_path: Path) -> None:
    page = Page(browser, write(rich_saved(), tmp_path))
    page.page.emulate_media(media="print")
    assert page.page.is_visible("tr.detail")
    assert not page.page.is_visible("#filters")
    page.page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
    page.assert_clean()


def test_compliance_summary_table_fills_the_first_screen(browser: Any, tmp_path: Path) -> None:
    """Issue 15: the first 1400 x 900 px of the compliance document show the table of every
    control with its state (the bundled example's ISO 27001 document: 23 controls)."""

    saved = loads(SAMPLE_RESULTS.read_text(encoding="utf-8"), str(SAMPLE_RESULTS))
    now = saved.result.finished_at or saved.result.started_at
    path = tmp_path / "compliance.html"
    path.write_text(
        render_compliance(saved, now, framework="iso27001-2022", fmt="html"), encoding="utf-8"
    )
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}"))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    box = page.eval_on_selector(
        "table.summary",
        "t => { const r = t.getBoundingClientRect(); return {top: r.top, bottom: r.bottom,"
        " left: r.left, right: r.right, rows: t.tBodies[0].rows.length} }",
    )
    assert saved.decision is not None
    controls = [c for c in saved.decision.controls if c.framework == "iso27001-2022"]
    assert box["rows"] == len(controls) > 20
    assert 0 <= box["top"] < 200 and box["bottom"] <= 900, box
    assert box["left"] >= 0 and box["right"] <= 1400, box
    # Each row shows its state in words, visibly.
    states = page.eval_on_selector_all(
        "table.summary tbody tr td .state", "s => s.map(e => e.offsetParent ? e.innerText : '')"
    )
    assert len(states) == len(controls) and all(states), states
    shot = page.screenshot(path=str(tmp_path / "first-screen.png"))
    assert len(shot) > 10_000
    page.close()
    assert errors == [], errors


def test_trends_section_renders_clean(browser: Any, tmp_path: Path) -> None:
    """History's trends: inline SVG charts, no console error, no request, no script run."""
    path = tmp_path / "trends.html"
    path.write_text(html.render(rich_saved(), NOW, hostile_trends()), encoding="utf-8")
    page = Page(browser, path)
    page.assert_clean()
    charts = page.page.eval_on_selector_all("#trends svg.chart", "s => s.length")
    assert charts == 3
    bars = page.page.eval_on_selector_all(
        "#trends svg.chart rect", "rs => rs.filter(r => r.getBBox().height > 0).length"
    )
    assert bars > 4


def test_a_findings_code_flow_shows_each_step_when_opened(browser: Any, tmp_path: Path) -> None:
    page = Page(browser, write(flow_saved(), tmp_path))
    page.page.select_option("#filter-scanner", "crossflow")
    assert page.visible_rows() == ["critical"]
    flow = page.page.locator("tbody.finding:not([hidden]) ol.flow li")
    assert not flow.first.is_visible()  # inside the closed detail
    page.page.click("tbody.finding:not([hidden]) button.toggle")
    assert flow.all_inner_texts() == [
        "app/views.py:11 request data read in view()",
        "app/views.py:12 passed to run_cmd() as target",
        "app/helpers.py:8 sink",
    ]
    page.page.screenshot(path=str(tmp_path / "flow.png"), full_page=True)
    page.assert_clean()


def test_a_hostile_code_flow_runs_nothing(browser: Any, tmp_path: Path) -> None:
    page = Page(browser, write(flow_saved(EVIL), tmp_path))
    page.page.select_option("#filter-scanner", "crossflow")
    page.page.click("tbody.finding:not([hidden]) button.toggle")
    text = page.page.inner_text("tbody.finding:not([hidden]) ol.flow")
    assert "<script>alert('x')</script>" in text  # shown as text, never run
    assert page.page.evaluate("document.scripts.length") == 1
    page.assert_clean()
