"""Hostile finding text through every report, judged by the real policy engine.

File names, messages, rule ids, snippets, references, tool errors and waiver reasons come from
the scanned repository or the tools: hypothesis fills them with markup, links, mentions,
control characters and table breakers, and each format must stay inert:
- Markdown (PR comments, step summaries, compliance .md), rendered by GitHub's own cmark-gfm:
  no link, image or raw HTML element, no @mention or #123 reference, every table row whole;
- HTML report and compliance HTML: no element or attribute from the data, the CSP unchanged;
- SARIF: valid against the OASIS 2.1.0 schema; JUnit: well-formed XML.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses only our own renderer's output
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import jsonschema
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secscan.app import settings as app_settings
from secscan.model import fingerprint
from secscan.model.decision import WaiverRecord
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Package,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.report import html, junit, markdown, sarif
from secscan.report.formats import render_compliance

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SCHEMA = Path(__file__).resolve().parent.parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
SARIF = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
PROPS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

FRAGMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</textarea></code></details>",
    "<a href='https://evil.example'>x</a>",
    "<!-- c -->",
    "](https://evil.example)",
    "[x](javascript:alert(1))",
    "![i](https://evil.example/x.png)",
    "<https://evil.example>",
    "https://evil.example/p?q=1",
    "HTTP://EVIL.EXAMPLE",
    "ftp://evil.example",
    "www.evil.example",
    "Www.Evil.Example",
    "mailto:a@evil.example",
    "user@evil.example",
    "@security-team",
    "@org/team",
    " @a",
    "#123",
    "GH-12",
    "|",
    "\\|",
    "\\",
    "`",
    "```",
    "\n",
    "\r\n",
    "\n---\n",
    "\n===\n",
    "\n# heading\n",
    "\n- item\n",
    "\n    indented\n",
    "\n> quote\n",
    "*",
    "_",
    "~~",
    "&amp;",
    "&#64;",
    "&lt;",
    "\x1b[31m",
    "\x1b]8;;http://x\x07",
    "\x00",
    "\x0b",
    "\u202e",
    "\u200b",
    "{{7*7}}",
    "'",
    '"',
    ":+1:",
]
HOSTILE = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), min_size=1, max_size=6).map(
    "".join
)
SCANNERS = ["bandit", "semgrep", "pip-audit", "iac", "secrets", "image"]


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    start = draw(st.none() | st.integers(1, 10**6))
    package = draw(
        st.none()
        | st.builds(
            Package,
            name=HOSTILE,
            version=HOSTILE,
            ecosystem=st.sampled_from(["PyPI", "Debian:11", "npm"]),
            purl=st.none() | HOSTILE,
            fixed_versions=st.lists(HOSTILE, max_size=2).map(tuple),
        )
    )
    return Finding(
        scanner=draw(st.sampled_from(SCANNERS)),
        rule_id=draw(st.sampled_from(["B602", "python-sql-injection", "DS-0002"]) | HOSTILE),
        title=draw(HOSTILE),
        message=draw(HOSTILE),
        severity=draw(st.sampled_from(Severity)),
        kind=draw(st.sampled_from(FindingKind)),
        location=Location(
            path=draw(HOSTILE),
            start_line=start,
            end_line=start,
            start_column=draw(st.none() | st.integers(1, 500)),
            snippet=draw(st.none() | HOSTILE),
        ),
        cwe=tuple(draw(st.lists(st.integers(1, 1500), max_size=2))),
        references=tuple(draw(st.lists(HOSTILE, max_size=2))),
        remediation=draw(st.none() | HOSTILE),
        package=package,
        tags=tuple(draw(st.lists(HOSTILE, max_size=2))),
        resource=draw(st.none() | HOSTILE),
        cvss_score=draw(st.none() | st.floats(0, 10)),
    )


@functools.cache
def _inputs() -> judge.Inputs:
    return app_settings.resolve(Path("/nonexistent/root"), profile="ci")


@st.composite
def saved_results(draw: st.DrawFn) -> SavedResults:
    found = fingerprint.assign(draw(st.lists(findings(), max_size=6)), Path("/nonexistent"))
    runs = []
    for name in SCANNERS:
        mine = tuple(f for f in found if f.scanner == name)
        status = draw(st.sampled_from(RunStatus)) if not mine else RunStatus.OK
        runs.append(
            ScannerRun(
                scanner=name,
                kind=mine[0].kind if mine else FindingKind.CODE,
                status=status,
                tool_version=draw(st.none() | HOSTILE),
                error=draw(HOSTILE) if status is not RunStatus.OK else None,
                findings=mine,
                not_analyzed=tuple(
                    NotAnalyzed(p, r)
                    for p, r in draw(st.lists(st.tuples(HOSTILE, HOSTILE), max_size=2))
                ),
                targets=len(mine),
            )
        )
    result = ScanResult(
        root=draw(HOSTILE),
        started_at=NOW,
        finished_at=NOW,
        secscan_version="0.1.0",
        runs=tuple(runs),
        git_commit=draw(st.none() | HOSTILE),
        not_analyzed=tuple(
            NotAnalyzed(p, "link outside the root") for p in draw(st.lists(HOSTILE, max_size=2))
        ),
    )
    judged, decision = judge.judge(result, _inputs(), NOW)
    waived = tuple(f.fingerprint for f in judged.findings[:1])
    waiver = WaiverRecord(
        id=draw(HOSTILE),
        reason=draw(HOSTILE),
        owner=draw(HOSTILE),
        expires=date(2099, 1, 1),
        expired=draw(st.booleans()),
        rule=draw(HOSTILE),
        path=draw(HOSTILE),
        fingerprints=waived,
        origin=draw(HOSTILE),
    )
    return SavedResults(judged, replace(decision, waivers=(waiver,), warnings=(draw(HOSTILE),)))


# --- Markdown, as GitHub renders it ----------------------------------------------------------

#: What our own Markdown may produce; anything else came from the data.
MARKDOWN_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "ul",
    "li",
    "code",
    "strong",
    "em",
    "details",
    "summary",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sub",
    "blockquote",
    "br",
    "hr",
}
#: GitHub's mention and issue-reference triggers, on the rendered text (entities decoded).
MENTION = re.compile(r"(?:^|[^\w`])@[A-Za-z0-9]")
REFERENCE = re.compile(r"(?:^|\W)(?:#|GH-)\d")


class Rendered(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def github(md: str) -> Rendered:
    out = Rendered()
    out.feed(cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE))
    return out


def assert_inert_markdown(md: str) -> None:
    assert_tables_whole(md)
    page = github(md)
    assert set(page.tags) <= MARKDOWN_TAGS, set(page.tags) - MARKDOWN_TAGS
    # no link, image or element came from the data; column alignment is ours
    assert {k for k, _ in page.attrs} <= {"align"}, page.attrs
    text = "".join(page.text)
    assert not MENTION.search(text), MENTION.search(text)
    assert not REFERENCE.search(text), REFERENCE.search(text)


def _cells(line: str) -> int:
    """Cells of a table row: pipes not escaped by an odd run of backslashes, minus one."""
    count, backslashes = 0, 0
    for ch in line:
        if ch == "|" and backslashes % 2 == 0:
            count += 1
        backslashes = backslashes + 1 if ch == "\\" else 0
    return count - 1


def assert_tables_whole(md: str) -> None:
    """GitHub pads or cuts a row to the header's width, so rows are checked in the source:
    from a header to the blank line that ends the table, every line is one whole row."""
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("| ---"):
            width = _cells(lines[i])
            j = i + 1
            while j < len(lines) and lines[j].strip():
                row = lines[j]
                assert row.startswith("| ") and row.endswith(" |"), f"row broken: {row!r}"
                assert _cells(row) == width, f"{_cells(row)} cells, header has {width}: {row!r}"
                j += 1
            i = j
        i += 1


def test_the_markdown_harness_sees_links_mentions_and_broken_tables() -> None:
    """The checks bite: raw text with these in it fails every one of them."""
    for bad in (
        "see https://evil.example",
        "ping @security-team",
        "fixes #12",
        "<img src=x>",
        "| a | b |\n| --- | --- |\n| x | y | z |\n",
        "| a | b |\n| --- | --- |\n| x \n y | z |\n",
    ):
        try:
            assert_inert_markdown(bad)
        except AssertionError:
            continue
        raise AssertionError(f"the harness let {bad!r} through")


@PROPS
@given(saved_results())
def test_markdown_summary_stays_text_on_github(saved: SavedResults) -> None:
    md = markdown.render(saved, NOW)
    assert md.startswith("## ") and len(md) <= markdown.MAX_CHARS
    assert_inert_markdown(md)


@PROPS
@given(saved_results())
def test_compliance_markdown_stays_text_on_github(saved: SavedResults) -> None:
    assert saved.decision is not None
    for framework in saved.decision.frameworks:
        md = render_compliance(saved, NOW, framework=framework, fmt="markdown")
        assert md.startswith("# Compliance evidence: ")
        assert_inert_markdown(md)


# --- HTML: nothing from the data becomes an element, an attribute or a script ----------------


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(text: str) -> list[tuple[str, dict[str, str | None]]]:
    p = Elements()
    p.feed(text)
    return p.tags


def _csp(tags: list[tuple[str, dict[str, str | None]]]) -> list[str | None]:
    return [a.get("content") for t, a in tags if a.get("http-equiv") == "Content-Security-Policy"]


@functools.cache
def _benign() -> dict[str, list[tuple[str, dict[str, str | None]]]]:
    """What the templates themselves produce for an ordinary judged scan with findings."""
    f = Finding("bandit", "B602", "t", "m", Severity.HIGH, FindingKind.CODE, Location("a.py", 1))
    run = ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, "1.0", findings=(f,), targets=1)
    result = ScanResult("/r", NOW, "0.1.0", (run,), NOW)
    judged, decision = judge.judge(
        replace(result, runs=(replace(run, findings=fingerprint.assign((f,), Path("/x"))),)),
        _inputs(),
        NOW,
    )
    saved = SavedResults(judged, decision)
    return {
        "report": elements(html.render(saved, NOW)),
        "compliance": elements(render_compliance(saved, NOW, framework="gdpr", fmt="html")),
    }


REPO = Path(__file__).resolve().parents[2]
#: Every element the templates and the HTML helpers can write; anything else came from data.
TEMPLATE_TAGS = {
    tag
    for source in (
        *(REPO / "reports" / "templates").glob("*.j2"),
        *(REPO / "secscan" / "report" / name for name in ("html.py", "_jinja.py", "compliance.py")),
    )
    for tag in re.findall(r"<([a-z][a-z0-9]*)\b", source.read_text(encoding="utf-8"))
}


def _assert_inert_html(out: str, benign: list[tuple[str, dict[str, str | None]]]) -> None:
    tags = elements(out)
    allowed = TEMPLATE_TAGS
    assert {t for t, _ in tags} <= allowed, {t for t, _ in tags} - allowed
    assert [t for t, _ in tags].count("script") == [t for t, _ in benign].count("script")
    assert _csp(tags) == _csp(benign) and len(_csp(tags)) == 1
    for tag, attrs in tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:text", "vbscript:")), href
        assert "src" not in attrs or tag == "script", (tag, attrs)


@PROPS
@given(saved_results())
def test_html_report_and_compliance_html_stay_inert(saved: SavedResults) -> None:
    _assert_inert_html(html.render(saved, NOW), _benign()["report"])
    assert saved.decision is not None
    for framework in saved.decision.frameworks:
        out = render_compliance(saved, NOW, framework=framework, fmt="html")
        _assert_inert_html(out, _benign()["compliance"])


# --- SARIF and JUnit: machine formats stay valid whatever the text --------------------------


@PROPS
@given(saved_results())
def test_sarif_is_always_schema_valid(saved: SavedResults) -> None:
    data = json.loads(sarif.render(saved, NOW))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in SARIF.iter_errors(data)]
    assert not errors, errors[:5]
    assert saved.decision is not None
    threshold = Severity(saved.decision.report_threshold)
    failing = set(saved.decision.failing_fingerprints)
    expected = [
        f for f in saved.result.findings if f.severity >= threshold or f.fingerprint in failing
    ]
    shown = sum(len(r.get("results", [])) for r in data["runs"])
    assert shown == len(expected)  # nothing the report should show was dropped


@PROPS
@given(saved_results())
def test_junit_is_always_well_formed_xml(saved: SavedResults) -> None:
    ET.fromstring(junit.render(saved, NOW).encode("utf-8"))  # noqa: S314 - our own output
