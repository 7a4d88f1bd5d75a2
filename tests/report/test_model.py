"""The shared report view-model: verdicts, waivers, thresholds and masking every format sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

from reportdata import NOW, empty_saved, rich_saved, with_findings

from secscan.model.decision import Outcome, Reason
from secscan.model.findings import Finding, FindingKind, Location, Severity
from secscan.model.redact import MASK_PREFIX, redact
from secscan.model.results import SavedResults
from secscan.report.model import Verdict, build


def test_verdicts() -> None:
    assert build(empty_saved(), NOW).verdict is Verdict.PASS
    assert build(rich_saved(), NOW).verdict is Verdict.ERROR  # semgrep failed
    assert build(SavedResults(empty_saved().result, None), NOW).verdict is Verdict.NOT_EVALUATED
    saved = rich_saved()
    assert saved.decision is not None
    tolerated = replace(
        saved.decision, tolerated_errors=("semgrep",), reasons=saved.decision.reasons[:1]
    )
    model = build(SavedResults(saved.result, tolerated), NOW)
    assert model.verdict is Verdict.FAIL and model.incomplete
    assert [rv.run.scanner for rv in model.runs if rv.tolerated] == ["semgrep"]


def test_scanner_error_is_an_error_even_if_the_decision_passed() -> None:
    saved = rich_saved()
    assert saved.decision is not None
    lying = replace(saved.decision, outcome=Outcome.PASS, reasons=())
    assert build(SavedResults(saved.result, lying), NOW).verdict is Verdict.ERROR
    empty = empty_saved()
    assert empty.decision is not None
    scanner = replace(empty.decision, reasons=(Reason("scanner-error", "x"),))
    assert build(SavedResults(empty.result, scanner), NOW).verdict is Verdict.ERROR


def test_failing_findings_are_shown_below_the_report_threshold() -> None:
    saved = rich_saved()
    assert saved.decision is not None
    pwd = next(f.fingerprint for f in saved.result.findings if f.rule_id == "B105")
    d = replace(saved.decision, report_threshold="high", failing_fingerprints=(pwd,))
    model = build(SavedResults(saved.result, d), NOW)
    rules = {fv.finding.rule_id for fv in model.findings}
    assert "B105" in rules and "PYSEC-2024-60" not in rules
    assert model.below_threshold == 2


def test_expired_waiver_does_not_waive() -> None:
    model = build(rich_saved(), NOW)
    b105 = next(fv for fv in model.findings if fv.finding.rule_id == "B105")
    assert not b105.waived and [w.id for w in b105.expired_waivers] == ["W-000"]
    b311 = next(fv for fv in model.findings if fv.finding.rule_id == "B311")
    assert b311.waived and b311.waiver is not None and b311.waiver.id == "W-001"


def test_controls_in_numeric_order() -> None:
    model = build(rich_saved(), NOW)
    iso = model.framework("iso27001-2022")
    assert iso is not None
    assert [c.result.control_id for c in iso.controls] == [
        "A.5.17",
        "A.8.5",
        "A.8.8",
        "A.8.9",
        "A.8.12",
        "A.8.20",
        "A.8.24",
        "A.8.28",
    ]


def test_credential_literals_are_masked() -> None:
    f = Finding(
        "bandit",
        "B105",
        "hardcoded password string",
        "Possible hardcoded password: 'Sh0p-W4rehouse!2019'",
        Severity.LOW,
        FindingKind.CODE,
        Location("a.py", 3, snippet='PW = "Sh0p-W4rehouse!2019"'),
        fingerprint="a" * 32,
    )
    r = redact(f)
    assert "Sh0p" not in r.message and "Sh0p" not in (r.location.snippet or "")
    assert MASK_PREFIX in r.message and r.fingerprint == f.fingerprint
    semgrep = replace(f, scanner="semgrep", rule_id="hardcoded-secret", cwe=(798,))
    assert "Sh0p" not in (redact(semgrep).location.snippet or "")
    # A secret scanner's own mask stays as it is; other findings are untouched.
    preview = replace(f.location, snippet='K = "*****"')
    masked = replace(f, kind=FindingKind.SECRET, location=preview)
    assert redact(masked).location.snippet == 'K = "*****"'
    # Any finding's text is masked, not only a credential rule's (issue 13): a SQL finding
    # quoting the same line hides the value too; one without a credential is left as it is.
    sql = replace(f, rule_id="B608", cwe=(89,))
    assert "Sh0p" not in redact(sql).message and "Sh0p" not in (redact(sql).location.snippet or "")
    clean = replace(
        sql, message="Possible SQL injection", location=Location("a.py", 3, snippet="q = f'{x}'")
    )
    assert redact(clean) is clean
    model = build(with_findings(empty_saved(), "bandit", (f,)), NOW)
    assert "Sh0p" not in model.findings[0].finding.message


def test_one_model_per_results_and_clock() -> None:
    """Every format of a run asks for the model of the same results: it is built once."""
    saved = rich_saved()
    model = build(saved, NOW)
    assert build(saved, NOW) is model
    # Equal results in another object, another instant, or the same instant in another zone
    # (rendered differently) are modelled afresh.
    assert build(rich_saved(), NOW) is not model
    later = build(saved, NOW + timedelta(seconds=1))
    assert later is not model and later.generated_at == NOW + timedelta(seconds=1)
    elsewhere = NOW.astimezone(timezone(timedelta(hours=2)))
    assert build(saved, elsewhere).generated_at.tzinfo is elsewhere.tzinfo


def test_findings_of_controls_and_runs_are_in_report_order() -> None:
    model = build(rich_saved(), NOW)
    controls = [cv for fw in model.frameworks for cv in fw.controls]
    assert max(len(cv.findings) for cv in controls) > 1
    for cv in controls:
        for views in (cv.findings, cv.waived):
            keys = [fv.finding.sort_key for fv in views]
            assert keys == sorted(keys)
    order = [fv.finding.sort_key for fv in model.findings]
    assert order == sorted(order)
