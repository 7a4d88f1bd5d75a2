"""Each documented GitLab rule the schemas do not encode (docs/integrations.md, GL1-GL7)
rejects a report that breaks it, and holds on every scan secscan renders."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import gitlab_rules as gl
import pytest
from integrations import SCANS, clock

from secscan.report.formats import FORMATS

SECURITY = (
    "gitlab-sast",
    "gitlab-dependency-scanning",
    "gitlab-container-scanning",
    "gitlab-secret-detection",
)


def _render(name: str, scan: str) -> Any:
    saved = SCANS[scan]()
    return json.loads(FORMATS[name].render(saved, clock(saved)))


def test_every_rule_is_in_the_docs_table() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text()
    for rule in gl.REPORT_RULES:
        assert f"| {rule} |" in docs, rule


def test_each_rule_rejects_what_breaks_it() -> None:
    sast = _render("gitlab-sast", "rich")
    dup = copy.deepcopy(sast)
    dup["vulnerabilities"].append(dup["vulnerabilities"][0])
    assert gl.gl1_unique_ids(dup)
    unlisted = copy.deepcopy(sast)
    unlisted["scan"]["primary_identifiers"] = []
    assert gl.gl2_primary_identifiers_listed(unlisted)
    clean = copy.deepcopy(sast)
    clean["scan"]["status"] = "success"
    assert gl.gl3_failure_when_a_scanner_failed(clean, failed=True)
    assert gl.gl4_repository_paths(["./app/db.py", "/src/app/db.py", "../x.py"], Path("."))
    issues = _render("gitlab-codequality", "rich")
    broken = copy.deepcopy(issues)
    broken[0]["severity"] = "high"
    del broken[1]["fingerprint"]
    broken[2]["location"]["lines"]["begin"] = 0
    assert len(gl.gl5_codequality_fields(broken)) == 3
    assert gl.gl5_codequality_fields({"not": "a list"}) == ["not a JSON array"]  # type: ignore[arg-type]
    assert gl.gl6_codequality_unique_fingerprints([*issues, issues[0]])


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_rules_hold_on_every_scan(scan: str) -> None:
    saved = SCANS[scan]()
    failed = any(r.status.value == "error" for r in saved.result.runs)
    for name in SECURITY:
        report = _render(name, scan)
        assert gl.gl1_unique_ids(report) == [], name
        assert gl.gl2_primary_identifiers_listed(report) == [], name
    kinds = {r.kind.value for r in saved.result.runs if r.status.value == "error"}
    if failed and kinds & {"code", "iac"}:
        assert gl.gl3_failure_when_a_scanner_failed(_render("gitlab-sast", scan), True) == []
    issues = _render("gitlab-codequality", scan)
    assert gl.gl5_codequality_fields(issues) == []
    assert gl.gl6_codequality_unique_fingerprints(issues) == []
