"""The terminal audit view, the live progress board and the explain text, as pure renderers."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

from reportdata import NOW, ROOT, rich_saved
from rich.console import Console

from secscan.app.explain import ControlNote, Explanation, RuleInfo
from secscan.cli.views import audit
from secscan.cli.views import explain as explain_text
from secscan.model.findings import Finding, FindingKind, Location, RunStatus, ScannerRun, Severity
from secscan.model.results import SavedResults
from secscan.report.model import build
from secscan.scan.pipeline import Phase, ProgressEvent

ESC = "\x1b"


def plain(saved: SavedResults, **kw: object) -> str:
    return audit.render(build(saved, NOW), **kw).plain  # type: ignore[arg-type]


def on_terminal(text: object) -> str:
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, color_system="truecolor", width=200).print(
        text, soft_wrap=True
    )
    return buf.getvalue()


def test_sections_in_order_grouped_by_severity_and_by_control() -> None:
    text = plain(rich_saved())
    order = ["Scanners", "Findings by severity", "Findings by control", "Not analyzed", "Gate"]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)
    assert "CRITICAL (1)" in text and "HIGH (" in text
    # grouped by rule (title, count), then the worst examples with what to act on first
    assert "    bandit B608  hardcoded sql expressions  x1" in text
    assert re.search(
        r"\n      app/db\.py:12:9  HIGH     bandit B608  #[0-9a-f]{12}  Possible", text
    )
    assert "Possible SQL injection vector" in text
    # each control once, with the rules behind it; its findings are not listed again
    assert "    A.8.28 Secure coding  FAIL  1 open, 0 waived  bandit B608 x1" in text
    assert text.count("app/db.py:12:9") == 1
    assert "not assessed (2): iso27001-2022 A.8.20, gdpr Art.32(1)(a)" in text
    assert "waived (W-001, until 2099-12-31)" in text
    assert "data/huge.bin: larger than max_file_size_mb" in text
    assert "  semgrep    1.185.0    FAILED" in text
    assert "INCOMPLETE" in text  # a scanner failed: whatever the gate said, the scan is partial


def test_plain_render_has_no_timings_and_is_stable() -> None:
    text = plain(rich_saved())
    assert "1.2s" not in text and "(cached)" not in text
    assert text == plain(rich_saved())
    assert "1.2s" in plain(rich_saved(), timings=True)  # bandit ran 1.25 s


def test_credential_literals_are_masked() -> None:
    text = plain(rich_saved(), width=400)
    assert "hunter2-prod" not in text
    assert "Possible hardcoded password: '[redacted password, 12 chars]'" in text


def test_hostile_text_is_neither_markup_nor_escape_codes() -> None:
    saved = rich_saved()
    evil = Finding(
        scanner="semgrep",
        rule_id="r[bold]x[/bold]",
        title="t",
        message=f"{ESC}[31mred{ESC}]8;;http://evil{ESC}\\ [link=http://evil]click[/link]",
        severity=Severity.HIGH,
        kind=FindingKind.CODE,
        location=Location(f"app/{ESC}[2Jx.py", 1),
        fingerprint="e" * 32,
    )
    extra = ScannerRun("extra", FindingKind.CODE, RunStatus.OK, findings=(evil,))
    runs = (*saved.result.runs, extra)
    saved = SavedResults(replace(saved.result, runs=runs), saved.decision)
    rendered = audit.render(build(saved, NOW), links=audit.Links(None), width=400)
    assert ESC not in rendered.plain
    assert "r[bold]x[/bold]" in rendered.plain  # printed as written, not read as markup
    assert "[link=http://evil]click[/link]" in rendered.plain
    out = on_terminal(rendered)
    assert not re.search(r"\x1b\]8;[^;]*;http://evil", out)  # no live link to it
    assert f"{ESC}[2J" not in out and f"{ESC}[31mred" not in out
    assert "\\x1b[31mred" in out  # shown, escaped


def test_locations_link_to_the_file_on_a_terminal_only() -> None:
    model = build(rich_saved(), NOW)
    linked = on_terminal(audit.render(model, links=audit.Links(Path(ROOT))))
    assert f"{ESC}]8;" in linked and "file:///src/shop/app/db.py" in linked
    assert "file://" not in on_terminal(audit.render(model))


def test_board_shows_running_done_and_failed_with_times() -> None:
    now = [100.0]
    board = audit.Board(clock=lambda: now[0])
    assert "starting" in board.render().plain
    board(ProgressEvent("bandit", Phase.STARTED))
    board(ProgressEvent("semgrep", Phase.STARTED))
    now[0] = 101.5
    text = board.render().plain
    assert "scanning: 0 of 2 scanner(s) finished" in text
    assert "bandit" in text and "running" in text and "1.5s" in text
    board(
        ProgressEvent(
            "bandit",
            Phase.FINISHED,
            ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, "1.9.4", 1.4, targets=3),
        )
    )
    board(
        ProgressEvent(
            "semgrep",
            Phase.FINISHED,
            ScannerRun(
                "semgrep", FindingKind.CODE, RunStatus.ERROR, "1.185.0", 0.7, error="crashed"
            ),
        )
    )
    text = board.render().plain
    assert "scanning: 2 of 2 scanner(s) finished" in text
    assert "done" in text and "0 finding(s) in 3 target(s)  1.4s" in text
    assert "FAILED   crashed  0.7s" in text


def test_explanation_text_says_what_why_controls_and_fix() -> None:
    ex = Explanation(
        query="B602",
        rule=RuleInfo(
            rule_id="B602",
            scanner="bandit",
            kind=FindingKind.CODE,
            title="Test for use of popen with shell equals true",
            description="First paragraph.\n\nSecond\nparagraph.",
            cwe=(78,),
            severity=Severity.HIGH,
            source="bandit docs",
        ),
        controls=(
            ControlNote("iso27001-2022:A.8.28", "Secure coding", "code-injection", "Because."),
            ControlNote("gdpr:Art.25(1)", "By design", "code-injection", "Because."),
        ),
    )
    text = explain_text.render(ex).plain
    for heading in ("What it is", "Why it matters", "How to fix"):
        assert heading in text
    assert "  First paragraph.\n\n  Second paragraph." in text
    assert "CWE-78" in text
    # one reason for the two controls one mapping rule names
    assert text.count("Because.") == 1
    assert "iso27001-2022:A.8.28  Secure coding" in text
    assert "Pass an argument list to subprocess" in text  # fix guidance for CWE-78


def test_many_findings_fit_a_terminal() -> None:
    """1,000 findings of one rule: one group line, 3 examples, a count; no line wraps."""
    saved = rich_saved()
    many = tuple(
        Finding(
            scanner="bandit",
            rule_id="B101",
            title="assert used (removed under python -O)",
            message="Use of assert detected. " + "x" * 300,
            severity=Severity.LOW,
            kind=FindingKind.CODE,
            location=Location(f"tests/test_{n:04}.py", n + 1, start_column=5),
            fingerprint=f"{n:032x}",
        )
        for n in range(1000)
    )
    extra = ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, findings=many)
    saved = SavedResults(replace(saved.result, runs=(*saved.result.runs, extra)), saved.decision)
    text = audit.render(build(saved, NOW), width=100).plain
    assert len(text.splitlines()) < 80
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "bandit B101  assert used (removed under python -O)  x1000" in text
    assert "... and 997 more" in text
