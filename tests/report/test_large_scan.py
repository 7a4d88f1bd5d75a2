"""A few hundred hostile findings, judged by the real policy engine, through every format.

The formats write their bulk (findings, rows, results) on fast paths: this scan is what
those paths meet at size. Each format still validates against its owner's schema (GitLab,
DefectDojo, CycloneDX and OpenVEX run it through integrations.SCANS), renders the same bytes
twice, keeps every finding, and shows hostile text inert.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
from reportdata import EVIL, NOW, large_saved, load_schema

from secscan.model.results import dumps, loads
from secscan.report import html
from secscan.report.formats import COMPLIANCE_FORMATS, FORMATS
from secscan.report.model import build
from secscan.util.text import visible

SARIF = jsonschema.Draft4Validator(load_schema())


@pytest.fixture(scope="module")
def model() -> Any:
    return build(large_saved(), NOW)


def test_the_scan_is_large_hostile_and_judged(model: Any) -> None:
    saved = large_saved()
    assert len(model.findings) >= 250
    assert saved.decision is not None and saved.decision.controls
    texts = [
        f"{f.title} {f.message} {f.location.snippet}" for f in (fv.finding for fv in model.findings)
    ]
    assert any(EVIL in t for t in texts) and any("\x1b" in t for t in texts)
    assert any("\u202e" in t for t in texts) and any("\u2028" in t for t in texts)
    assert any(fv.control_keys for fv in model.findings)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_renders_the_same_bytes_twice(name: str) -> None:
    first = FORMATS[name].outputs(large_saved(), NOW)
    # A fresh model: nothing shared with the first rendering but the results.
    saved = large_saved()
    again = FORMATS[name].outputs(type(saved)(saved.result, saved.decision), NOW)
    assert first == again
    for text in first.values():
        # No raw terminal control reaches a file, and every file can be written as UTF-8.
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x1b]", text)
        text.encode("utf-8")


def test_sarif_validates_and_has_every_finding(model: Any) -> None:
    data = json.loads(FORMATS["sarif"].render(large_saved(), NOW))
    errors = sorted(SARIF.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    results = [(run, r) for run in data["runs"] for r in run.get("results", [])]
    fps = [r["partialFingerprints"]["secscan/v1"] for _, r in results]
    ran = {r.scanner for r in large_saved().result.runs if r.status.value == "ok"}
    assert sorted(fps) == sorted(
        fv.finding.fingerprint for fv in model.findings if fv.finding.scanner in ran
    )
    for run, r in results:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tbody" and dict(attrs).get("class") == "finding":
            self.rows.append(dict(attrs))


def test_html_has_one_inert_row_per_finding(model: Any) -> None:
    out = html.render(large_saved(), NOW)
    parser = _Rows()
    parser.feed(out)
    assert [r["id"] for r in parser.rows] == [fv.anchor for fv in model.findings]
    assert parser.tags.count("script") == 1 and "img" not in parser.tags
    assert "<script>alert" not in out and "\x1b" not in out and "\\x1b[31m" in out
    for row, fv in zip(parser.rows, model.findings, strict=True):
        assert row["data-severity"] == fv.finding.severity.value
        assert row["data-search"] == visible(html.search_text(fv))


def test_results_file_reads_back_the_same_scan() -> None:
    saved = large_saved()
    text = FORMATS["json"].render(saved, NOW)
    assert text == dumps(saved.result, saved.decision)
    back = loads(text)
    assert len(back.result.findings) == len(saved.result.findings)
    assert back.decision == saved.decision
    # The NaN CVSS scores are written as null, never as invalid JSON.
    assert "NaN" not in text


def test_compliance_documents_of_every_framework(model: Any) -> None:
    for fw in model.frameworks:
        for fmt in COMPLIANCE_FORMATS.values():
            text = fmt.render(large_saved(), NOW, framework=fw.id)
            assert text == fmt.render(large_saved(), NOW, framework=fw.id)
            assert "\x1b" not in text
