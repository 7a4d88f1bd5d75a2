"""The trends section in the HTML report and the one-line trend in Markdown."""

from __future__ import annotations

import re

from reportdata import NOW, rich_saved
from trenddata import HOSTILE, hostile_trends

from secscan.report import html, markdown
from secscan.report.formats import FORMATS, render_compliance


def test_html_trends_section_is_inline_svg_and_escapes_scan_text() -> None:
    tr = hostile_trends()
    page = html.render(rich_saved(), NOW, tr)
    section = page[page.index('<section id="trends"') :]
    section = section[: section.index("</section>")]
    assert section.count("<svg") >= 3  # open by severity, new vs fixed, control states
    assert "<rect" in section and 'class="bar sev-high"' in section
    assert HOSTILE not in page and "&lt;script&gt;" in section
    # Past the deadline at day 200: the high finding open since day 0 (deadline 30); the
    # low one, open since day 80, is within its 180 days.
    assert "Past their remediation deadline (1)" in section
    assert not re.search(r"<(script|img|link)[^>]*(src|href)=\"https?:", page)
    # The CSP is the report's own: trends add no script and no style.
    assert html.render(rich_saved(), NOW).split("\n", 8)[7] == page.split("\n", 8)[7]


def test_markdown_gets_one_trend_line() -> None:
    tr = hostile_trends()
    text = markdown.render(rich_saved(), NOW, tr)
    lines = text.splitlines()
    assert lines[2] == (
        "**Trend:** \\+0 new, \u22121 fixed since the last run on main; "
        "1 past their remediation deadline"
    )
    assert FORMATS["markdown"].render(rich_saved(), NOW, trends=tr) == text
    # json has no trends parameter: the registry passes them only where they are drawn.
    assert FORMATS["json"].render(rich_saved(), NOW, trends=tr) == FORMATS["json"].render(
        rich_saved(), NOW
    )


def test_compliance_html_gets_the_trends_section() -> None:
    from secscan.report import compliance

    saved = rich_saved()
    fw = compliance.view(saved, NOW, "iso27001-2022").framework.id
    page = render_compliance(saved, NOW, framework=fw, fmt="html", trends=hostile_trends())
    assert '<section id="trends"' in page and HOSTILE not in page
    plain = render_compliance(saved, NOW, framework=fw, fmt="html")
    assert '<section id="trends"' not in plain
    # The trends add SVG and text only: the document's CSP is the same.
    csp = [line for line in page.splitlines() if "Content-Security-Policy" in line]
    assert csp == [line for line in plain.splitlines() if "Content-Security-Policy" in line]
