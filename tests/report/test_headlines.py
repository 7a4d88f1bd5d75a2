"""Headlines show what gates (issue 23 item 8): the terminal summary, the Markdown lead and the
HTML banner count the gating scopes' findings and list failing ones first; test, example and
docs findings stand apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from reportdata import NOW, empty_saved, with_findings

from secscan.cli.views.terminal import summary
from secscan.model.findings import Finding, FindingKind, Location, Scope, Severity
from secscan.model.results import SavedResults
from secscan.report import html, markdown


def finding(n: int, sev: Severity, scope: Scope, path: str) -> Finding:
    return Finding(
        scanner="bandit",
        rule_id="B105" if scope is Scope.TEST else "B602",
        title=f"title {n}",
        message="m",
        severity=sev,
        kind=FindingKind.CODE,
        location=Location(path, n),
        scope=scope,
        fingerprint=f"{n:040x}",
    )


def saved() -> SavedResults:
    """700 high findings in tests (logins), one medium in source that fails the gate."""
    tests = tuple(
        finding(i + 1, Severity.HIGH, Scope.TEST, "tests/test_login.py") for i in range(700)
    )
    source = finding(9999, Severity.MEDIUM, Scope.SOURCE, "app/jobs.py")
    base = with_findings(empty_saved(), "bandit", (*tests, source))
    assert base.decision is not None
    decision = replace(base.decision, failing_fingerprints=(source.fingerprint,))
    return SavedResults(base.result, decision)


def test_terminal_summary_counts_gating_scopes_and_leads_with_what_fails() -> None:
    text = summary(saved())
    assert "failing the gate: 1 finding(s)" in text
    assert "by severity (source and other gating scopes): critical 0, high 0, medium 1" in text
    assert "apart: test 700 (critical 0, high 700," in text
    top = text.split("top findings:\n", 1)[1].splitlines()
    assert "app/jobs.py:9999" in top[0] and "(test)" in top[1]


def test_markdown_leads_with_gating_findings() -> None:
    out = markdown.render(saved(), NOW)
    assert "**1 finding(s) fail the gate**" in out
    assert (
        "**1 open finding(s)** in source and other gating scopes: 0 critical · 0 high · 1 medium"
        in out
    )
    assert "apart: test 700" in out
    table = out[out.index("### Top findings") :]
    first_row = table.splitlines()[4]
    assert "app/jobs.py:9999" in first_row


def test_html_banner_and_findings_table_lead_with_gating_findings() -> None:
    page = html.render(saved(), datetime(2026, 1, 1))
    banner = page[
        page.index('<p class="headline">') : page.index("</p>", page.index('<p class="headline">'))
    ]
    assert "1 finding(s) fail the gate" in banner and "1 medium" in banner
    assert "700 in test" in banner and "700 high" not in banner
    assert page.index("app/jobs.py") < page.index("tests/test_login.py")
