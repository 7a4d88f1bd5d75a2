"""The policy engine: a pure function from a scan, a policy, waivers and a baseline to a Decision.

It runs the steps of `steps.py` in order (map -> waive -> baseline -> suppress -> threshold
-> assess), hands their outputs to the gate (`gate.py`, rules composed with `AllOf`), and
derives the Decision from them with `judgement.decide`, the same function merging uses.
Nothing here reads files or the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from secscan.model.decision import Decision, FrameworkRecord, RuleRecord, WaiverRecord
from secscan.model.findings import ScanResult, Severity
from secscan.policy.baseline import Baseline
from secscan.policy.gate import (
    GATE,
    AllOf,
    Context,
    GateRule,
    Verdict,
    budgets,
    tolerated_failures,
)
from secscan.policy.judgement import (
    AssessRecord,
    BaselineRecord,
    GateRecord,
    Judgement,
    MapRecord,
    Setting,
    SuppressRecord,
    WaiveRecord,
    decide,
)
from secscan.policy.models import Framework, Policy, Profile
from secscan.policy.steps import (
    WaiverHits,
    apply_baseline,
    apply_thresholds,
    apply_waivers,
    assess_controls,
    honour_suppressions,
    inline_counts,
    map_findings,
)
from secscan.policy.waivers import LoadedWaiver, Waivers, today_utc

__all__ = ["GATE", "AllOf", "Context", "GateRule", "Verdict", "evaluate"]


def evaluate(
    result: ScanResult,
    policy: Policy,
    profile: Profile,
    waivers: Waivers | None = None,
    baseline: Baseline | None = None,
    now: datetime | None = None,
    *,
    fail_on: Severity | None = None,
    gate: GateRule = GATE,
) -> tuple[ScanResult, Decision]:
    """Map every finding to controls, apply waivers and the baseline, judge the profile.

    Returns the scan with `Finding.controls` filled in, and the Decision. `now` is required
    in spirit: it decides which waivers have expired; pass a pinned clock for reproducibility.
    """
    if now is None:
        raise ValueError("evaluate() needs `now`: waiver expiry depends on it")
    waivers = waivers or Waivers()
    mapped = map_findings(result, policy, profile)
    findings = mapped.findings
    waived = apply_waivers(findings, waivers, profile.gate.max_waiver_days, today_utc(now))
    baselined = apply_baseline(findings, baseline)
    honoured = honour_suppressions(
        findings, profile.gate.inline_suppressions, waived.waived, baselined.new
    )
    counted = apply_thresholds(
        findings, profile, honoured.union(waived.waived), baselined.new, fail_on
    )
    controls = assess_controls(mapped, waived, honoured, counted)
    ctx = Context(
        result=mapped.result,
        policy=policy,
        profile=profile,
        frameworks=mapped.frameworks,
        findings=findings,
        waived=waived.waived,
        expired=waived.expired,
        active=waived.active,
        counted=counted.counted,
        new=baselined.new,
        honoured=honoured,
        thresholds=counted.thresholds,
        controls=controls,
        index=mapped.index,
        fail_on_override=fail_on,
    )
    verdict = gate(ctx)
    used = {rid for c in controls for rid in c.mapping_rules}
    judgement = Judgement(
        setting=_setting(policy, profile, mapped.frameworks, now, fail_on),
        mapped=MapRecord(ctx.fps([i for i, f in enumerate(findings) if not f.controls])),
        waived=WaiveRecord(
            _waiver_records(ctx, waived.active, expired=False)
            + _waiver_records(ctx, waived.expired, expired=True),
            waived.source,
        ),
        baselined=BaselineRecord(
            None if baselined.new is None else ctx.fps(sorted(baselined.new)), baselined.source
        ),
        suppressed=SuppressRecord(inline_counts(mapped.result.runs), ctx.fps(sorted(honoured))),
        assessed=AssessRecord(
            controls,
            tuple(
                RuleRecord(r.id, r.rationale, r.controls, r.description)
                for r in policy.rules
                if r.id in used
            ),
        ),
        gate=GateRecord(
            verdict.reasons,
            verdict.warnings,
            tuple(r.scanner for r in tolerated_failures(mapped.result, profile)),
            budgets=budgets(ctx),
        ),
    )
    return mapped.result, decide(judgement)


def _setting(
    policy: Policy,
    profile: Profile,
    frameworks: Sequence[Framework],
    now: datetime,
    fail_on: Severity | None,
) -> Setting:
    return Setting(
        profile=profile.name,
        evaluated_at=now,
        report_threshold=profile.report.min_severity.value,
        frameworks=tuple(f.id for f in frameworks),
        framework_records=tuple(
            FrameworkRecord(
                f.id, f.info.title, f.info.source, f.info.version, f.info.url, f.info.excluded
            )
            for f in frameworks
        ),
        policy_sources=policy.sources,
        fail_on_override=fail_on.value if fail_on is not None else None,
    )


def _waiver_records(ctx: Context, hits: WaiverHits, *, expired: bool) -> tuple[WaiverRecord, ...]:
    return tuple(_waiver_record(lw, ctx.fps(idxs), expired=expired) for lw, idxs in hits)


def _waiver_record(lw: LoadedWaiver, fps: tuple[str, ...], *, expired: bool) -> WaiverRecord:
    w = lw.waiver
    return WaiverRecord(
        id=lw.id,
        reason=w.reason,
        owner=w.owner,
        expires=w.expires,
        expired=expired,
        rule=w.rule,
        path=w.path,
        fingerprint=w.fingerprint,
        fingerprints=fps,
        scanner=w.scanner,
        origin=lw.origin,
    )
