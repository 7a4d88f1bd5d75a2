"""The engine fails closed: empty policy, empty framework, nothing scanned, scanner errors."""

from __future__ import annotations

import pytest
from policydata import NOW, code_finding, ok_run, result_of

from secscan.model.decision import ControlState
from secscan.model.findings import FindingKind, RunStatus, ScannerRun, Severity
from secscan.model.results import dumps, loads
from secscan.policy.engine import GATE, AllOf, evaluate
from secscan.policy.models import (
    Control,
    Framework,
    FrameworkInfo,
    GateSettings,
    MaxFindings,
    Policy,
    Profile,
    SeverityThresholds,
)


def _rules(d: object) -> list[str]:
    return [r.rule for r in d.reasons]  # type: ignore[attr-defined]


def test_a_clean_scan_passes_and_every_assessed_control_passes(shipped: Policy) -> None:
    _, d = evaluate(result_of(ok_run()), shipped, shipped.profiles["ci"], now=NOW)
    assert d.passed and d.reasons == ()
    states = {c.state for c in d.controls}
    assert states <= {ControlState.PASS, ControlState.NOT_ASSESSED}
    a828 = next(c for c in d.controls if c.control_id == "A.8.28")
    assert a828.state is ControlState.PASS and a828.scanners == ("semgrep",)


def test_zero_scanners_run_is_a_failure(shipped: Policy) -> None:
    skipped = ScannerRun("bandit", FindingKind.CODE, RunStatus.SKIPPED, error="nothing to scan")
    for runs in ((), (skipped,)):
        _, d = evaluate(result_of(*runs), shipped, shipped.profiles["ci"], now=NOW)
        assert not d.passed
        assert _rules(d) == ["nothing-scanned"]
        assert all(c.state is ControlState.NOT_ASSESSED for c in d.controls)


def test_an_empty_framework_is_a_failure_not_a_pass(shipped: Policy) -> None:
    empty = Framework(
        info=FrameworkInfo(id="empty", title="Empty", source="test"), controls=(), source_file="x"
    )
    policy = shipped.model_copy(update={"frameworks": (empty,)})
    _, d = evaluate(result_of(ok_run()), policy, shipped.profiles["ci"], now=NOW)
    assert not d.passed
    assert "empty-framework" in _rules(d)
    assert d.controls == ()


def test_an_empty_policy_is_a_failure(shipped: Policy) -> None:
    for update in ({"frameworks": ()}, {"rules": ()}):
        _, d = evaluate(
            result_of(ok_run()), shipped.model_copy(update=update), shipped.profiles["ci"], now=NOW
        )
        assert "empty-policy" in _rules(d), update


def test_allof_refuses_to_be_empty() -> None:
    with pytest.raises(ValueError, match="pass everything"):
        AllOf(())
    assert len(GATE.rules) >= 8


def test_evaluate_needs_a_clock(shipped: Policy) -> None:
    with pytest.raises(ValueError, match="now"):
        evaluate(result_of(ok_run()), shipped, shipped.profiles["ci"])


def _broken(scanner: str = "semgrep") -> ScannerRun:
    return ScannerRun(scanner, FindingKind.CODE, RunStatus.ERROR, error="semgrep crashed (exit 2)")


def test_a_scanner_error_fails_by_default(shipped: Policy) -> None:
    _, d = evaluate(
        result_of(ok_run([], "bandit"), _broken()), shipped, shipped.profiles["ci"], now=NOW
    )
    assert not d.passed and d.scanner_failure
    (reason,) = d.reasons
    assert reason.rule == "scanner-error" and "semgrep crashed" in reason.message
    assert "iso27001-2022:A.8.28" in reason.controls  # what the failure leaves unknown
    assert d.tolerated_errors == ()


def test_a_profile_that_tolerates_scanner_errors_warns_and_says_so(shipped: Policy) -> None:
    profile = shipped.profiles["precommit"]
    assert profile.gate.scanner_error == "warn"
    _, d = evaluate(result_of(ok_run([], "bandit"), _broken()), shipped, profile, now=NOW)
    assert d.passed and not d.scanner_failure
    assert d.tolerated_errors == ("semgrep",)
    assert any("semgrep failed" in w and "tolerates it" in w for w in d.warnings)
    # ... and the saved results carry the warning to every report.
    saved = loads(dumps(result_of(ok_run([], "bandit"), _broken()), d))
    assert saved.decision is not None and saved.decision.tolerated_errors == ("semgrep",)


def test_a_tolerated_error_with_no_other_scanner_warns_only_where_tolerated(
    shipped: Policy,
) -> None:
    """Each pre-commit hook is its own process: the dependency hook offline has pip-audit
    alone. `precommit` tolerates scanner errors, so that is a warning there (as the profile
    says), never in `ci`; and nothing run at all still fails every profile."""
    _, d = evaluate(result_of(_broken()), shipped, shipped.profiles["precommit"], now=NOW)
    assert d.passed and _rules(d) == [] and d.tolerated_errors == ("semgrep",)
    assert any("no scanner assessed anything" in w for w in d.warnings)
    _, ci = evaluate(result_of(_broken()), shipped, shipped.profiles["ci"], now=NOW)
    assert not ci.passed and "nothing-scanned" in _rules(ci)
    _, empty = evaluate(result_of(), shipped, shipped.profiles["precommit"], now=NOW)
    assert _rules(empty) == ["nothing-scanned"]


def test_not_assessed_is_never_a_pass_and_audit_fails_on_it(shipped: Policy) -> None:
    _, ci = evaluate(result_of(ok_run()), shipped, shipped.profiles["ci"], now=NOW)
    _, audit = evaluate(result_of(ok_run()), shipped, shipped.profiles["audit"], now=NOW)
    missing = [c for c in ci.controls if c.state is ControlState.NOT_ASSESSED]
    assert missing and all(c.scanners == () and c.evidenced_by for c in missing)
    assert ci.passed
    assert _rules(audit) == ["not-assessed"]
    assert set(audit.reasons[0].controls) == {f"{c.framework}:{c.control_id}" for c in missing}


def _profile(**gate: object) -> Profile:
    return Profile(name="t", description="t", gate=GateSettings(**gate))  # type: ignore[arg-type]


def test_report_threshold_is_separate_from_fail_threshold(shipped: Policy) -> None:
    low = code_finding("R1", severity=Severity.LOW)
    _, d = evaluate(result_of(ok_run([low])), shipped, shipped.profiles["ci"], now=NOW)
    assert d.passed and d.report_threshold == "low"
    _, pre = evaluate(result_of(ok_run([low])), shipped, shipped.profiles["precommit"], now=NOW)
    assert pre.report_threshold == "medium"


def test_per_kind_and_per_control_thresholds(shipped: Policy) -> None:
    medium_sqli = code_finding("R1", severity=Severity.MEDIUM, cwe=(89,))
    medium_md5 = code_finding("R2", severity=Severity.MEDIUM, cwe=(327,))
    result = result_of(ok_run([medium_sqli, medium_md5]))
    _, d = evaluate(result, shipped, shipped.profiles["ci"], now=NOW)
    # ci: code fails at high, but A.8.24 (cryptography) at medium.
    assert _rules(d) == ["control:iso27001-2022:A.8.24"]
    assert d.reasons[0].fingerprints == (medium_md5.fingerprint,)
    assert d.failing_fingerprints == (medium_md5.fingerprint,)
    states = {c.control_id: c.state for c in d.controls}
    assert states["A.8.24"] is ControlState.FAIL
    assert states["A.8.28"] is ControlState.BELOW_THRESHOLD  # open, below high: never pass

    none = _profile(severity=SeverityThresholds(default="none"))
    _, d = evaluate(result, shipped, none, now=NOW)
    assert d.passed


def test_max_findings_budget(shipped: Policy) -> None:
    fs = [code_finding(f"R{i}", severity=Severity.MEDIUM, line=i) for i in range(3)]
    profile = _profile(max_findings=(MaxFindings(max=2, min_severity=Severity.MEDIUM),))
    _, d = evaluate(result_of(ok_run(fs)), shipped, profile, now=NOW)
    assert _rules(d) == ["max-findings:medium"]
    _, ok = evaluate(result_of(ok_run(fs[:2])), shipped, profile, now=NOW)
    assert ok.passed


def test_fail_on_overrides_every_threshold(shipped: Policy) -> None:
    medium_md5 = code_finding("R2", severity=Severity.MEDIUM, cwe=(327,))
    result = result_of(ok_run([medium_md5]))
    _, d = evaluate(result, shipped, shipped.profiles["ci"], now=NOW, fail_on=Severity.CRITICAL)
    assert d.passed and d.fail_on_override == "critical"
    _, d = evaluate(result, shipped, shipped.profiles["ci"], now=NOW, fail_on=Severity.LOW)
    assert _rules(d) == ["severity:code"]


def test_findings_carry_framework_qualified_controls(shipped: Policy) -> None:
    mapped, d = evaluate(
        result_of(ok_run([code_finding()])), shipped, shipped.profiles["ci"], now=NOW
    )
    (f,) = mapped.findings
    assert "iso27001-2022:A.8.28" in f.controls and "gdpr:Art.25(1)" in f.controls
    assert {r.id for r in d.rules} >= {"code-injection"}
    assert all(r.rationale for r in d.rules)
    assert {fw.id for fw in d.framework_records} == {f.id for f in shipped.frameworks}
    assert {"iso27001-2022", "gdpr", "soc2-tsc", "eu-cra"} <= {f.id for f in d.framework_records}


def test_unmapped_findings_are_reported(shipped: Policy) -> None:
    odd = code_finding("R1", cwe=(99999,), severity=Severity.LOW)
    policy = shipped.model_copy(
        update={
            "rules": tuple(
                r
                for r in shipped.rules
                # the catch-alls, and the frameworks' rules that reuse their match
                if not {r.id, r.extends} & {"sdlc-code-defect", "security-testing-result"}
            )
        }
    )
    _, d = evaluate(result_of(ok_run([odd])), policy, shipped.profiles["ci"], now=NOW)
    assert d.unmapped_fingerprints == (odd.fingerprint,)
    assert any("map to no control" in w for w in d.warnings)


def test_profile_frameworks_select_what_is_judged(shipped: Policy) -> None:
    gdpr_only = shipped.profiles["ci"].model_copy(update={"frameworks": ("gdpr",)})
    mapped, d = evaluate(result_of(ok_run([code_finding()])), shipped, gdpr_only, now=NOW)
    assert d.frameworks == ("gdpr",)
    assert {c.framework for c in d.controls} == {"gdpr"}
    assert all(q.startswith("gdpr:") for q in mapped.findings[0].controls)


def test_a_custom_control_is_judged_like_a_shipped_one(shipped: Policy) -> None:
    c = Control(id="X.1", title="t", theme="t", statement="s", rules=("code-injection",))
    extra = Framework(
        info=FrameworkInfo(id="mine", title="t", source="s"), controls=(c,), source_file="x"
    )
    policy = shipped.model_copy(update={"frameworks": (*shipped.frameworks, extra)})
    mapped, d = evaluate(
        result_of(ok_run([code_finding()])), policy, shipped.profiles["ci"], now=NOW
    )
    assert "mine:X.1" in mapped.findings[0].controls
    mine = next(x for x in d.controls if x.framework == "mine")
    assert mine.state is ControlState.FAIL and mine.mapping_rules == ("code-injection",)


def test_test_example_and_docs_scopes_are_reported_but_do_not_fail_ci(shipped: Policy) -> None:
    from dataclasses import replace

    from secscan.model.findings import FindingKind as K
    from secscan.model.findings import Location, Scope

    in_tests = replace(code_finding("R1", path="tests/t.py"), scope=Scope.TEST)
    in_docs = replace(code_finding("R2", path="docs/x.py", fp="d"), scope=Scope.DOCS)
    secret = replace(
        code_finding("aws-access-key-id", path="tests/fixtures/k.py", fp="s"),
        kind=K.SECRET,
        scope=Scope.TEST,
        location=Location("tests/fixtures/k.py", 3),
    )
    result = result_of(ok_run([in_tests, in_docs]), ok_run([secret], name="secrets", kind=K.SECRET))
    _, d = evaluate(result, shipped, shipped.profiles["ci"], now=NOW)
    # the high code findings in test and docs scope do not fail; the secret does
    assert d.failing_fingerprints == (secret.fingerprint,)
    # the same findings in source scope fail
    moved = result_of(ok_run([replace(in_tests, scope=Scope.SOURCE)]))
    _, d = evaluate(moved, shipped, shipped.profiles["ci"], now=NOW)
    assert not d.passed
    # a profile can make test code count again
    strict = _profile(scopes={"test": "high"})
    _, d = evaluate(result_of(ok_run([in_tests])), shipped, strict, now=NOW)
    assert d.failing_fingerprints == (in_tests.fingerprint,)
