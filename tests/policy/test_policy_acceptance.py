"""Acceptance: each planted flaw of the example project lands on the controls flaws.yaml names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from policydata import (
    NOW,
    bandit_run,
    dependency_run,
    flaw_line,
    flaws,
    iac_run,
    qualified,
    result_of,
    secrets_run,
    semgrep_run,
)

from secscan.model.decision import ControlState
from secscan.model.findings import Finding, FindingKind, RunStatus, ScannerRun, ScanResult
from secscan.policy.engine import evaluate
from secscan.policy.match import any_glob, matches
from secscan.policy.models import (
    Control,
    Framework,
    FrameworkInfo,
    MappingRule,
    Policy,
    qualify,
)

#: flaws.yaml's scanner names -> the names secscan's scanners report under.
SCANNERS = {
    "bandit": "bandit",
    "semgrep": "semgrep",
    "iac": "iac",
    "secrets": "secrets",
    "pip-audit": "pip-audit",
}


def _of(flaw: dict[str, Any], findings: tuple[Finding, ...], scanner: str) -> list[Finding]:
    """The findings a scanner reported for one planted flaw."""
    mine = [
        f for f in findings if f.scanner == SCANNERS[scanner] and f.location.path == flaw["file"]
    ]
    if flaw["kind"] == "dependency":
        return [f for f in mine if f.package and f.package.name.lower() == flaw["package"]]
    ids = set(flaw.get("checks", {}).get(scanner, []))
    if ids:
        return [f for f in mine if f.rule_id in ids]
    line = flaw_line(flaw)
    return [
        f
        for f in mine
        if f.location.start_line is not None
        and f.location.start_line <= (line or 0) <= (f.location.end_line or f.location.start_line)
        and set(f.cwe) & set(flaw.get("cwe", []))
    ]


@pytest.fixture(scope="module")
def example() -> ScanResult:
    return result_of(bandit_run(), semgrep_run(), iac_run(), secrets_run(), dependency_run())


@pytest.fixture(scope="module")
def judged(example: ScanResult, shipped: Policy) -> ScanResult:
    mapped, _ = evaluate(example, shipped, shipped.profiles["ci"], now=NOW)
    return mapped


ASSESSABLE = [f for f in flaws() if f["expected"]]


@pytest.mark.parametrize("flaw", ASSESSABLE, ids=[f["id"] for f in ASSESSABLE])
def test_each_planted_flaw_lands_on_its_intended_controls(
    flaw: dict[str, Any], judged: ScanResult
) -> None:
    intended = {qualified(c) for c in flaw["controls"]}
    checked = 0
    for scanner in flaw["expected"]:
        found = _of(flaw, judged.findings, scanner)
        assert found, f"{scanner} reported nothing for {flaw['id']} in the captured output"
        for f in found:
            missing = intended - set(f.controls)
            assert not missing, f"{scanner}/{f.rule_id} for {flaw['id']} misses {sorted(missing)}"
            checked += 1
    assert checked


def test_the_unpinned_requirement_is_not_claimed_by_any_scanner(judged: ScanResult) -> None:
    """flaws.yaml: nothing can match `gunicorn>=20.0` offline; no finding may pretend to."""
    (flaw,) = [f for f in flaws() if f["id"] == "unpinned-gunicorn"]
    assert flaw["expected"] == []
    assert not [f for f in judged.findings if f.package and f.package.name == "gunicorn"]


def test_every_finding_of_the_example_maps_to_some_control(judged: ScanResult) -> None:
    assert [f"{f.scanner}/{f.rule_id}" for f in judged.findings if not f.controls] == []


def _evidence_kinds(
    policy: Policy, framework: str, control: str, ran: tuple[str, ...] = ()
) -> set[str]:
    fw = policy.framework(framework)
    assert fw is not None
    c = next(c for c in fw.controls if c.id == control)
    if c.evidence:
        return {k.value for k in c.evidence}
    # A control is evidenced by the rules that name it and by those it crosswalks to by id;
    # a rule naming its scanners (the CI pipeline rules) only by a run of one of them.
    qid = qualify(framework, control)
    evidencing = {r.id for r in policy.rules if qid in r.controls} | set(c.rules)
    return {
        k.value
        for r in policy.rules
        if r.id in evidencing and (not r.match.scanners or any_glob(ran, r.match.scanners))
        for k in r.match.kinds
    }


def _with_crosswalk(policy: Policy, example: ScanResult) -> Policy:
    """The shipped library plus a framework whose controls only crosswalk to shipped rules
    (`Control.rules`); no rule names them. Per finding kind, one control crosswalks to a rule
    the example's findings match (it fails) and one to a rule they do not (it passes when its
    scanner ran, and is not assessed when none did).
    """
    controls = []
    for kind in (FindingKind.CODE, FindingKind.IAC, FindingKind.SECRET, FindingKind.DEPENDENCY):

        def found(rule: MappingRule) -> bool:
            return any(matches(rule.match, f) for f in example.findings)

        hit = next(r for r in policy.rules if r.match.kinds == (kind,) and found(r))
        # No quiet rule is dependency-only; malicious-package is dependency + image.
        quiet = next(
            r
            for r in policy.rules
            if kind in r.match.kinds and len(r.match.kinds) <= 2 and not found(r)
        )
        for tag, rule in (("hit", hit), ("quiet", quiet)):
            controls.append(
                Control(
                    id=f"CW.{kind.value}.{tag}",
                    title=f"crosswalk to {rule.id}",
                    theme="test",
                    statement="evidenced only through a crosswalk",
                    rules=(rule.id,),
                )
            )
    info = FrameworkInfo(id="crosswalk-test", title="Crosswalk", source="this test")
    fw = Framework(info=info, controls=tuple(controls), source_file="<test>")
    return policy.model_copy(update={"frameworks": (*policy.frameworks, fw)})


@pytest.fixture(scope="module")
def crosswalked(shipped: Policy, example: ScanResult) -> Policy:
    policy = _with_crosswalk(shipped, example)
    assert not any(q.startswith("crosswalk-test:") for r in policy.rules for q in r.controls)
    return policy


@pytest.mark.parametrize(
    "ran",
    [
        ("bandit", "semgrep"),
        ("iac",),
        ("secrets",),
        ("pip-audit",),
        ("bandit", "semgrep", "iac", "secrets", "pip-audit"),
    ],
    ids=lambda r: "+".join(r),
)
def test_controls_without_an_evidencing_scanner_are_not_assessed(
    ran: tuple[str, ...], example: ScanResult, crosswalked: Policy
) -> None:
    shipped = crosswalked
    runs = tuple(r for r in example.runs if r.scanner in ran)
    # Scanners that were selected but had nothing to scan never count as evidence.
    skipped = tuple(
        ScannerRun(r.scanner, r.kind, RunStatus.SKIPPED, error="nothing to scan")
        for r in example.runs
        if r.scanner not in ran
    )
    kinds = {r.kind.value for r in runs}
    _, decision = evaluate(
        replace(example, runs=runs + skipped), shipped, shipped.profiles["ci"], now=NOW
    )
    assert decision.controls
    assert any(c.framework == "crosswalk-test" for c in decision.controls)
    for c in decision.controls:
        can = _evidence_kinds(shipped, c.framework, c.control_id, ran) & kinds
        if c.failing_fingerprints:
            assert c.state is ControlState.FAIL
        elif not can:
            assert c.state is ControlState.NOT_ASSESSED, (c.control_id, c.state)
            assert c.scanners == ()
        else:
            assert c.state is not ControlState.NOT_ASSESSED, c.control_id
            assert set(c.scanners) <= set(ran)


def test_code_scanners_alone_leave_infrastructure_controls_not_assessed(
    example: ScanResult, shipped: Policy
) -> None:
    runs = tuple(r for r in example.runs if r.kind is FindingKind.CODE)
    _, decision = evaluate(replace(example, runs=runs), shipped, shipped.profiles["ci"], now=NOW)
    state = {f"{c.framework}:{c.control_id}": c for c in decision.controls}
    for qid in (
        "iso27001-2022:A.8.8",
        "iso27001-2022:A.8.15",
        "gdpr:Art.33",
        "gdpr:Art.5(1)(f)",
        "iso27001-2022:A.8.6",
    ):
        assert state[qid].state is ControlState.NOT_ASSESSED, qid
        assert "needs a" in state[qid].note
    assert state["iso27001-2022:A.8.28"].state is ControlState.FAIL
    assert any("not assessed" in w for w in decision.warnings)


def test_a_crosswalked_control_is_assessed_by_the_rules_it_names(
    example: ScanResult, crosswalked: Policy
) -> None:
    """`Control.rules` counts as much as a rule naming the control: its scanner evidences it."""
    runs = tuple(r for r in example.runs if r.kind is FindingKind.SECRET)
    _, decision = evaluate(
        replace(example, runs=runs), crosswalked, crosswalked.profiles["ci"], now=NOW
    )
    state = {c.control_id: c.state for c in decision.controls if c.framework == "crosswalk-test"}
    assert state["CW.secret.hit"] is ControlState.FAIL
    assert state["CW.secret.quiet"] is ControlState.PASS
    for other in ("code", "iac", "dependency"):
        for tag in ("hit", "quiet"):
            assert state[f"CW.{other}.{tag}"] is ControlState.NOT_ASSESSED, other
