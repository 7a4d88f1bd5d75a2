"""The pre-commit hook's few lines: verdict, blocking findings, how to go on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from reportdata import NOW, fp, rich_saved

from secscan.cli.views import compact
from secscan.model.decision import Decision, Outcome, Reason, WaiverRecord
from secscan.model.findings import Finding, FindingKind, Location, Severity


def test_a_failed_gate_lists_each_blocking_finding_on_one_line() -> None:
    saved = rich_saved()
    result = saved.result
    sqli, pwd = fp(result, "B608"), fp(result, "B105")
    decision = Decision(
        Outcome.FAIL,
        "precommit",
        NOW,
        reasons=(Reason("severity:code", "2 new code finding(s)", fingerprints=(sqli, pwd)),),
        failing_fingerprints=(sqli, pwd),
    )
    text = compact.render(result, decision, files=3)
    lines = text.splitlines()
    assert lines[0].startswith("secscan precommit: FAILED: 2 finding(s) block this commit (")
    assert "semgrep FAILED" in lines[0] and "bandit ok" in lines[0] and "image skipped" in lines[0]
    assert lines[1] == (
        "  app/db.py:12:9: high: bandit B608: Possible SQL injection vector through "
        "string-based query construction. [A.8.28, Art.25(1)]"
    )
    # a credential rule quotes the literal: masked here as in every report
    assert "hunter2-prod" not in text
    assert "Possible hardcoded password: '[redacted password, 12 chars]'" in text
    assert lines[-1].startswith("Fix them, or accept the risk in .secscan-waivers.yaml")
    assert "secscan explain B608" in lines[-1]


def test_a_pass_is_one_line_plus_warnings() -> None:
    saved = rich_saved()
    decision = Decision(Outcome.PASS, "precommit", NOW, warnings=("scanner semgrep failed",))
    text = compact.render(saved.result, decision, files=2)
    first, second = text.splitlines()
    assert first.startswith("secscan precommit: passed: 2 file(s) checked (bandit ok, semgrep")
    assert first.endswith(f"; {len(saved.result.findings)} finding(s) below the gate")
    assert second == "  ! scanner semgrep failed"


def test_scoped_runs_drop_the_warnings_about_waivers_for_other_files() -> None:
    idle = WaiverRecord("W-9", "r", "o", date(2099, 1, 1), False, origin=".secscan-waivers.yaml:3")
    warning = "waiver W-9 (.secscan-waivers.yaml:3) matches no finding"
    decision = Decision(
        Outcome.PASS, "precommit", NOW, warnings=(warning, "other"), waivers=(idle,)
    )
    result = rich_saved().result
    assert warning not in compact.render(result, decision, files=1)
    assert "  ! other" in compact.render(result, decision, files=1)
    assert warning in compact.render(result, decision, files=1, scoped=False)


def test_secrets_show_their_title_never_their_message_and_no_control_characters() -> None:
    saved = rich_saved()
    secret = Finding(
        scanner="secrets",
        rule_id="generic-api-key",
        title="Generic API key\x1b[2J",
        message="key = 'sk_live_123456789'",
        severity=Severity.CRITICAL,
        kind=FindingKind.SECRET,
        location=Location("conf/app.ini", 4),
        fingerprint="f" * 32,
    )
    runs = (replace(saved.result.runs[0], findings=(secret,)),)
    result = replace(saved.result, runs=runs)
    decision = Decision(Outcome.FAIL, "precommit", NOW, failing_fingerprints=("f" * 32,))
    text = compact.render(result, decision, files=1)
    assert "sk_live" not in text
    assert "\x1b" not in text
    assert "  conf/app.ini:4: critical: secrets generic-api-key: Generic API key\\x1b[2J" in text


def test_nothing_to_check_is_said_not_silent() -> None:
    text = compact.nothing_to_check(["README.md"], ["bandit", "semgrep"])
    assert text == (
        "secscan: none of the 1 file(s) given is one that bandit, semgrep reads: nothing checked\n"
    )
