"""A Decision as what each policy step contributed, in fingerprints, so it can be merged.

`decide(judgement)` is the one place a `Decision` is derived: `engine.evaluate` builds the
judgement from its step outputs, and merging sharded or multi-part runs recovers each part's
judgement from its saved Decision (`judgement_of`), combines them step by step (`combine`)
and derives again. Each record's `combine` says how that step's output merges; none of them
reads a file, the clock or the policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from secscan.model.decision import (
    Budget,
    ControlResult,
    ControlState,
    Decision,
    FrameworkRecord,
    Outcome,
    Reason,
    RuleRecord,
    WaiverRecord,
)
from secscan.model.findings import Severity

T = TypeVar("T")

#: Across shards of one tree, any shard's evidence assesses a control.
SHARD_ORDER = (
    ControlState.FAIL,
    ControlState.WAIVED,
    ControlState.BELOW_THRESHOLD,
    ControlState.PASS,
    ControlState.NOT_ASSESSED,
)
#: Across different trees, a part that was not assessed keeps the whole from passing.
PARTS_ORDER = (
    ControlState.FAIL,
    ControlState.NOT_ASSESSED,
    ControlState.WAIVED,
    ControlState.BELOW_THRESHOLD,
    ControlState.PASS,
)


def _distinct(values: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(values))


def _same(values: Iterable[str | None]) -> str | None:
    found = _distinct(values)
    return found[0] if len(found) == 1 else None


def _first_by_id(groups: Sequence[Sequence[T]], key: str) -> tuple[T, ...]:
    """One record per id, the first part's; ordered as the last part lists them first."""
    return tuple({getattr(r, key): r for g in reversed(groups) for r in g}.values())


@dataclass(frozen=True, slots=True)
class Setting:
    """What the scan was judged with: the profile, the clock, the policy and its frameworks."""

    profile: str
    evaluated_at: datetime
    report_threshold: str = "info"
    frameworks: tuple[str, ...] = ()
    framework_records: tuple[FrameworkRecord, ...] = ()
    policy_sources: tuple[str, ...] = ()
    policy_dir: str | None = None
    fail_on_override: str | None = None

    @staticmethod
    def combine(parts: Sequence[Setting]) -> Setting:
        """The latest clock, the lowest report threshold, every framework and source; a
        value that differs between parts (policy_dir, fail_on) is unknown (None)."""
        return Setting(
            profile=" + ".join(_distinct(s.profile for s in parts)),
            evaluated_at=max(s.evaluated_at for s in parts),
            report_threshold=min(
                (_severity(s.report_threshold) for s in parts), key=lambda v: v.rank
            ).value,
            frameworks=_distinct(f for s in parts for f in s.frameworks),
            framework_records=_first_by_id([s.framework_records for s in parts], "id"),
            policy_sources=_distinct(p for s in parts for p in s.policy_sources),
            policy_dir=_same(s.policy_dir for s in parts),
            fail_on_override=_same(s.fail_on_override for s in parts),
        )


@dataclass(frozen=True, slots=True)
class MapRecord:
    """The map step: findings no mapping rule matched."""

    unmapped: tuple[str, ...] = ()

    @staticmethod
    def combine(parts: Sequence[MapRecord]) -> MapRecord:
        return MapRecord(_distinct(f for p in parts for f in p.unmapped))


@dataclass(frozen=True, slots=True)
class WaiveRecord:
    """The waive step: every waiver with the findings it matched (or, expired, would)."""

    waivers: tuple[WaiverRecord, ...] = ()
    file: str | None = None

    @staticmethod
    def combine(parts: Sequence[WaiveRecord]) -> WaiveRecord:
        """One record per waiver (id and origin); expired if it expired in any part."""
        groups: dict[tuple[str, str | None], list[WaiverRecord]] = {}
        for w in (w for p in parts for w in p.waivers):
            groups.setdefault((w.id, w.origin), []).append(w)
        return WaiveRecord(
            tuple(
                replace(
                    g[0],
                    fingerprints=_distinct(f for w in g for f in w.fingerprints),
                    expired=any(w.expired for w in g),
                )
                for g in groups.values()
            ),
            _same(p.file for p in parts),
        )


@dataclass(frozen=True, slots=True)
class BaselineRecord:
    """The baseline step: findings new against it; None when there was no baseline."""

    new: tuple[str, ...] | None = None
    source: str | None = None

    @staticmethod
    def combine(parts: Sequence[BaselineRecord], found: Sequence[Sequence[str]]) -> BaselineRecord:
        """`found`: per part, every finding's fingerprint. A part judged without a baseline
        counts all of them as new once another part has one."""
        source = " + ".join(b for b in _distinct(p.source for p in parts) if b) or None
        if all(p.new is None for p in parts):
            return BaselineRecord(None, source)
        # Judged without a baseline: everything in that part is new.
        each = (p.new if p.new is not None else fps for p, fps in zip(parts, found, strict=True))
        new = _distinct(f for fps in each for f in fps)
        return BaselineRecord(new, source)


@dataclass(frozen=True, slots=True)
class SuppressRecord:
    """The inline-suppression step: per scanner, how many there were; which were honoured."""

    inline: tuple[tuple[str, int], ...] = ()
    honoured: tuple[str, ...] = ()

    @staticmethod
    def combine(parts: Sequence[SuppressRecord]) -> SuppressRecord:
        totals: dict[str, int] = {}
        for scanner, n in (pair for p in parts for pair in p.inline):
            totals[scanner] = totals.get(scanner, 0) + n
        return SuppressRecord(
            tuple(sorted(totals.items())), _distinct(f for p in parts for f in p.honoured)
        )


@dataclass(frozen=True, slots=True)
class AssessRecord:
    """The assess step: every judged control's state and evidence, and the rules they cite."""

    controls: tuple[ControlResult, ...] = ()
    rules: tuple[RuleRecord, ...] = ()

    @staticmethod
    def combine(parts: Sequence[AssessRecord], *, same_root: bool) -> AssessRecord:
        order = SHARD_ORDER if same_root else PARTS_ORDER
        groups: dict[tuple[str, str], list[ControlResult]] = {}
        for c in (c for p in parts for c in p.controls):
            groups.setdefault((c.framework, c.control_id), []).append(c)
        return AssessRecord(
            tuple(_merge_control(g, order) for g in groups.values()),
            _first_by_id([p.rules for p in parts], "id"),
        )


def _merge_control(group: Sequence[ControlResult], order: Sequence[ControlState]) -> ControlResult:
    """The worst state in `order`, the union of the evidence, the notes of that state."""
    state = min((c.state for c in group), key=order.index)

    def union(field: str) -> tuple[str, ...]:
        return _distinct(v for c in group for v in getattr(c, field))

    return replace(
        group[0],
        state=state,
        fingerprints=union("fingerprints"),
        waived_fingerprints=union("waived_fingerprints"),
        failing_fingerprints=union("failing_fingerprints"),
        scanners=tuple(sorted(union("scanners"))),
        mapping_rules=union("mapping_rules"),
        evidenced_by=union("evidenced_by"),
        note="; ".join(_distinct(c.note for c in group if c.state is state and c.note)),
    )


@dataclass(frozen=True, slots=True)
class GateRecord:
    """The gate: why it fails (no reason: it passes), what it warns, which errors it let be."""

    reasons: tuple[Reason, ...] = ()
    warnings: tuple[str, ...] = ()
    tolerated: tuple[str, ...] = ()
    #: Failed without a reason: only a saved Decision edited by hand; it keeps failing.
    failed: bool = False
    #: The `max_findings` limits with the findings each covers.
    budgets: tuple[Budget, ...] = ()

    @staticmethod
    def combine(
        parts: Sequence[GateRecord], reasons: Sequence[Reason] = (), warnings: Sequence[str] = ()
    ) -> GateRecord:
        """Every part's reasons and warnings once, then those of the merge itself; a
        `max_findings` budget is counted again over every part's findings (parts that each
        stay within it can exceed it together)."""
        budgets = _combine_budgets([b for p in parts for b in p.budgets])
        counted = {b.rule for b in budgets}
        kept = _distinct(r for p in parts for r in p.reasons if r.rule not in counted)
        return GateRecord(
            kept + _over_budget(parts, budgets) + tuple(reasons),
            _distinct(w for p in parts for w in p.warnings) + tuple(warnings),
            _distinct(s for p in parts for s in p.tolerated),
            any(p.failed for p in parts),
            budgets,
        )


def _over_budget(parts: Sequence[GateRecord], budgets: Sequence[Budget]) -> tuple[Reason, ...]:
    """The combined budgets that are exceeded, each naming the controls its parts named."""
    over = []
    for b in budgets:
        of_parts = [r for p in parts for r in p.reasons if r.rule == b.rule]
        reason = b.reason(_distinct(c for r in of_parts for c in r.controls))
        if reason is not None:
            over.append(reason)
    return tuple(over)


def _combine_budgets(budgets: Sequence[Budget]) -> tuple[Budget, ...]:
    """One budget per limit (the lowest `max` of parts that set the same severity and kind),
    covering every part's findings."""
    groups: dict[tuple[str, str | None], list[Budget]] = {}
    for b in budgets:
        groups.setdefault((b.min_severity, b.kind), []).append(b)
    return tuple(
        replace(
            g[0],
            max=min(b.max for b in g),
            fingerprints=_distinct(f for b in g for f in b.fingerprints),
        )
        for g in groups.values()
    )


@dataclass(frozen=True, slots=True)
class Judgement:
    """The outputs of the policy steps for one scan (or a merge of several)."""

    setting: Setting
    mapped: MapRecord = MapRecord()
    waived: WaiveRecord = WaiveRecord()
    baselined: BaselineRecord = BaselineRecord()
    suppressed: SuppressRecord = SuppressRecord()
    assessed: AssessRecord = AssessRecord()
    gate: GateRecord = GateRecord()


def decide(j: Judgement) -> Decision:
    """The Decision: it fails exactly when the gate gave a reason, and names the findings
    those reasons name."""
    s = j.setting
    return Decision(
        outcome=Outcome.FAIL if j.gate.reasons or j.gate.failed else Outcome.PASS,
        profile=s.profile,
        evaluated_at=s.evaluated_at,
        reasons=j.gate.reasons,
        warnings=j.gate.warnings,
        controls=j.assessed.controls,
        waivers=j.waived.waivers,
        new_fingerprints=j.baselined.new,
        baseline=j.baselined.source,
        report_threshold=s.report_threshold,
        frameworks=s.frameworks,
        framework_records=s.framework_records,
        rules=j.assessed.rules,
        failing_fingerprints=_distinct(fp for r in j.gate.reasons for fp in r.fingerprints if fp),
        unmapped_fingerprints=j.mapped.unmapped,
        inline_suppressions=j.suppressed.inline,
        honoured_suppressions=j.suppressed.honoured,
        tolerated_errors=j.gate.tolerated,
        policy_sources=s.policy_sources,
        policy_dir=s.policy_dir,
        waivers_file=j.waived.file,
        fail_on_override=s.fail_on_override,
        budgets=j.gate.budgets,
    )


def judgement_of(d: Decision) -> Judgement:
    """The step outputs a saved Decision was derived from (`decide` inverts it)."""
    gate = GateRecord(
        d.reasons, d.warnings, d.tolerated_errors, not d.passed and not d.reasons, d.budgets
    )
    return Judgement(
        setting=Setting(
            profile=d.profile,
            evaluated_at=d.evaluated_at,
            report_threshold=d.report_threshold,
            frameworks=d.frameworks,
            framework_records=d.framework_records,
            policy_sources=d.policy_sources,
            policy_dir=d.policy_dir,
            fail_on_override=d.fail_on_override,
        ),
        mapped=MapRecord(d.unmapped_fingerprints),
        waived=WaiveRecord(d.waivers, d.waivers_file),
        baselined=BaselineRecord(d.new_fingerprints, d.baseline),
        suppressed=SuppressRecord(d.inline_suppressions, d.honoured_suppressions),
        assessed=AssessRecord(d.controls, d.rules),
        gate=gate,
    )


def combine(
    parts: Sequence[Judgement],
    found: Sequence[Sequence[str]],
    *,
    same_root: bool = True,
    unjudged: int = 0,
) -> Judgement:
    """Merge the judgements of parts of one scan, step by step, failing closed.

    `found`: per part, every finding's fingerprint (for the baseline step); `unjudged`:
    merged parts that carry no judgement at all, each of which fails the whole.
    """
    if not parts:
        raise ValueError("combine() with no parts would judge nothing")
    reasons = []
    if unjudged:
        reasons.append(
            Reason("merge-unjudged", f"{unjudged} merged part(s) carry no gate decision")
        )
    warnings = []
    profiles = _distinct(p.setting.profile for p in parts)
    if len(profiles) > 1:
        warnings.append(f"merged parts were judged with different profiles: {', '.join(profiles)}")
    if not same_root:
        warnings.append(
            "merged parts were scanned from different roots: a control counts as assessed only "
            "where every part assessed it"
        )
    return Judgement(
        setting=Setting.combine([p.setting for p in parts]),
        mapped=MapRecord.combine([p.mapped for p in parts]),
        waived=WaiveRecord.combine([p.waived for p in parts]),
        baselined=BaselineRecord.combine([p.baselined for p in parts], found),
        suppressed=SuppressRecord.combine([p.suppressed for p in parts]),
        assessed=AssessRecord.combine([p.assessed for p in parts], same_root=same_root),
        gate=GateRecord.combine([p.gate for p in parts], reasons, warnings),
    )


def _severity(word: str) -> Severity:
    w = word.strip().lower()
    return Severity(w) if w in Severity._value2member_map_ else Severity.INFO
