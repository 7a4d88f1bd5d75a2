"""The HTML report as text: escaped, self-contained, locked down by its CSP, reproducible."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import markupsafe
from reportdata import EVIL, NOW, empty_saved, evil_saved, flow_saved, rich_saved

from secscan.model.results import SavedResults
from secscan.report import _jinja, html


class Collect(HTMLParser):
    """Every start tag with its attributes, and the text of <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)


def parse(text: str) -> Collect:
    c = Collect()
    c.feed(text)
    return c


def test_hostile_finding_renders_inert() -> None:
    out = html.render(evil_saved(), NOW)
    doc = parse(out)
    # Exactly our one script and one style: nothing from the finding became markup.
    assert [t for t, _ in doc.tags].count("script") == 1
    assert [t for t, _ in doc.tags].count("style") == 1
    assert not any(t in ("img", "textarea", "iframe", "object", "embed") for t, _ in doc.tags)
    assert "<script>alert" not in out and "</textarea>" not in out and "<img src=x" not in out
    assert not any(k.startswith("on") for _, attrs in doc.tags for k in attrs)
    # The text is still there for a reader, escaped.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in out
    assert "&lt;/textarea&gt;" in out
    hrefs = [a.get("href") or "" for t, a in doc.tags if t == "a"]
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    assert not any("<" in h or '"' in h for h in hrefs)


def test_csp_forbids_everything_but_our_inline_css_and_js() -> None:
    out = html.render(rich_saved(), NOW)
    doc = parse(out)
    (meta,) = [a for t, a in doc.tags if a.get("http-equiv") == "Content-Security-Policy"]
    csp = meta["content"] or ""
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    (script,) = doc.scripts
    (style,) = doc.styles
    assert f"script-src {_jinja.csp_hash(script)}" in csp
    assert f"style-src {_jinja.csp_hash(style)}" in csp


def test_nothing_is_loaded_from_anywhere() -> None:
    out = html.render(rich_saved(), NOW)
    doc = parse(out)
    for tag, attrs in doc.tags:
        assert "src" not in attrs, tag
        assert "style" not in attrs, f"inline style attribute on <{tag}> would break the CSP"
        if tag == "link":
            assert attrs.get("href") == "data:,"
    css = "".join(doc.styles)
    assert "url(" not in css and "@import" not in css
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\(|eval\()", "".join(doc.scripts))


def test_decision_reasons_controls_and_metadata_are_there() -> None:
    out = html.render(rich_saved(), NOW)
    assert out.index("INCOMPLETE") < out.index('id="summary"')  # the verdict comes first
    assert "fail-on:high" in out
    assert "semgrep could not assess" in out.replace("</b>", "").replace("<b>", "")
    for text in (
        "A.8.28",
        "Art.32(1)(b)",
        "not assessed",
        "W-001",
        "W-000",
        "expired",
        "app/broken.py",
        "advisory-db",
        "2024-10-10",
        "0123456789abcdef",
        "1.185.0",
        "fixed in",
        "0.12.3",
        "CWE-89",
        "platform-team@example.com",
    ):
        assert text in out, text
    # The masked secret preview is shown as the scanner gave it.
    assert "********************" in out


def test_one_row_per_shown_finding_with_filter_data() -> None:
    doc = parse(html.render(rich_saved(), NOW))
    rows = [a for t, a in doc.tags if t == "tbody" and a.get("class") == "finding"]
    assert len(rows) == len(rich_saved().result.findings)
    sev = sorted(a["data-severity"] or "" for a in rows)
    assert sev == sorted(["critical", "high", "high", "high", "medium", "low", "low"])
    waived = [a for a in rows if a["data-status"] == "waived"]
    assert len(waived) == 1
    sqli = next(a for a in rows if "b608" in (a["data-search"] or ""))
    assert (sqli["data-controls"] or "").split() == ["gdpr-art-25-1", "iso27001-2022-a-8-28"]


def test_report_threshold_hides_low_findings_but_says_so() -> None:
    saved = rich_saved()
    assert saved.decision is not None
    saved = SavedResults(saved.result, replace(saved.decision, report_threshold="medium"))
    out = html.render(saved, NOW)
    doc = parse(out)
    rows = [a for t, a in doc.tags if t == "tbody" and a.get("class") == "finding"]
    assert {a["data-severity"] for a in rows} == {"critical", "high", "medium"}
    assert "2 below the report threshold (medium) not shown" in out


def test_empty_scan_and_missing_decision() -> None:
    out = html.render(empty_saved(), NOW)
    assert "PASSED" in out and "No findings" in out
    undecided = SavedResults(empty_saved().result, None)
    out = html.render(undecided, NOW)
    assert "NOT EVALUATED" in out and "nothing was judged" in out


def test_byte_identical_with_a_fixed_clock() -> None:
    assert html.render(rich_saved(), NOW) == html.render(rich_saved(), NOW)
    assert html.render(evil_saved(), NOW) == html.render(evil_saved(), NOW)


def test_evil_constant_is_hostile_enough() -> None:
    assert all(s in EVIL for s in ("<script>", "</textarea>", '"', "'"))


def test_row_text_is_escaped_exactly_as_the_template_escapes() -> None:
    """The findings table is written in Python: every character must come out as the
    template's autoescape (controls shown, then markupsafe's escape) writes it."""
    text = html._Text()
    for code in range(0x110000):
        ch = chr(code)
        assert text(ch) == str(markupsafe.escape(_jinja._visible(ch))), hex(code)
    for value in (EVIL, 9.8, float("nan"), 0, 1234):
        assert text(value) == str(markupsafe.escape(_jinja._visible(value)))


def test_a_web_url_has_no_space_of_any_kind() -> None:
    refused = [chr(c) for c in range(0x110000) if _jinja._NOT_IN_URL.search(chr(c))]
    assert refused == [chr(c) for c in range(0x110000) if chr(c).isspace() or chr(c) in "<>\"'`"]
    for ch in [*refused, *map(chr, range(0x21, 0x7F))]:
        assert (_jinja.web_url(f"https://example.com/a{ch}b") is None) is (ch in refused)


def test_a_traced_flow_is_listed_source_to_sink_with_file_and_line() -> None:
    out = html.render(flow_saved(), NOW)
    steps = re.findall(r'<ol class="flow">(.*?)</ol>', out, re.S)
    assert len(steps) == 1
    items = re.findall(r"<li><code>(.*?)</code>(.*?)</li>", steps[0])
    assert items == [
        ("app/views.py:11", " request data read in view()"),
        ("app/views.py:12", " passed to run_cmd() as target"),
        ("app/helpers.py:8", " sink"),
    ]
    # findings without a flow have no flow list
    assert '<ol class="flow">' not in html.render(rich_saved(), NOW)


def test_a_hostile_flow_step_renders_inert() -> None:
    out = html.render(flow_saved(EVIL), NOW)
    doc = parse(out)
    assert [t for t, _ in doc.tags].count("script") == 1
    (flow,) = re.findall(r'<ol class="flow">(.*?)</ol>', out, re.S)
    assert "<script" not in flow and "&lt;script&gt;" in flow
