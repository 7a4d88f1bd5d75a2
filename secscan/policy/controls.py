"""Control states an auditor can defend: what evidenced each control, over which targets.

A control passes only when a scanner that can evidence it ran successfully over targets of
a kind that evidences it, no such scanner failed, and no finding is open. Open findings below
the fail threshold are a state of their own; a missing piece of evidence is `not_assessed`
with the reason. Pure: the engine hands in the mapped findings and their thresholds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from secscan.model.decision import ControlResult, ControlState, RuleEvidence
from secscan.model.findings import Finding, FindingKind, RunStatus, ScannerRun
from secscan.model.targets import OF_FINDING_KIND, TargetKind, describe
from secscan.policy.match import can_evidence, evidencing_run
from secscan.policy.models import Control, Framework, MappingRule, qualify

#: Shown in place of a version a run did not record.
UNKNOWN_VERSION = "unknown"


@dataclass(frozen=True)
class ControlInfo:
    framework: Framework
    qid: str
    rules: tuple[MappingRule, ...]


@dataclass(frozen=True, slots=True)
class _Pair:
    """One run that evaluated one rule, and the evidencing targets it analyzed."""

    rule: MappingRule
    run: int
    counts: tuple[tuple[str, int], ...]
    #: The run reported findings this rule matched (so it surely read such a target).
    found: bool


@dataclass(frozen=True, slots=True)
class _RuleEval:
    pairs: tuple[_Pair, ...]
    #: Per capable run that did not evaluate the rule, why not.
    gaps: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class _Judged:
    """What every control's state is computed from (indexes into `findings`)."""

    runs: Sequence[ScannerRun]
    findings: Sequence[Finding]
    #: Per mapping rule id, the findings it matched, in order.
    by_rule: Mapping[str, list[int]]
    waived: Mapping[int, object]
    honoured: frozenset[int]
    #: Findings at or above their fail threshold.
    failing: frozenset[int]

    def open(self, idxs: Sequence[int]) -> list[int]:
        return [i for i in idxs if i not in self.waived and i not in self.honoured]

    def of_rules(self, rule_ids: set[str]) -> tuple[list[int], list[int], list[int]]:
        """The open, the waived and the failing findings any of these rules matched."""
        mine = sorted({i for rid in rule_ids for i in self.by_rule.get(rid, ())})
        open_ = self.open(mine)
        return open_, [i for i in mine if i in self.waived], [i for i in open_ if i in self.failing]


def control_results(
    runs: Sequence[ScannerRun],
    findings: Sequence[Finding],
    matched_rules: Sequence[tuple[str, ...]],
    waived: Mapping[int, object],
    honoured: frozenset[int],
    failing: frozenset[int],
    index: Mapping[str, ControlInfo],
) -> tuple[ControlResult, ...]:
    """`honoured`: findings whose inline suppression the profile honours; they neither fail
    a control nor count as waived. `failing`: the findings at or above their fail threshold.
    """
    by_rule: dict[str, list[int]] = {}
    for i, rids in enumerate(matched_rules):
        for rid in rids:
            by_rule.setdefault(rid, []).append(i)
    judged = _Judged(runs, findings, by_rule, waived, honoured, failing)
    evals: dict[str, _RuleEval] = {}
    out = []
    for qid, info in index.items():
        for rule in info.rules:
            if rule.id not in evals:
                reporters = {findings[i].scanner for i in by_rule.get(rule.id, ())}
                evals[rule.id] = _evaluate_rule(rule, runs, reporters)
        out.append(_control_result(qid, info, judged, evals))
    return tuple(out)


def _control_result(
    qid: str, info: ControlInfo, j: _Judged, evals: Mapping[str, _RuleEval]
) -> ControlResult:
    runs, findings = j.runs, j.findings
    control = next(c for c in info.framework.controls if qualify(info.framework.id, c.id) == qid)
    rule_ids = {r.id for r in info.rules}
    open_, shut, failing = j.of_rules(rule_ids)
    pairs = _fitting(control, [p for r in info.rules for p in evals[r.id].pairs], runs)
    capable = _capable(control, info.rules, runs)
    failed = sorted({runs[n].scanner for n in capable if runs[n].status is RunStatus.ERROR})
    scanners = sorted({runs[p.run].scanner for p in pairs})
    analyzed = _analyzed(pairs)
    kinds = _evidence_kinds(control.evidence, info.rules)
    if failing:  # a failure is never hidden behind "not assessed"
        state = ControlState.FAIL
        note = f"{len(failing)} finding(s) at or above the fail threshold"
    elif not pairs:
        state = ControlState.NOT_ASSESSED
        note = _why_not(control, info.rules, capable, runs, evals, kinds)
    else:
        state, note = _assessed_state(
            j, failed, scanners, open_, any(i in j.failing for i in shut), analyzed
        )
    return ControlResult(
        framework=info.framework.id,
        control_id=control.id,
        title=control.title,
        state=state,
        theme=control.theme,
        statement=control.statement,
        fingerprints=_fps(findings, open_),
        waived_fingerprints=_fps(findings, shut),
        scanners=tuple(sorted({*scanners, *(findings[i].scanner for i in failing)})),
        mapping_rules=tuple(sorted(rule_ids)),
        failing_fingerprints=_fps(findings, failing),
        evidenced_by=kinds,
        note=note,
        targets=tuple(t.value for t in control.targets),
        analyzed=analyzed,
        rule_evidence=tuple(
            _rule_evidence(r, evals[r.id], j) for r in sorted(info.rules, key=lambda r: r.id)
        ),
        failed_scanners=tuple(failed),
        limits=control.limits,
    )


def _capable(
    control: Control, rules: Sequence[MappingRule], runs: Sequence[ScannerRun]
) -> list[int]:
    """The runs of a scanner that can evidence the control, of a kind it accepts."""
    return [
        n
        for n, run in enumerate(runs)
        if _counts_for(control, run)
        and any(can_evidence(r.match, run.scanner, run.kind) for r in rules)
    ]


def _assessed_state(
    j: _Judged,
    failed: Sequence[str],
    scanners: Sequence[str],
    open_: Sequence[int],
    waived_failing: bool,
    analyzed: tuple[tuple[str, int], ...],
) -> tuple[ControlState, str]:
    """The state of a control some scanner evaluated and no finding fails."""
    if failed:
        errors = "; ".join(
            f"{r.scanner}: {r.error or 'no detail'}"
            for r in j.runs
            if r.scanner in failed and r.status is RunStatus.ERROR
        )
        return ControlState.NOT_ASSESSED, (
            f"scanner {', '.join(failed)} failed, so part of its evidence is missing "
            f"({_one_line(errors)}); {', '.join(scanners)} ran"
        )
    if waived_failing:
        note = "every finding that would fail it is waived"
        if open_:
            note += f"; {len(open_)} other finding(s) below the fail threshold are open"
        return ControlState.WAIVED, note
    if open_:
        return ControlState.BELOW_THRESHOLD, (
            f"{len(_fps(j.findings, open_))} open finding(s), all below the fail threshold; "
            f"assessed by {', '.join(scanners)}"
        )
    return (
        ControlState.PASS,
        f"assessed by {', '.join(scanners)} over {_counted(analyzed)}; no findings",
    )


def _evaluate_rule(
    rule: MappingRule, runs: Sequence[ScannerRun], finding_scanners: set[str]
) -> _RuleEval:
    pairs: list[_Pair] = []
    gaps: list[tuple[int, str]] = []
    for n, run in enumerate(runs):
        if not can_evidence(rule.match, run.scanner, run.kind):
            continue
        found = run.scanner in finding_scanners
        counts, why = _run_counts(rule, run, found)
        if why is None:
            pairs.append(_Pair(rule, n, counts, found))
        else:
            gaps.append((n, why))
    return _RuleEval(tuple(pairs), tuple(gaps))


def _run_counts(
    rule: MappingRule, run: ScannerRun, found: bool
) -> tuple[tuple[tuple[str, int], ...], str | None]:
    """The evidencing targets a run analyzed for a rule, or why it evaluated nothing."""
    if run.status is RunStatus.ERROR:
        return (), f"{run.scanner} failed"
    if run.status is RunStatus.SKIPPED:
        return (), f"{run.scanner} had nothing to scan"
    if not evidencing_run(run):
        return (), f"{run.scanner} analyzed no file"
    needed = rule.evidence_targets(run.kind)
    if needed is None:
        return _readable_counts(run), None
    recorded = run.target_kinds
    if recorded is None:
        if found:
            return (), None
        return (), f"{run.scanner} did not record which kinds of file it analyzed"
    wanted = {t.value for t in needed}
    counts = tuple((k, c) for k, c in recorded if k in wanted)
    if counts or found:
        return counts, None
    read = _counted(tuple((k, c) for k, c in recorded if c)) or "nothing"
    return (), f"{run.scanner} analyzed no {describe(needed)} files (it read {read})"


def _readable_counts(run: ScannerRun) -> tuple[tuple[str, int], ...]:
    """A run of a rule that accepts any target: what it read of the kinds its scanner reads
    (all of its targets under the first kind, when it did not record kinds)."""
    if run.target_kinds is None:
        return ((OF_FINDING_KIND[run.kind][0].value, run.targets),)
    readable = {t.value for t in OF_FINDING_KIND[run.kind]}
    return tuple((k, c) for k, c in run.target_kinds if k in readable)


def _counts_for(control: Control, run: ScannerRun) -> bool:
    """Whether a run's kind is one the control accepts as evidence."""
    return not control.evidence or run.kind in control.evidence


def _fitting(control: Control, pairs: Sequence[_Pair], runs: Sequence[ScannerRun]) -> list[_Pair]:
    """The evaluations that count for this control: of a finding kind it accepts, over a
    target kind it accepts.
    """
    out = [p for p in pairs if _counts_for(control, runs[p.run])]
    if control.targets:
        wanted = {t.value for t in control.targets}
        out = [p for p in out if p.found or any(k in wanted and c for k, c in p.counts)]
        out = [
            _Pair(p.rule, p.run, tuple((k, c) for k, c in p.counts if k in wanted), p.found)
            for p in out
        ]
    return out


def _why_not(
    control: Control,
    rules: Sequence[MappingRule],
    capable: Sequence[int],
    runs: Sequence[ScannerRun],
    evals: Mapping[str, _RuleEval],
    kinds: Sequence[str],
) -> str:
    if not rules:
        return "no mapping rule evidences this control"
    if not capable:
        return "no scanner that can evidence this control ran" + (
            f" (needs a {' or '.join(kinds)} scanner)" if kinds else ""
        )
    whys = list(dict.fromkeys(why for r in rules for n, why in evals[r.id].gaps if n in capable))
    if control.targets:
        head = f"no {describe(control.targets)} files in scope"
        whys = whys or _what_was_read(capable, runs)
        return head + (f": {'; '.join(whys)}" if whys else "")
    return "; ".join(whys) or "no scanner evaluated its mapping rules"


def _what_was_read(capable: Sequence[int], runs: Sequence[ScannerRun]) -> list[str]:
    """For a control whose target kinds were not in scope: what its scanners read instead."""
    ran = [n for n in capable if runs[n].status is RunStatus.OK and evidencing_run(runs[n])]
    if not ran:
        return []
    return [
        ", ".join(f"{runs[n].scanner} read {_counted(runs[n].target_kinds or ())}" for n in ran)
    ]


def _rule_evidence(rule: MappingRule, ev: _RuleEval, j: _Judged) -> RuleEvidence:
    idxs = j.by_rule.get(rule.id, [])
    open_ = j.open(idxs)
    return RuleEvidence(
        rule=rule.id,
        evaluated=bool(ev.pairs),
        scanners=tuple(
            dict.fromkeys(
                (j.runs[p.run].scanner, j.runs[p.run].tool_version or UNKNOWN_VERSION)
                for p in ev.pairs
            )
        ),
        targets=_analyzed(ev.pairs),
        open=len(_fps(j.findings, open_)),
        waived=len(_fps(j.findings, [i for i in idxs if i in j.waived])),
        failing=len(_fps(j.findings, [i for i in open_ if i in j.failing])),
        note="; ".join(dict.fromkeys(why for _, why in ev.gaps)),
    )


def _analyzed(pairs: Sequence[_Pair]) -> tuple[tuple[str, int], ...]:
    """Per target kind, the targets the pairs' runs analyzed (a run counted once)."""
    per_run: dict[tuple[int, str], int] = {}
    for p in pairs:
        for k, c in p.counts:
            per_run[(p.run, k)] = max(per_run.get((p.run, k), 0), c)
    total: Counter[str] = Counter()
    for (_, k), c in per_run.items():
        total[k] += c
    return tuple(sorted(total.items()))


def _counted(counts: Sequence[tuple[str, int]]) -> str:
    """`3 Terraform, 1 Kubernetes files`."""
    parts = [
        f"{c} {TargetKind(k).label if k in TargetKind._value2member_map_ else k}"
        for k, c in counts
        if c
    ]
    return ", ".join(parts) + " target(s)" if parts else "no recorded targets"


def _evidence_kinds(
    declared: Sequence[FindingKind], rules: Sequence[MappingRule]
) -> tuple[str, ...]:
    if declared:
        return tuple(k.value for k in declared)
    return tuple(dict.fromkeys(k.value for rule in rules for k in rule.match.kinds))


def _fps(findings: Sequence[Finding], idxs: Sequence[int]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(findings[i].fingerprint for i in idxs))


def _one_line(text: str, limit: int = 240) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
