"""The Decision derived from the step outputs, and merging as a function of the same steps.

`decide` is the one way a Decision is made (by `evaluate` and by `merge`); `judgement_of`
recovers the step outputs from a saved Decision; `combine` merges them step by step. The
property at the end: splitting a scan into shards, judging each and merging the decisions
decides what judging the whole scan decides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policydata import (
    NOW,
    bandit_run,
    dependency_run,
    iac_run,
    result_of,
    secrets_run,
    semgrep_run,
)

from secscan.app.merge import merge
from secscan.model.decision import (
    ControlResult,
    ControlState,
    Decision,
    Outcome,
    Reason,
    WaiverRecord,
)
from secscan.model.findings import ScannerRun, ScanResult, Severity, Suppression
from secscan.model.results import SavedResults, dumps, loads
from secscan.policy.baseline import Baseline
from secscan.policy.engine import evaluate
from secscan.policy.judgement import (
    AssessRecord,
    BaselineRecord,
    GateRecord,
    Judgement,
    SuppressRecord,
    WaiveRecord,
    combine,
    decide,
    judgement_of,
)
from secscan.policy.loader import load_policy
from secscan.policy.models import MaxFindings, Policy
from secscan.policy.waivers import load_waivers

TODAY = NOW.date()
POLICY = load_policy()
NOSEC = Suppression(directive="# nosec", line=1)


def _waivers_file(tmp: Path) -> Path:
    created = (TODAY - timedelta(days=20)).isoformat()
    p = tmp / ".secscan-waivers.yaml"
    p.write_text(
        "version: 1\nwaivers:\n"
        "  - id: sql-accepted\n    rule: B608\n    path: app/**\n"
        f"    reason: parameterised upstream\n    owner: a@example.com\n    created: {created}\n"
        f"    expires: {(TODAY + timedelta(days=30)).isoformat()}\n"
        "  - id: old-accept\n    rule: B105\n    path: app/**\n"
        f"    reason: was a test value\n    owner: a@example.com\n    created: {created}\n"
        f"    expires: {(TODAY - timedelta(days=1)).isoformat()}\n",
        encoding="utf-8",
    )
    return p


# --- decide and its inverse -----------------------------------------------------------------


@pytest.mark.parametrize("profile", ["ci", "release", "audit", "precommit"])
def test_a_decision_is_what_its_steps_derive(shipped: Policy, profile: str, tmp_path: Path) -> None:
    runs = (bandit_run(), semgrep_run(), iac_run(), secrets_run(), dependency_run())
    result = result_of(*runs)
    half = Baseline.from_findings(result.findings[::2], source="base.json")
    waivers = load_waivers(_waivers_file(tmp_path))
    _, d = evaluate(result, shipped, shipped.profiles[profile], waivers, baseline=half, now=NOW)
    assert decide(judgement_of(d)) == d
    # ... also after the results file: nothing the merge needs is lost on the way.
    again = loads(dumps(result, d)).decision
    assert again is not None and decide(judgement_of(again)) == again


def test_the_outcome_and_failing_findings_come_from_the_gate_reasons() -> None:
    reasons = (Reason("severity:code", "2 high", ("a", "b")), Reason("control:x", "x", ("b", "c")))
    j = Judgement(
        setting=judgement_of(Decision(Outcome.PASS, "ci", NOW)).setting,
        gate=GateRecord(reasons),
    )
    d = decide(j)
    assert d.outcome is Outcome.FAIL and d.failing_fingerprints == ("a", "b", "c")
    assert decide(replace(j, gate=GateRecord())).outcome is Outcome.PASS


def test_a_failed_decision_without_reasons_keeps_failing() -> None:
    edited = Decision(Outcome.FAIL, "ci", NOW)
    j = judgement_of(edited)
    assert decide(j) == edited
    assert (
        decide(combine([j, judgement_of(Decision(Outcome.PASS, "ci", NOW))], [(), ()])).outcome
        is Outcome.FAIL
    )


# --- each step's combine --------------------------------------------------------------------


def _control(state: ControlState, fps: tuple[str, ...] = (), note: str = "") -> ControlResult:
    return ControlResult("iso", "A.1", "t", state, fingerprints=fps, note=note)


@pytest.mark.parametrize(
    ("same_root", "states", "expected"),
    [
        (True, (ControlState.PASS, ControlState.NOT_ASSESSED), ControlState.PASS),
        (False, (ControlState.PASS, ControlState.NOT_ASSESSED), ControlState.NOT_ASSESSED),
        (True, (ControlState.BELOW_THRESHOLD, ControlState.WAIVED), ControlState.WAIVED),
        (False, (ControlState.NOT_ASSESSED, ControlState.FAIL), ControlState.FAIL),
    ],
)
def test_assess_combines_to_the_worst_state_of_its_order(
    same_root: bool, states: tuple[ControlState, ...], expected: ControlState
) -> None:
    parts = [AssessRecord((_control(s, (f"fp{n}",), note=s.value),)) for n, s in enumerate(states)]
    (merged,) = AssessRecord.combine(parts, same_root=same_root).controls
    assert merged.state is expected
    assert merged.fingerprints == ("fp0", "fp1")
    assert merged.note == expected.value  # the notes of the state it took


def test_waive_combines_one_record_per_waiver_expired_if_any_part_says_so() -> None:
    def w(fps: tuple[str, ...], expired: bool) -> WaiverRecord:
        return WaiverRecord("W1", "r", "o", TODAY, expired, fingerprints=fps, origin="w.yaml:3")

    merged = WaiveRecord.combine(
        [WaiveRecord((w(("a",), False),), "w.yaml"), WaiveRecord((w(("b", "a"), True),), "w.yaml")]
    )
    (record,) = merged.waivers
    assert record.fingerprints == ("a", "b") and record.expired and merged.file == "w.yaml"
    assert WaiveRecord.combine([WaiveRecord(file="a"), WaiveRecord(file="b")]).file is None


def test_baseline_combines_counting_an_unbaselined_part_as_all_new() -> None:
    parts = [BaselineRecord(("a",), "base.json"), BaselineRecord(None, None)]
    merged = BaselineRecord.combine(parts, [("a", "old"), ("x", "y")])
    assert merged == BaselineRecord(("a", "x", "y"), "base.json")
    assert (
        BaselineRecord.combine([BaselineRecord(), BaselineRecord()], [("a",), ("b",)]).new is None
    )


def test_suppressions_add_up_per_scanner() -> None:
    merged = SuppressRecord.combine(
        [
            SuppressRecord((("bandit", 2),), ("a",)),
            SuppressRecord((("bandit", 1), ("iac", 4)), ("a", "b")),
        ]
    )
    assert merged == SuppressRecord((("bandit", 3), ("iac", 4)), ("a", "b"))


def test_combine_fails_closed() -> None:
    passed = judgement_of(Decision(Outcome.PASS, "ci", NOW))
    with pytest.raises(ValueError, match="judge nothing"):
        combine([], [])
    d = decide(combine([passed], [()], unjudged=1))
    assert d.outcome is Outcome.FAIL and [r.rule for r in d.reasons] == ["merge-unjudged"]
    other = judgement_of(Decision(Outcome.PASS, "audit", NOW + timedelta(hours=1)))
    d = decide(combine([passed, other], [(), ()], same_root=False))
    assert d.passed and d.profile == "ci + audit" and d.evaluated_at == NOW + timedelta(hours=1)
    assert any("different profiles" in w for w in d.warnings)
    assert any("different roots" in w for w in d.warnings)


def test_one_part_combines_to_itself(shipped: Policy) -> None:
    result = result_of(bandit_run(), semgrep_run())
    _, d = evaluate(result, shipped, shipped.profiles["ci"], now=NOW)
    fps = tuple(f.fingerprint for f in result.findings)
    assert decide(combine([judgement_of(d)], [fps])) == d


# --- merging split runs decides what the whole run decides ------------------------------------

#: The example's real findings, from captured tool output, fingerprinted once.
RUNS: tuple[ScannerRun, ...] = (
    bandit_run(),
    semgrep_run(),
    iac_run(),
    secrets_run(),
    dependency_run(),
)


def _split(runs: tuple[ScannerRun, ...], keep: list[int], parts: int) -> list[ScanResult]:
    """Shards of one tree: every shard ran every scanner, each finding is in one shard, and a
    shard's run counts the inline suppressions of its own findings."""
    flat = [(n, f) for n, r in enumerate(runs) for f in r.findings]
    chosen = [
        (n, f, keep[i] % (parts + 1)) for i, (n, f) in enumerate(flat) if keep[i] % (parts + 1)
    ]
    out = []
    for p in range(1, parts + 1):
        shard = []
        for n, r in enumerate(runs):
            mine = tuple(f for m, f, q in chosen if m == n and q == p)
            kept = sum(f.suppression is not None for f in mine)
            shard.append(replace(r, findings=mine, inline_suppressions=kept))
        out.append(result_of(*shard))
    return out


def _whole(shards: list[ScanResult]) -> ScanResult:
    runs = []
    for n, run in enumerate(shards[0].runs):
        mine = tuple(f for s in shards for f in s.runs[n].findings)
        runs.append(
            replace(
                run, findings=mine, inline_suppressions=sum(f.suppression is not None for f in mine)
            )
        )
    return result_of(*runs)


def _summary(d: Decision) -> dict[str, object]:
    """What a merge keeps exactly; the texts that count findings differ by construction."""
    return {
        "outcome": d.outcome,
        "reasons": {r.rule for r in d.reasons},
        "failing": set(d.failing_fingerprints),
        "controls": {
            (c.framework, c.control_id): (
                c.state,
                set(c.fingerprints),
                set(c.waived_fingerprints),
                set(c.failing_fingerprints),
            )
            for c in d.controls
        },
        "waivers": {(w.id, w.expired, frozenset(w.fingerprints)) for w in d.waivers},
        "new": None if d.new_fingerprints is None else set(d.new_fingerprints),
        "unmapped": set(d.unmapped_fingerprints),
        "honoured": set(d.honoured_suppressions),
        "inline": d.inline_suppressions,
        "tolerated": d.tolerated_errors,
        "frameworks": d.frameworks,
        "budgets": {(b.rule, b.max, frozenset(b.fingerprints)) for b in d.budgets},
    }


N_FINDINGS = sum(len(r.findings) for r in RUNS)


@settings(max_examples=20, deadline=None)
@given(
    keep=st.lists(st.integers(0, 3), min_size=N_FINDINGS, max_size=N_FINDINGS),
    parts=st.integers(1, 3),
    profile=st.sampled_from(["ci", "release", "audit", "precommit"]),
    baselined=st.lists(st.booleans(), min_size=N_FINDINGS, max_size=N_FINDINGS) | st.none(),
    suppressed=st.sets(st.integers(0, N_FINDINGS - 1), max_size=6),
    waived=st.booleans(),
)
def test_merging_the_decisions_of_shards_decides_what_the_whole_run_decides(
    tmp_path_factory: pytest.TempPathFactory,
    keep: list[int],
    parts: int,
    profile: str,
    baselined: list[bool] | None,
    suppressed: set[int],
    waived: bool,
) -> None:
    flat = [f for r in RUNS for f in r.findings]
    marked = {flat[i].fingerprint for i in suppressed}
    runs = tuple(
        replace(
            r,
            findings=tuple(
                replace(f, suppression=NOSEC) if f.fingerprint in marked else f for f in r.findings
            ),
        )
        for r in RUNS
    )
    shards = _split(runs, keep, parts)
    whole = _whole(shards)
    # A limit on how many findings may be open is a count over the whole run that no shard
    # sees: a budget about half the findings fill makes shards pass that together fail.
    p = POLICY.profiles[profile]
    budget = MaxFindings(max=N_FINDINGS // 3, min_severity=Severity.LOW)
    p = p.model_copy(update={"gate": p.gate.model_copy(update={"max_findings": (budget,)})})
    base = None
    if baselined is not None:
        base = Baseline.from_findings([f for f, b in zip(flat, baselined, strict=True) if b])
    waivers = load_waivers(_waivers_file(tmp_path_factory.mktemp("w"))) if waived else None

    def judged(result: ScanResult) -> SavedResults:
        return SavedResults(*evaluate(result, POLICY, p, waivers, baseline=base, now=NOW))

    expected = judged(whole).decision
    merged = merge([judged(s) for s in shards]).decision
    assert expected is not None and merged is not None
    assert _summary(merged) == _summary(expected)


def test_the_property_sees_failing_and_passing_shards() -> None:
    """A guard on the property's inputs: the example fails on its own, a clean shard passes."""
    ci = POLICY.profiles["ci"]
    _, d = evaluate(result_of(*RUNS), POLICY, ci, now=NOW)
    assert not d.passed
    _, d = evaluate(result_of(*(replace(r, findings=()) for r in RUNS)), POLICY, ci, now=NOW)
    assert d.passed, d.reasons


def test_a_budget_no_shard_exceeds_fails_the_merge_when_the_shards_together_do() -> None:
    release = POLICY.profiles["release"]
    limit = MaxFindings(max=3, min_severity=Severity.LOW)
    p = release.model_copy(
        update={"gate": release.gate.model_copy(update={"max_findings": (limit,)})}
    )
    flat = [f for r in RUNS for f in r.findings if f.severity >= Severity.LOW]
    assert len(flat) > 3
    halves = [
        result_of(*(replace(r, findings=tuple(f for f in r.findings if f in part)) for r in RUNS))
        for part in (flat[:3], flat[3:6])
    ]
    decided = [SavedResults(*evaluate(h, POLICY, p, now=NOW)) for h in halves]
    assert all(
        not any(r.rule == "max-findings:low" for r in d.decision.reasons)
        for d in decided
        if d.decision
    )
    merged = merge(decided).decision
    assert merged is not None and not merged.passed
    over = [r for r in merged.reasons if r.rule == "max-findings:low"]
    assert len(over) == 1 and over[0].message.startswith(
        f"{min(len(flat), 6)} finding(s) at or above low"
    )
    assert set(over[0].fingerprints) <= set(merged.failing_fingerprints)
