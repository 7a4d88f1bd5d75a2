"""Each policy step on its own: map, waive, baseline, suppress, threshold, assess.

The steps are pure functions over frozen values; `evaluate` (tested end to end elsewhere)
only runs them in order. Findings are referred to by their index in `Mapped.findings`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import date, timedelta

import pytest
from policydata import NOW, code_finding, ok_run, result_of

from secscan.errors import PolicyError
from secscan.model.decision import ControlState
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    RunStatus,
    ScannerRun,
    Scope,
    Severity,
    Suppression,
)
from secscan.policy.baseline import Baseline
from secscan.policy.models import Policy, Profile
from secscan.policy.steps import (
    Counted,
    apply_baseline,
    apply_thresholds,
    apply_waivers,
    assess_controls,
    honour_suppressions,
    inline_counts,
    judged_frameworks,
    map_findings,
)
from secscan.policy.waivers import LoadedWaiver, Waiver, Waivers

TODAY = NOW.date()
SQLI = "iso27001-2022:A.8.28"
NOSEC = Suppression(directive="# nosec", line=1)


def _waiver(
    wid: str, *, expires: date, rule: str | None = "R1", fp: str | None = None
) -> LoadedWaiver:
    w = Waiver(
        rule=rule,
        path="app/**" if rule else None,
        fingerprint=fp,
        reason="accepted in review",
        owner="team@example.com",
        created=TODAY - timedelta(days=10),
        expires=expires,
    )
    return LoadedWaiver(w, wid, f".secscan-waivers.yaml:{wid[-1]}")


def _setting(path: str) -> Finding:
    return Finding(
        scanner="secscan",
        rule_id="weakened-gate",
        title="weakened",
        message="fail_on raised",
        severity=Severity.HIGH,
        kind=FindingKind.POLICY,
        location=Location(path=path),
        fingerprint=f"fp-setting-{path}",
    )


# --- map -----------------------------------------------------------------------------------


def test_map_fills_controls_and_keeps_the_matched_rules_per_finding(shipped: Policy) -> None:
    sqli = code_finding("R1", path="app/b.py", cwe=(89,))
    other = code_finding("R2", path="app/a.py", cwe=())
    ci = shipped.profiles["ci"]
    # Without the rules that take every code finding, only the CWE-89 one maps.
    generic = set(map_findings(result_of(ok_run([other])), shipped, ci).matched[0])
    policy = shipped.model_copy(
        update={"rules": tuple(r for r in shipped.rules if r.id not in generic)}
    )
    mapped = map_findings(result_of(ok_run([sqli, other])), policy, ci)
    # Indexes follow the sorted findings (app/a.py first), as every later step uses them.
    assert [f.location.path for f in mapped.findings] == ["app/a.py", "app/b.py"]
    unmapped, sql = mapped.findings
    assert unmapped.controls == () and mapped.matched[0] == ()
    assert SQLI in sql.controls and mapped.matched[1]
    # The controls are those of the rules matched, in the index's (framework) order.
    order = list(mapped.index)
    assert sorted(sql.controls, key=order.index) == list(sql.controls)
    assert mapped.result.findings == mapped.findings
    with pytest.raises(dataclasses.FrozenInstanceError):
        mapped.findings = ()  # type: ignore[misc]


def test_map_judges_only_the_profiles_frameworks(shipped: Policy) -> None:
    only = shipped.profiles["ci"].model_copy(update={"frameworks": ("gdpr",)})
    assert [f.id for f in judged_frameworks(shipped, only)] == ["gdpr"]
    mapped = map_findings(result_of(ok_run([code_finding("R1")])), shipped, only)
    assert all(q.startswith("gdpr:") for q in mapped.index)
    assert all(q.startswith("gdpr:") for q in mapped.findings[0].controls)
    everything = judged_frameworks(shipped, shipped.profiles["ci"])
    assert len(everything) == len(shipped.frameworks) > 1


def test_map_gives_identical_findings_identical_controls(shipped: Policy) -> None:
    same = [code_finding("R1", path=f"app/m{n}.py") for n in range(5)]
    mapped = map_findings(result_of(ok_run(same)), shipped, shipped.profiles["ci"])
    assert len({f.controls for f in mapped.findings}) == 1
    assert len(set(mapped.matched)) == 1


# --- waive ---------------------------------------------------------------------------------


def test_the_first_active_waiver_in_file_order_wins() -> None:
    fs = [code_finding("R1", path="app/a.py"), code_finding("R1", path="app/b.py")]
    first = _waiver("W1", expires=TODAY + timedelta(days=5), rule=None, fp=fs[1].fingerprint)
    second = _waiver("W2", expires=TODAY + timedelta(days=5))
    out = apply_waivers(fs, Waivers((first, second), "w.yaml"), 90, TODAY)
    assert out.waived[1] is first and out.waived[0] is second
    assert [(lw.id, idxs) for lw, idxs in out.active] == [("W1", (1,)), ("W2", (0, 1))]
    assert out.expired == () and out.source == "w.yaml"
    with pytest.raises(TypeError):
        out.waived[2] = first  # type: ignore[index]


def test_an_expired_waiver_covers_nothing_and_lists_what_it_would() -> None:
    fs = [code_finding("R1", path="app/a.py"), code_finding("R1", path="app/b.py")]
    gone = _waiver("W1", expires=TODAY - timedelta(days=1))
    live = _waiver("W2", expires=TODAY, rule=None, fp=fs[0].fingerprint)  # last day applies
    out = apply_waivers(fs, Waivers((gone, live)), 90, TODAY)
    assert dict(out.waived) == {0: live}
    # Only the finding no active waiver covers counts again because of the expiry.
    assert [(lw.id, idxs) for lw, idxs in out.expired] == [("W1", (1,))]


def test_a_weakened_setting_is_never_waived() -> None:
    fs = [_setting("app/.secscan.yaml")]
    w = _waiver("W1", expires=TODAY + timedelta(days=1), rule=None, fp=fs[0].fingerprint)
    out = apply_waivers(fs, Waivers((w,)), 90, TODAY)
    assert dict(out.waived) == {} and out.active[0][1] == ()


def test_a_waiver_longer_than_the_profile_allows_is_refused() -> None:
    w = _waiver("W1", expires=TODAY + timedelta(days=100))
    with pytest.raises(PolicyError, match="at most 90"):
        apply_waivers([code_finding("R1")], Waivers((w,)), 90, TODAY)


# --- baseline ------------------------------------------------------------------------------


def test_baseline_names_the_new_findings_by_index() -> None:
    old, new = code_finding("R1", path="app/a.py"), code_finding("R1", path="app/b.py")
    assert apply_baseline([old, new], None).new is None
    out = apply_baseline([old, new], Baseline.from_findings([old], source="base.json"))
    assert out.new == frozenset({1}) and out.source == "base.json"
    assert apply_baseline([old, new], Baseline.from_findings([])).new == frozenset({0, 1})


# --- inline suppressions -------------------------------------------------------------------


def test_suppressions_hide_only_when_honoured_and_never_with_a_new_finding() -> None:
    fs = [replace(code_finding("R1", path=f"app/{n}.py"), suppression=NOSEC) for n in range(3)]
    fs.append(code_finding("R1", path="app/plain.py"))
    assert honour_suppressions(fs, "ignore", {}, None) == frozenset()
    assert honour_suppressions(fs, "honour", {}, None) == frozenset({0, 1, 2})
    # Waived: the waiver accepted it, not the comment. New: the comment came with it.
    assert honour_suppressions(fs, "honour", {0: object()}, frozenset({1})) == frozenset({2})


def test_inline_counts_per_scanner_only_of_runs_that_worked() -> None:
    kept = replace(code_finding("R1"), scanner="bandit", suppression=NOSEC)
    runs = [
        ok_run([kept], "bandit", inline_suppressions=3),
        ok_run([], "semgrep", inline_suppressions=1),
        ScannerRun("iac", FindingKind.IAC, RunStatus.ERROR, inline_suppressions=5),
    ]
    assert inline_counts(runs) == (("bandit", 3), ("semgrep", 1))
    # Applied by the tool itself: the suppressions whose finding is not in the results.
    assert inline_counts(runs, hidden_only=True) == (("bandit", 2), ("semgrep", 1))


# --- threshold -----------------------------------------------------------------------------


def _ci(shipped: Policy, **gate: object) -> Profile:
    ci = shipped.profiles["ci"]
    return ci.model_copy(update={"gate": ci.gate.model_copy(update=gate)})


def test_thresholds_count_what_is_open_new_and_in_scope(shipped: Policy) -> None:
    high = code_finding("R1", path="app/a.py", severity=Severity.HIGH)
    low = code_finding("R1", path="app/b.py", severity=Severity.LOW)
    test = replace(code_finding("R1", path="tests/t.py"), scope=Scope.TEST)
    setting = _setting("app/.secscan.yaml")
    fs = [high, low, test, setting]
    out = apply_thresholds(fs, _ci(shipped, new_only=False), frozenset(), None)
    assert out.thresholds[:2] == (Severity.HIGH, Severity.HIGH)
    # The test-scope finding's threshold is its scope's (looser); the setting's is its kind's.
    assert out.failing == frozenset({0, 3})
    # The setting is judged by its own rule; the test-scope finding is below its scope's bar.
    assert out.counted == frozenset({0, 1})
    assert apply_thresholds(fs, _ci(shipped), frozenset({0}), None).counted == frozenset({1})
    # new_only: with a baseline, only the new findings count.
    assert apply_thresholds(fs, _ci(shipped), frozenset(), frozenset({1})).counted == {1}
    assert apply_thresholds(
        fs, _ci(shipped, new_only=False), frozenset(), frozenset({1})
    ).counted == {0, 1}


def test_fail_on_replaces_every_threshold(shipped: Policy) -> None:
    fs = [code_finding("R1", severity=Severity.LOW), _setting("app/.secscan.yaml")]
    out = apply_thresholds(fs, _ci(shipped), frozenset(), None, Severity.LOW)
    assert out.thresholds == (Severity.LOW, Severity.LOW)
    assert out.failing == frozenset({0, 1})


# --- assess --------------------------------------------------------------------------------


def test_assess_fails_the_control_of_a_failing_finding_and_not_a_waived_one(
    shipped: Policy,
) -> None:
    profile = _ci(shipped)
    result = result_of(ok_run([code_finding("R1", cwe=(89,))]))
    mapped = map_findings(result, shipped, profile)
    none = apply_waivers(mapped.findings, Waivers(), 90, TODAY)
    counted = apply_thresholds(mapped.findings, profile, frozenset(), None)
    state = {qualify(c): c.state for c in assess_controls(mapped, none, frozenset(), counted)}
    assert state[SQLI] is ControlState.FAIL
    w = _waiver(
        "W1", expires=TODAY + timedelta(days=1), rule=None, fp=mapped.findings[0].fingerprint
    )
    waived = apply_waivers(mapped.findings, Waivers((w,)), 90, TODAY)
    state = {qualify(c): c.state for c in assess_controls(mapped, waived, frozenset(), counted)}
    assert state[SQLI] is ControlState.WAIVED
    # Honoured inline: neither failing nor waived; below threshold means nothing failing.
    quiet = Counted(counted.counted, counted.thresholds, frozenset())
    state = {qualify(c): c.state for c in assess_controls(mapped, none, frozenset(), quiet)}
    assert state[SQLI] is ControlState.BELOW_THRESHOLD
    state = {qualify(c): c.state for c in assess_controls(mapped, none, frozenset({0}), counted)}
    assert state[SQLI] is ControlState.PASS


def qualify(c: object) -> str:
    return f"{c.framework}:{c.control_id}"  # type: ignore[attr-defined]
