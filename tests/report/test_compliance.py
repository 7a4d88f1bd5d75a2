"""The compliance evidence document: every control, its evidence and its gaps, in three formats."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from reportdata import EVIL, GDPR, ISO, NOW, evil_saved, rich_saved

from secscan.errors import UsageError
from secscan.model.results import SavedResults
from secscan.report import compliance
from secscan.report.formats import COMPLIANCE_FORMATS, render_compliance


def test_json_lists_every_control_with_its_evidence() -> None:
    doc = json.loads(render_compliance(rich_saved(), NOW, framework=ISO, fmt="json"))
    assert doc["schema"] == "secscan-compliance" and doc["framework"]["id"] == ISO
    assert doc["summary"] == {
        "fail": 5,
        "not_assessed": 1,
        "waived": 1,
        "below_threshold": 0,
        "pass": 1,
    }
    controls = {c["id"]: c for c in doc["controls"]}
    assert len(controls) == 8
    sqli = controls["A.8.28"]
    assert sqli["state"] == "fail" and sqli["scanners"] == ["bandit"]
    assert sqli["findings"][0]["rule_id"] == "B608" and sqli["findings"][0]["line"] == 12
    assert controls["A.8.24"]["waived_findings"][0]["waiver"] == "W-001"
    assert doc["not_assessed"]["controls"] == ["A.8.20"]
    assert doc["not_assessed"]["failed_scanners"][0]["scanner"] == "semgrep"
    assert {f["path"] for f in doc["not_assessed"]["files"]} == {"app/broken.py", "data/huge.bin"}
    # Evidence: who ran, on what, when, with which versions and data.
    runs = {r["scanner"]: r for r in doc["scanners"]}
    assert runs["bandit"]["tool_version"] == "1.9.4" and runs["bandit"]["targets"] == 12
    assert runs["pip-audit"]["advisory_source"]["newest_modified"] == "2024-10-10T00:00:00Z"
    assert runs["iac"]["rulesets"] == ["trivy-checks embedded"]
    assert doc["scope"]["git_commit"].startswith("0123456789")
    waivers = {w["id"]: w for w in doc["waivers"]}
    assert waivers["W-001"]["state"] == "active" and waivers["W-001"]["controls"] == ["A.8.24"]
    assert waivers["W-000"]["state"] == "expired" and waivers["W-000"]["owner"] == "ops@example.com"


def test_frameworks_are_separate_documents() -> None:
    doc = json.loads(render_compliance(rich_saved(), NOW, framework=GDPR, fmt="json"))
    assert {c["id"] for c in doc["controls"]} == {"Art.25(1)", "Art.32(1)(a)", "Art.32(1)(b)"}


def test_markdown_and_html_carry_the_same_facts() -> None:
    for fmt in ("markdown", "html"):
        out = render_compliance(rich_saved(), NOW, framework=ISO, fmt=fmt)
        for text in (
            "A.8.28",
            "Secure coding",
            "A.8.20",
            "W-001",
            "W-000",
            "platform-team",
            "semgrep",
            "1.9.4",
            "advisory-db",
            "not assessed",
            "app/broken.py",
        ):
            assert text.lower() in out.lower(), (fmt, text)


def test_html_is_script_free_and_escaped() -> None:
    out = render_compliance(evil_saved(), NOW, framework=ISO, fmt="html")
    tags: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append(tag)

    P().feed(out)
    assert "script" not in tags and "img" not in tags and "textarea" not in tags
    assert EVIL not in out
    assert "script-src" not in out  # no script is allowed at all (default-src 'none')


def test_markdown_is_inert() -> None:
    out = render_compliance(evil_saved(), NOW, framework=ISO, fmt="markdown")
    assert "<script>" not in out and "<img" not in out


def test_unknown_framework_or_undecided_results_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="judged: iso27001-2022, gdpr"):
        render_compliance(rich_saved(), NOW, framework="pci-dss", fmt="json")
    with pytest.raises(UsageError, match="no policy decision"):
        render_compliance(SavedResults(rich_saved().result, None), NOW, framework=ISO, fmt="json")
    with pytest.raises(UsageError, match="no compliance format"):
        render_compliance(rich_saved(), NOW, framework=ISO, fmt="pdf")


def test_byte_identical() -> None:
    for fmt in COMPLIANCE_FORMATS:
        a = render_compliance(rich_saved(), NOW, framework=ISO, fmt=fmt)
        assert a == render_compliance(rich_saved(), NOW, framework=ISO, fmt=fmt)


def _big_scan(n: int = 1000) -> SavedResults:
    """A judged scan with `n` findings over many rules and files (a framework repo's size)."""
    from datetime import timedelta

    from secscan.model.findings import (
        Finding,
        FindingKind,
        Location,
        RunStatus,
        ScannerRun,
        Severity,
    )
    from secscan.model.findings import ScanResult as Result
    from secscan.policy.engine import evaluate
    from secscan.policy.loader import load_policy

    cwes = (89, 78, 79, 22, 327, 798, 502, 611, 918, 20)
    findings = tuple(
        Finding(
            scanner="semgrep",
            rule_id=f"rule-{i % 40}",
            title=f"flaw class {i % 40}",
            message="m" * 120,
            severity=(Severity.HIGH, Severity.MEDIUM, Severity.LOW)[i % 3],
            kind=FindingKind.CODE,
            location=Location(f"pkg/mod{i % 97}/file{i}.py", i % 300 + 1, snippet="x = y"),
            cwe=(cwes[i % len(cwes)],),
            fingerprint=f"{i:064x}",
        )
        for i in range(n)
    )
    run = ScannerRun(
        "semgrep",
        FindingKind.CODE,
        RunStatus.OK,
        tool_version="1.2.3",
        findings=findings,
        targets=n,
        target_kinds=(("source", n),),
    )
    result = Result(
        root="/src/big",
        started_at=NOW - timedelta(minutes=5),
        finished_at=NOW,
        secscan_version="test",
        runs=(run,),
        git_commit="a" * 40,
    )
    policy = load_policy()
    mapped, decision = evaluate(result, policy, policy.profiles["ci"], now=NOW)
    return SavedResults(mapped, decision)


def test_a_thousand_finding_scan_stays_readable_and_under_two_megabytes() -> None:
    """Issue 15: A.8.29 listed 1,122 findings one by one (112,000 px). Now each control
    groups them by rule with at most a few examples; the JSON keeps all of them."""
    saved = _big_scan(1000)
    for framework in ("iso27001-2022", "pci-dss-4.0", "eu-cra"):
        html = render_compliance(saved, NOW, framework=framework, fmt="html")
        assert len(html.encode("utf-8")) < 2_000_000, framework
        md = render_compliance(saved, NOW, framework=framework, fmt="markdown")
        assert len(md.encode("utf-8")) < 2_000_000, framework
        # examples are capped: a location appears at most once per control it evidences
        assert html.count("pkg/mod") <= compliance.MAX_EXAMPLES * 40 * 25
        assert "more (every finding is in the JSON document)" in html
    iso = render_compliance(saved, NOW, framework="iso27001-2022", fmt="html")
    assert len(iso.encode("utf-8")) < 500_000
    doc = json.loads(render_compliance(saved, NOW, framework="iso27001-2022", fmt="json"))
    a829 = next(c for c in doc["controls"] if c["id"] == "A.8.29")
    assert len(a829["findings"]) == 1000  # the full list stays in the JSON
    assert a829["counts"]["open"] == 1000


def test_the_summary_counts_and_states_come_first() -> None:
    saved = _big_scan(60)
    md = render_compliance(saved, NOW, framework="iso27001-2022", fmt="markdown")
    head = md.split("## Scope")[0]
    assert "| Control | State | Open | Below threshold | Waived | Evidence | Why |" in head
    assert head.count("\n| **") == len(
        [c for c in saved.decision.controls if c.framework == "iso27001-2022"]  # type: ignore[union-attr]
    )
    # Infrastructure controls name why they are not assessed, right in the table.
    assert "no Terraform or CloudFormation files in scope" in head or "needs a iac" in head
