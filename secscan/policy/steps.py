"""The steps of judging one scan: map -> waive -> baseline -> suppress -> threshold -> assess.

Each step is a pure function from frozen values to a frozen value; `engine.evaluate` runs
them in order, the gate rules read their outputs, and `judgement.decide` derives the
Decision. Findings are referred to by their index in `Mapped.findings` (fingerprints can
repeat in merged results).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType

from secscan.model.decision import ControlResult
from secscan.model.findings import Finding, FindingKind, RunStatus, ScannerRun, ScanResult, Severity
from secscan.policy.baseline import Baseline
from secscan.policy.controls import ControlInfo, control_results
from secscan.policy.match import matches
from secscan.policy.models import (
    Framework,
    InlineAction,
    MappingRule,
    Policy,
    Profile,
    Threshold,
    qualify,
)
from secscan.policy.waivers import LoadedWaiver, Waivers

#: A waiver and the indexes of the findings it matched.
WaiverHits = tuple[tuple[LoadedWaiver, tuple[int, ...]], ...]


# --- map -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapped:
    """The scan with `Finding.controls` filled in, and what the mapping was built from."""

    result: ScanResult
    frameworks: tuple[Framework, ...]
    #: Per qualified control id (in framework order), the rules that evidence it.
    index: Mapping[str, ControlInfo]
    findings: tuple[Finding, ...]
    #: Per finding, the ids of the mapping rules it matched.
    matched: tuple[tuple[str, ...], ...]


def map_findings(result: ScanResult, policy: Policy, profile: Profile) -> Mapped:
    """Put every finding on the controls of the judged frameworks its rules evidence."""
    frameworks = judged_frameworks(policy, profile)
    index = control_index(frameworks, policy.rules)
    order = {qid: n for n, qid in enumerate(index)}
    rule_controls: dict[str, list[str]] = {}
    for qid, info in index.items():
        for r in info.rules:
            rule_controls.setdefault(r.id, []).append(qid)
    # Matching reads only these fields; a scan repeats them a lot (one rule, many places).
    memo: dict[tuple[object, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def rules_and_controls(f: Finding) -> tuple[tuple[str, ...], tuple[str, ...]]:
        key = (f.kind, f.scanner, f.rule_id, f.aliases, f.cwe, f.tags, f.severity)
        hit = memo.get(key)
        if hit is None:
            rids = tuple(r.id for r in policy.rules if matches(r.match, f))
            qids = {q for rid in rids for q in rule_controls.get(rid, ())}
            hit = memo[key] = (rids, tuple(sorted(qids, key=order.__getitem__)))
        return hit

    runs = []
    matched: dict[int, tuple[str, ...]] = {}  # by identity of the mapped finding
    for run in result.runs:
        mapped = []
        for f in run.findings:
            rids, qids = rules_and_controls(f)
            out = replace(f, controls=qids)
            matched[id(out)] = rids
            mapped.append(out)
        runs.append(replace(run, findings=tuple(mapped)))
    scan = replace(result, runs=tuple(runs))
    findings = scan.findings  # sorted: the order every report and index uses
    return Mapped(
        scan,
        frameworks,
        MappingProxyType(index),
        findings,
        tuple(matched[id(f)] for f in findings),
    )


def judged_frameworks(policy: Policy, profile: Profile) -> tuple[Framework, ...]:
    """The frameworks the profile judges (all of them when it names none)."""
    if not profile.frameworks:
        return policy.frameworks
    return tuple(f for f in policy.frameworks if f.id in profile.frameworks)


def control_index(
    frameworks: Sequence[Framework], rules: Sequence[MappingRule]
) -> dict[str, ControlInfo]:
    """Per qualified control id, the rules that evidence it: those naming it, and those its
    framework crosswalks to by rule id.
    """
    by_id = {r.id: r for r in rules}
    out: dict[str, ControlInfo] = {}
    for fw in frameworks:
        for c in fw.controls:
            qid = qualify(fw.id, c.id)
            naming = [r for r in rules if qid in r.controls]
            walked = [by_id[rid] for rid in c.rules if rid in by_id]
            out[qid] = ControlInfo(fw, qid, tuple({r.id: r for r in [*naming, *walked]}.values()))
    return out


# --- waive ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waived:
    """Which waiver accepted which finding. The first active waiver in file order wins; a
    weakened gate setting is never waivable.
    """

    #: Finding index -> the waiver that accepted it.
    waived: Mapping[int, LoadedWaiver]
    #: Active waivers in file order, with every finding each matched.
    active: WaiverHits
    #: Expired waivers, with the findings they would cover and no other waiver does.
    expired: WaiverHits
    source: str | None = None


def apply_waivers(
    findings: Sequence[Finding], waivers: Waivers, max_days: int, today: date
) -> Waived:
    """Fails (PolicyError) on a waiver longer than the profile allows, like loading does."""
    waivers.check(max_days, today)
    waivable = [i for i, f in enumerate(findings) if f.kind is not FindingKind.POLICY]
    hits = {lw.id: tuple(i for i in waivable if lw.matches(findings[i])) for lw in waivers.waivers}
    live = [lw for lw in waivers.waivers if lw.active(today)]
    waived: dict[int, LoadedWaiver] = {}
    for lw in live:
        for i in hits[lw.id]:
            waived.setdefault(i, lw)
    return Waived(
        waived=MappingProxyType(waived),
        active=tuple((lw, hits[lw.id]) for lw in live),
        expired=tuple(
            (lw, tuple(i for i in hits[lw.id] if i not in waived))
            for lw in waivers.waivers
            if not lw.active(today)
        ),
        source=waivers.source,
    )


# --- baseline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baselined:
    #: Indexes not in the baseline; None without a baseline.
    new: frozenset[int] | None = None
    source: str | None = None


def apply_baseline(findings: Sequence[Finding], baseline: Baseline | None) -> Baselined:
    if baseline is None:
        return Baselined()
    new_ids = {id(f) for f in baseline.split(findings).new}
    return Baselined(
        frozenset(i for i, f in enumerate(findings) if id(f) in new_ids), baseline.source
    )


# --- inline suppressions -------------------------------------------------------------------


def honour_suppressions(
    findings: Sequence[Finding],
    mode: InlineAction,
    waived: Mapping[int, object],
    new: frozenset[int] | None,
) -> frozenset[int]:
    """The findings an inline suppression hides from the gate.

    The tree under review wrote its inline suppressions: only a profile that says so lets
    them hide a finding, and never one that arrives together with its finding in the change
    under review (new against the baseline); a waiver (reviewed, dated) always can.
    """
    if mode != "honour":
        return frozenset()
    return frozenset(
        i
        for i, f in enumerate(findings)
        if f.suppression is not None and i not in waived and (new is None or i not in new)
    )


def inline_counts(
    runs: Sequence[ScannerRun], *, hidden_only: bool = False
) -> tuple[tuple[str, int], ...]:
    """Per scanner, inline suppressions: all of them, or only those the tool applied itself
    (counted, but the finding is not in the results)."""
    # A flaw several tools reported sits in one run; it is suppressed only when each of its
    # sources is (secscan.scan.flaws never merges a suppressed report with one that is not), so
    # every source of a suppressed flaw is a suppressed report still in the results.
    present: dict[str, int] = {}
    if hidden_only:
        for r in runs:
            for f in r.findings:
                if f.suppression is not None:
                    for name in (f.scanner, *(s.scanner for s in f.also_reported_by)):
                        present[name] = present.get(name, 0) + 1
    counts: dict[str, int] = {}
    for r in runs:
        n = r.inline_suppressions - present.pop(r.scanner, 0)
        if r.status is RunStatus.OK and n > 0:
            counts[r.scanner] = counts.get(r.scanner, 0) + n
    return tuple(sorted(counts.items()))


# --- threshold -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    #: Indexes that count for the gate: not a setting, unwaived, not honoured, new when the
    #: profile counts only new ones, and at or above their scope's threshold.
    counted: frozenset[int]
    #: Per finding, the lowest severity that fails it (`none`: never).
    thresholds: tuple[Threshold, ...]
    #: Findings at or above their threshold (waived and honoured ones included).
    failing: frozenset[int]


def apply_thresholds(
    findings: Sequence[Finding],
    profile: Profile,
    excluded: frozenset[int],
    new: frozenset[int] | None,
    fail_on: Severity | None = None,
) -> Counted:
    """`excluded`: the waived and the honoured findings.

    Weakened settings are judged by their own gate rule, never by a threshold. A finding
    below its scope's threshold (test code, examples, docs by default) is reported, never
    counted; secrets count in every scope.
    """
    only = new if new is not None and profile.gate.new_only else None

    def counts(i: int, f: Finding) -> bool:
        if f.kind is FindingKind.POLICY or i in excluded or (only is not None and i not in only):
            return False
        st = profile.scope_threshold(f.kind, f.scope)
        return st is None or (st != "none" and f.severity >= st)

    thresholds = tuple(
        fail_on if fail_on is not None else profile.threshold(f.kind, f.controls, f.scope)
        for f in findings
    )
    return Counted(
        frozenset(i for i, f in enumerate(findings) if counts(i, f)),
        thresholds,
        frozenset(
            i for i, (f, t) in enumerate(zip(findings, thresholds, strict=True)) if fails(f, t)
        ),
    )


def fails(f: Finding, threshold: Threshold) -> bool:
    """Whether a finding is at or above its fail threshold."""
    return threshold != "none" and f.severity >= threshold


# --- assess --------------------------------------------------------------------------------


def assess_controls(
    mapped: Mapped, waived: Waived, honoured: frozenset[int], counted: Counted
) -> tuple[ControlResult, ...]:
    """Every judged control's state and its evidence (`controls.control_results`)."""
    return control_results(
        mapped.result.runs,
        mapped.findings,
        mapped.matched,
        waived.waived,
        honoured,
        counted.failing,
        mapped.index,
    )
