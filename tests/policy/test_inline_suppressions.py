"""The gate profile, not the tree under review, decides whether an inline suppression counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from policydata import NOW, code_finding, ok_run, result_of

from secscan.model.findings import Suppression
from secscan.model.results import dumps, loads
from secscan.policy.baseline import Baseline
from secscan.policy.engine import evaluate
from secscan.policy.models import GateSettings, Policy
from secscan.policy.waivers import load_waivers

NOSEC = Suppression(directive="# nosec B602", line=12)


def _result():  # type: ignore[no-untyped-def]
    flaw = replace(
        code_finding("B602", path="app/run.py", line=12, cwe=(78,), scanner="bandit"),
        suppression=NOSEC,
    )
    return result_of(ok_run([flaw], "bandit", inline_suppressions=1))


@pytest.mark.parametrize(("profile", "honoured"), [("precommit", True), ("ci", True)])
def test_precommit_and_ci_honour_and_list_each_one(
    shipped: Policy, profile: str, honoured: bool
) -> None:
    _, d = evaluate(_result(), shipped, shipped.profiles[profile], now=NOW)
    assert d.passed, d.reasons
    assert d.honoured_suppressions == ("fp-B602-app/run.py-12",)
    (listed,) = [w for w in d.warnings if "hidden from the gate by an inline suppression" in w]
    assert "app/run.py:12 B602 (# nosec B602)" in listed
    # not a tool-applied suppression: the old "suppressed by the tools themselves" note is not shown
    assert not any("by the tools themselves" in w for w in d.warnings)


@pytest.mark.parametrize("profile", ["release", "audit"])
def test_release_and_audit_count_a_suppressed_finding(shipped: Policy, profile: str) -> None:
    _, d = evaluate(_result(), shipped, shipped.profiles[profile], now=NOW)
    assert not d.passed
    assert "fp-B602-app/run.py-12" in d.failing_fingerprints
    assert d.honoured_suppressions == ()
    assert any("does not honour" in w for w in d.warnings)


def test_a_waiver_still_accepts_a_suppressed_finding_in_release(
    tmp_path: Path, shipped: Policy
) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "version: 1\nwaivers:\n"
        "  - rule: B602\n"
        "    path: app/run.py\n"
        "    reason: reviewed, the command is a constant\n"
        "    owner: team@example.com\n"
        f"    created: {(NOW.date() - timedelta(days=1)).isoformat()}\n"
        f"    expires: {(NOW.date() + timedelta(days=30)).isoformat()}\n",
        encoding="utf-8",
    )
    _, d = evaluate(_result(), shipped, shipped.profiles["release"], load_waivers(path), now=NOW)
    assert "fp-B602-app/run.py-12" not in d.failing_fingerprints
    assert not any(r.rule.startswith("severity:code") for r in d.reasons)


def test_a_profile_without_the_key_does_not_honour(shipped: Policy) -> None:
    ci = shipped.profiles["ci"]
    strict = ci.model_copy(
        update={"gate": ci.gate.model_copy(update={"inline_suppressions": "ignore"})}
    )
    _, d = evaluate(_result(), shipped, strict, now=NOW)
    assert not d.passed
    assert GateSettings().inline_suppressions == "ignore"


def test_the_suppression_survives_the_results_file(shipped: Policy) -> None:
    mapped, d = evaluate(_result(), shipped, shipped.profiles["ci"], now=NOW)
    saved = loads(dumps(mapped, d))
    assert saved.result == mapped and saved.decision == d
    (f,) = saved.result.findings
    assert f.suppression == NOSEC


def test_a_suppression_arriving_with_its_new_finding_is_not_honoured(shipped: Policy) -> None:
    """`ci --new-since`: the base's findings are the baseline. A PR that adds a flaw and a
    `# nosec` on it does not get to decide: the new finding counts and the warning names it."""
    _, d = evaluate(
        _result(), shipped, shipped.profiles["ci"], baseline=Baseline.from_findings([]), now=NOW
    )
    assert not d.passed
    assert "fp-B602-app/run.py-12" in d.failing_fingerprints
    assert any(
        "added by the change under review" in w and "app/run.py:12 B602 (# nosec B602)" in w
        for w in d.warnings
    )


def test_a_suppression_the_base_already_had_is_honoured(shipped: Policy) -> None:
    result = _result()
    ci = shipped.profiles["ci"]
    every = ci.model_copy(update={"gate": ci.gate.model_copy(update={"new_only": False})})
    base = Baseline.from_findings(result.findings)
    _, d = evaluate(result, shipped, every, baseline=base, now=NOW)
    assert d.passed, d.reasons
    assert d.honoured_suppressions == ("fp-B602-app/run.py-12",)
