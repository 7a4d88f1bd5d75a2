"""The Markdown summary: decision first, bounded in size, and no scanned text becomes markup."""

from __future__ import annotations

from dataclasses import replace

from reportdata import NOW, empty_saved, evil_saved, rich_saved, with_findings

from secscan.model.findings import Severity
from secscan.model.results import SavedResults
from secscan.report import markdown


def test_summary_leads_with_the_decision_and_reasons() -> None:
    out = markdown.render(rich_saved(), NOW)
    first = out.splitlines()[0]
    assert first.startswith("## ") and "INCOMPLETE" in first and "gate failed" in first
    assert "**semgrep failed**" in out
    assert "<code>fail-on:high</code>" in out
    assert "**6 open finding(s)**: 1 critical · 3 high · 1 medium · 1 low · 0 info; 1 waived" in out
    assert "### Failing controls (7)" in out
    assert "| iso27001-2022 | A.8.28 | Secure coding | 1 |" in out
    assert "**Not assessed** (2): A.8.20, Art.32\\(1\\)\\(a\\)" in out
    # Top findings: most severe first, with fixed versions for dependencies.
    table = out[out.index("### Top findings") : out.index("### Failing controls")]
    assert table.index("critical") < table.index("| high") < table.index("| medium")
    assert "fixed in 0.12.3" in table


def test_hostile_text_is_not_markup() -> None:
    out = markdown.render(evil_saved(), NOW)
    assert "<script>" not in out and "<img" not in out and "</textarea>" not in out
    assert "&lt;script&gt;" in out
    # Table rows keep their column count: a pipe in text is escaped.
    for line in out.splitlines():
        if line.startswith("| high |"):
            assert line.replace("\\|", "").count("|") == 5


def test_mentions_and_links_do_not_ping_or_link() -> None:
    saved = rich_saved()
    f = next(f for f in saved.result.findings if f.rule_id == "B608")
    f = replace(f, title="ping @security-team see [x](https://evil.example)")
    out = markdown.render(with_findings(saved, "bandit", (f,)), NOW)
    assert "@security-team" not in out and "&#64;&#8203;security-team" in out
    assert "](https://evil.example)" not in out


def test_stays_under_githubs_comment_limit() -> None:
    saved = rich_saved()
    f = next(f for f in saved.result.findings if f.rule_id == "B608")
    many = tuple(
        replace(
            f,
            title="x" * 3000,
            severity=Severity.HIGH,
            fingerprint=f"{i:032x}",
            location=replace(f.location, path=f"app/m{i}.py"),
        )
        for i in range(3000)
    )
    out = markdown.render(with_findings(saved, "bandit", many), NOW)
    assert len(out) <= markdown.MAX_CHARS
    assert "### Top findings (10 of 3004)" in out


def test_passing_and_undecided() -> None:
    assert "PASSED" in markdown.render(empty_saved(), NOW).splitlines()[0]
    out = markdown.render(SavedResults(empty_saved().result, None), NOW)
    assert "NOT EVALUATED" in out and "nothing was judged" in out


def test_byte_identical() -> None:
    assert markdown.render(rich_saved(), NOW) == markdown.render(rich_saved(), NOW)
