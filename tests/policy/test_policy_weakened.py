"""A gate setting the change under review weakened: its own gate rule, never waived or known."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from policydata import NOW, code_finding, ok_run, result_of

from secscan.model.decision import WEAKENED_SETTINGS_RULE
from secscan.model.findings import Severity
from secscan.policy.baseline import Baseline
from secscan.policy.engine import evaluate
from secscan.policy.models import Policy
from secscan.policy.waivers import LoadedWaiver, Waiver, Waivers
from secscan.settings import trust

WEAKENED = trust.policy_run((trust.Weakening("exclude", "exclude pattern(s) added: app/"),))
POLICY_FP = WEAKENED.findings[0].fingerprint


def waiver_for(fingerprint: str) -> Waivers:
    fields: dict[str, Any] = {
        "fingerprint": fingerprint,
        "reason": "the author says so",
        "owner": "pr@example.com",
        "expires": NOW.date() + timedelta(days=10),
    }
    if "created" in Waiver.model_fields:
        fields["created"] = date(NOW.year, NOW.month, NOW.day)
    lw = LoadedWaiver(Waiver.model_validate(fields), "w1", "tree/.secscan-waivers.yaml:3")
    return Waivers((lw,), "tree/.secscan-waivers.yaml")


def test_a_weakened_setting_fails_ci_and_release_and_names_itself(shipped: Policy) -> None:
    result = result_of(ok_run(), WEAKENED)
    for profile in ("ci", "release", "audit"):
        _, d = evaluate(result, shipped, shipped.profiles[profile], now=NOW)
        reasons = {r.rule: r for r in d.reasons}
        assert WEAKENED_SETTINGS_RULE in reasons, profile
        assert "exclude pattern(s) added: app/" in reasons[WEAKENED_SETTINGS_RULE].message
        assert reasons[WEAKENED_SETTINGS_RULE].fingerprints == (POLICY_FP,)
    _, d = evaluate(result, shipped, shipped.profiles["precommit"], now=NOW)
    assert d.passed and any("exclude pattern(s) added" in w for w in d.warnings)


def test_no_waiver_baseline_or_fail_on_override_lets_it_through(shipped: Policy) -> None:
    result = result_of(ok_run(), WEAKENED)
    known = Baseline.from_findings(WEAKENED.findings, "tree baseline")
    _, d = evaluate(
        result,
        shipped,
        shipped.profiles["ci"],
        waiver_for(POLICY_FP),
        known,
        now=NOW,
    )
    assert [r.rule for r in d.reasons] == [WEAKENED_SETTINGS_RULE]
    assert d.waivers[0].fingerprints == ()  # the waiver matched nothing
    _, d = evaluate(result, shipped, shipped.profiles["ci"], now=NOW, fail_on=Severity.CRITICAL)
    assert [r.rule for r in d.reasons] == [WEAKENED_SETTINGS_RULE]


def test_it_is_no_evidence_that_anything_was_scanned(shipped: Policy) -> None:
    _, d = evaluate(result_of(WEAKENED), shipped, shipped.profiles["ci"], now=NOW)
    assert "nothing-scanned" in [r.rule for r in d.reasons]


def test_it_is_not_counted_by_thresholds(shipped: Policy) -> None:
    flaw = code_finding("R9", severity=Severity.HIGH)
    _, d = evaluate(result_of(ok_run([flaw]), WEAKENED), shipped, shipped.profiles["ci"], now=NOW)
    by_rule = {r.rule: r for r in d.reasons}
    assert POLICY_FP not in by_rule["severity:code"].fingerprints
    assert "severity:policy" not in by_rule
