"""The gate: small rules that each look at one thing of a judged scan and fail closed.

`AllOf` composes them and refuses to be empty; `GATE` is the gate every profile runs, in
the order its reasons are reported. A rule reads the step outputs (`steps.py`) gathered in
a `Context` and returns a `Verdict`: the reasons it fails the gate and its warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from secscan.model.decision import (
    SCANNER_ERROR_RULE,
    WEAKENED_SETTINGS_RULE,
    Budget,
    ControlResult,
    ControlState,
    Reason,
)
from secscan.model.fates import gaps_by_type
from secscan.model.findings import (
    Finding,
    FindingKind,
    NotAnalyzed,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.policy.controls import ControlInfo
from secscan.policy.match import can_evidence, evidencing_run
from secscan.policy.models import Framework, MaxFindings, Policy, Profile, Threshold, qualify
from secscan.policy.risk import EPSS_RULE, KEV_RULE
from secscan.policy.steps import inline_counts
from secscan.policy.waivers import LoadedWaiver


@dataclass(frozen=True)
class Context:
    """Everything a gate rule may look at, computed once. Findings are referred to by their
    index in `findings` (fingerprints can repeat in merged results).
    """

    result: ScanResult
    policy: Policy
    profile: Profile
    frameworks: tuple[Framework, ...]
    findings: tuple[Finding, ...]
    waived: Mapping[int, LoadedWaiver]
    expired: tuple[tuple[LoadedWaiver, tuple[int, ...]], ...]
    active: tuple[tuple[LoadedWaiver, tuple[int, ...]], ...]
    #: Indexes that count for the gate: unwaived, and new when the profile says so.
    counted: frozenset[int]
    #: Indexes not in the baseline; None without a baseline.
    new: frozenset[int] | None
    #: Indexes an inline suppression hides from the gate (the profile honours them, no waiver).
    honoured: frozenset[int]
    thresholds: tuple[Threshold, ...]
    controls: tuple[ControlResult, ...]
    #: Per qualified control id, the rules that evidence it (`steps.control_index`).
    index: Mapping[str, ControlInfo]
    fail_on_override: Severity | None = None

    def fps(self, idxs: Sequence[int]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.findings[i].fingerprint for i in idxs))

    def fails(self, i: int) -> bool:
        t = self.thresholds[i]
        return t != "none" and self.findings[i].severity >= t


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[str, ...] = ()

    def __add__(self, other: Verdict) -> Verdict:
        return Verdict(self.reasons + other.reasons, self.warnings + other.warnings)


GateRule = Callable[[Context], Verdict]


@dataclass(frozen=True)
class AllOf:
    """Every rule must pass. An empty AllOf is a programming error, never a silent pass."""

    rules: tuple[GateRule, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("AllOf() with no rules would pass everything")

    def __call__(self, ctx: Context) -> Verdict:
        out = Verdict()
        for rule in self.rules:
            out = out + rule(ctx)
        return out


# --- gate rules ------------------------------------------------------------------------


def require_policy(ctx: Context) -> Verdict:
    reasons = []
    if not ctx.frameworks:
        reasons.append(Reason("empty-policy", "the policy judges no framework: nothing could pass"))
    if not ctx.policy.rules:
        reasons.append(
            Reason(
                "empty-policy", "the policy has no mapping rules: no finding maps to any control"
            )
        )
    return Verdict(tuple(reasons))


def require_controls(ctx: Context) -> Verdict:
    return Verdict(
        tuple(
            Reason("empty-framework", f"framework {f.id!r} has no controls: it cannot be assessed")
            for f in ctx.frameworks
            if not f.controls
        )
    )


def require_scans(ctx: Context) -> Verdict:
    """Nothing assessed fails, except where every scanner that was to assess something failed
    and the profile tolerates scanner errors (`precommit`): the failures are then warned
    about (scanner_errors), as the profile promises. Each pre-commit hook is its own secscan
    process, so the dependency hook offline has pip-audit alone; failing it here made the
    profile's tolerance unreachable for that hook. An empty tree, or one no scanner reads,
    still fails every profile."""
    runs = [r for r in ctx.result.runs if r.kind is not FindingKind.POLICY]
    if any(evidencing_run(r) for r in runs):
        return Verdict()
    if ctx.profile.gate.scanner_error == "warn" and any(r.status is RunStatus.ERROR for r in runs):
        return Verdict(
            warnings=(
                "no scanner assessed anything: every scanner that was to run failed, and "
                f"profile {ctx.profile.name!r} tolerates that; nothing was checked",
            )
        )
    return Verdict(
        (Reason("nothing-scanned", "no scanner assessed anything: nothing was checked"),)
    )


def tolerated_failures(result: ScanResult, profile: Profile) -> tuple[ScannerRun, ...]:
    """The failed runs the profile tolerates (`scanner_error: warn`): never a run whose
    executable did not match the tools lock in force, which fails every profile."""
    if profile.gate.scanner_error != "warn":
        return ()
    return tuple(r for r in result.failed_runs if not r.lock_mismatch)


def scanner_errors(ctx: Context) -> Verdict:
    failed = ctx.result.failed_runs
    if not failed:
        return Verdict()
    controls = _controls_of_runs(ctx, failed)
    tolerated = tolerated_failures(ctx.result, ctx.profile)
    names = {r.scanner for r in tolerated}
    return Verdict(
        tuple(
            Reason(
                SCANNER_ERROR_RULE,
                f"scanner {r.scanner} failed: {r.error or 'no detail'}",
                controls=controls.get(r.scanner, ()),
            )
            for r in failed
            if r.scanner not in names
        ),
        tuple(
            f"scanner {r.scanner} failed and profile {ctx.profile.name!r} tolerates it: "
            f"its {r.kind.value} findings are missing from this result "
            f"({r.error or 'no detail'})"
            for r in tolerated
        ),
    )


def severity_thresholds(ctx: Context) -> Verdict:
    """Counted findings at or above their kind's threshold; one reason per kind."""
    reasons = []
    sev = ctx.profile.gate.severity
    for kind in FindingKind:
        t = ctx.fail_on_override or sev.for_kind(kind)
        if t == "none":
            continue
        hits = [
            i
            for i in sorted(ctx.counted)
            if ctx.findings[i].kind is kind and ctx.findings[i].severity >= t
        ]
        if hits:
            which = "new " if ctx.new is not None and ctx.profile.gate.new_only else ""
            reasons.append(
                Reason(
                    f"severity:{kind.value}",
                    f"{len(hits)} {which}{kind.value} finding(s) at or above {t}",
                    fingerprints=ctx.fps(hits),
                    controls=_controls_of(ctx, hits),
                )
            )
    return Verdict(tuple(reasons))


def control_thresholds(ctx: Context) -> Verdict:
    """Counted findings that fail only because a control they map to is stricter."""
    if ctx.fail_on_override is not None:
        return Verdict()
    sev = ctx.profile.gate.severity
    reasons = []
    for qid, t in ctx.profile.gate.controls.items():
        if t == "none":
            continue
        hits = []
        for i in sorted(ctx.counted):
            f = ctx.findings[i]
            kind_t = sev.for_kind(f.kind)
            if qid in f.controls and f.severity >= t and (kind_t == "none" or f.severity < kind_t):
                hits.append(i)
        if hits:
            reasons.append(
                Reason(
                    f"control:{qid}",
                    f"{len(hits)} finding(s) mapped to {qid} at or above its threshold {t}",
                    fingerprints=ctx.fps(hits),
                    controls=(qid,),
                )
            )
    return Verdict(tuple(reasons))


def _budget_hits(ctx: Context, limit: MaxFindings) -> list[int]:
    return [
        i
        for i in sorted(ctx.counted)
        if ctx.findings[i].severity >= limit.min_severity
        and (limit.kind is None or ctx.findings[i].kind is limit.kind)
    ]


def _budget(ctx: Context, limit: MaxFindings, hits: Sequence[int]) -> Budget:
    kind = limit.kind.value if limit.kind else None
    return Budget(limit.max, limit.min_severity.value, kind, ctx.fps(hits))


def budgets(ctx: Context) -> tuple[Budget, ...]:
    """Every `max_findings` limit with the counted findings it covers (merging counts them
    across parts)."""
    return tuple(_budget(ctx, m, _budget_hits(ctx, m)) for m in ctx.profile.gate.max_findings)


def max_findings(ctx: Context) -> Verdict:
    reasons = []
    for limit in ctx.profile.gate.max_findings:
        hits = _budget_hits(ctx, limit)
        reason = _budget(ctx, limit, hits).reason(_controls_of(ctx, hits))
        if reason is not None:
            reasons.append(reason)
    return Verdict(tuple(reasons))


def not_assessed(ctx: Context) -> Verdict:
    missing = [c for c in ctx.controls if c.state is ControlState.NOT_ASSESSED]
    action = ctx.profile.gate.not_assessed
    if not missing or action == "ignore":
        return Verdict()
    ids = tuple(qualify(c.framework, c.control_id) for c in missing)
    text = (
        f"{len(missing)} control(s) not assessed (no scanner that can evidence them ran, one "
        "failed, or no target of the kinds that evidence them was in scope): " + ", ".join(ids)
    )
    if action == "fail":
        return Verdict((Reason("not-assessed", text, controls=ids),))
    return Verdict(warnings=(text,))


def not_analyzed(ctx: Context) -> Verdict:
    """Files a selected scanner could not analyze: their flaws are unknown. A scanner that
    merely has no rule for a file's type is coverage (`coverage_gaps`), not this."""
    result = ctx.result
    skipped = [
        n
        for n in (*result.not_analyzed, *(n for r in result.runs for n in r.not_analyzed))
        if not n.uncovered
    ]
    if not skipped:
        return Verdict()
    gate = ctx.profile.gate
    changed = set(result.changed or ())
    mine = [n for n in skipped if n.path in changed]
    verdict = Verdict()
    if mine:
        verdict = _on(gate.changed_not_analyzed, "changed-not-analyzed", _changed_text(mine))
        if gate.changed_not_analyzed == "fail":
            # Those failed the gate as changed files: not counted again below.
            skipped = [n for n in skipped if n.path not in changed]
    if skipped:
        verdict += _on(gate.not_analyzed, "not-analyzed", _skipped_text(skipped))
    return verdict


def _on(action: str, rule: str, text: str) -> Verdict:
    """What a gate setting (`fail`, `warn` or `ignore`) makes of one problem."""
    if action == "ignore":
        return Verdict()
    if action == "fail":
        return Verdict((Reason(rule, text),))
    return Verdict(warnings=(text,))


def _changed_text(mine: Sequence[NotAnalyzed]) -> str:
    why: dict[str, list[str]] = {}
    for n in mine:
        why.setdefault(n.path, []).append(n.reason)
    shown = "; ".join(f"{p!r}: {', '.join(r)}" for p, r in sorted(why.items())[:5])
    more = f" and {len(why) - 5} more" if len(why) > 5 else ""
    return (
        f"{len(why)} file(s) the change under review adds or changes could not be "
        f"analyzed: {shown}{more}"
    )


def _skipped_text(skipped: Sequence[NotAnalyzed]) -> str:
    paths = sorted({n.path for n in skipped})
    shown = ", ".join(repr(p) for p in paths[:5]) + (" and more" if len(paths) > 5 else "")
    return f"{len(paths)} file(s) in scope were not analyzed by every tool: {shown}"


def coverage_gaps(ctx: Context) -> Verdict:
    """Files no selected scanner has a rule for, by type: a failure for the types the
    profile lists, a warning for the rest."""
    if not ctx.result.fates:
        return Verdict()
    by_type = gaps_by_type(ctx.result.fates)
    if not by_type:
        return Verdict()
    listed = set(ctx.profile.gate.uncovered_types)

    def text(types: Sequence[str]) -> str:
        return ", ".join(
            f"{t} {len(by_type[t])} ({', '.join(repr(p) for p in by_type[t][:3])}"
            + (" ..." if len(by_type[t]) > 3 else "")
            + ")"
            for t in types
        )

    failing = [t for t in by_type if t in listed]
    rest = [t for t in by_type if t not in listed]
    reasons = (
        (
            Reason(
                "outside-coverage",
                f"{sum(len(by_type[t]) for t in failing)} file(s) of types the profile "
                f"{ctx.profile.name!r} requires covered are outside coverage (no selected "
                f"scanner has a rule for them): {text(failing)}",
            ),
        )
        if failing
        else ()
    )
    warnings = (
        (
            f"{sum(len(by_type[t]) for t in rest)} file(s) outside coverage (no selected "
            f"scanner has a rule for their type): {text(rest)}",
        )
        if rest
        else ()
    )
    return Verdict(reasons, warnings)


def waiver_hygiene(ctx: Context) -> Verdict:
    """An expired waiver no longer applies and is itself reported; a waiver that matches
    nothing is reported too (the finding it was for is gone, or it was mistyped).
    """
    reasons: list[Reason] = []
    warnings: list[str] = []
    for w, idxs in ctx.expired:
        text = (
            f"waiver {w.id} ({w.origin}) expired on {w.waiver.expires.isoformat()} and no longer "
            f"applies" + (f": {len(idxs)} finding(s) count again" if idxs else "")
        )
        if ctx.profile.gate.expired_waiver == "fail":
            reasons.append(
                Reason(
                    "expired-waiver",
                    text,
                    fingerprints=ctx.fps(idxs),
                    controls=_controls_of(ctx, idxs),
                )
            )
        else:
            warnings.append(text)
    warnings.extend(
        f"waiver {w.id} ({w.origin}) matches no finding" for w, idxs in ctx.active if not idxs
    )
    return Verdict(tuple(reasons), tuple(warnings))


def weakened_settings(ctx: Context) -> Verdict:
    """A gate setting the change under review weakened. Waivers and baselines never cover
    it (they are settings too), and no threshold or fail-on override applies to it.
    """
    hits = [i for i, f in enumerate(ctx.findings) if f.kind is FindingKind.POLICY]
    if not hits:
        return Verdict()
    texts = [f"{ctx.findings[i].location.path}: {ctx.findings[i].message}" for i in hits]
    if ctx.profile.gate.weakened_settings == "warn":
        return Verdict(
            warnings=tuple(
                f"the change under review weakens a gate setting (profile "
                f"{ctx.profile.name!r} only warns): {t}"
                for t in texts
            )
        )
    return Verdict(
        (
            Reason(
                WEAKENED_SETTINGS_RULE,
                f"{len(hits)} gate setting(s) weakened by the change under review: "
                + "; ".join(texts),
                fingerprints=ctx.fps(hits),
            ),
        )
    )


def coverage_notes(ctx: Context) -> Verdict:
    notes = []
    unmapped = [i for i, f in enumerate(ctx.findings) if not f.controls]
    if unmapped:
        notes.append(f"{len(unmapped)} finding(s) map to no control (see unmapped_fingerprints)")
    # Suppressions a tool applied itself (results from before secscan kept them as data):
    # the findings are gone, only their count is known.
    hidden = inline_counts(ctx.result.runs, hidden_only=True)
    if hidden:
        total = sum(n for _, n in hidden)
        each = ", ".join(f"{s} {n}" for s, n in hidden)
        notes.append(
            f"{total} finding(s) suppressed inline by the tools themselves ({each}): these are "
            "not waivers and carry no reason, owner or expiry"
        )
    return Verdict(warnings=tuple(notes))


#: How many inline suppressions a warning lists one by one.
MAX_LISTED = 20


def inline_suppressions(ctx: Context) -> Verdict:
    """Every inline suppression is named; the profile says whether it hid its finding.

    A profile that honours them lists each one it honoured; one that does not says how many
    findings a comment asked to hide and counted anyway (a waiver is the way to accept them).
    """
    marked = [i for i, f in enumerate(ctx.findings) if f.suppression is not None]
    if not marked:
        return Verdict()
    notes: list[str] = []
    honoured = sorted(ctx.honoured)
    if honoured:
        notes.append(
            f"{len(honoured)} finding(s) hidden from the gate by an inline suppression in the "
            f"scanned tree (profile {ctx.profile.name!r} honours them): "
            + _listing([ctx.findings[i] for i in honoured])
        )
    counted = [i for i in marked if i not in ctx.waived and i not in ctx.honoured]
    if counted and ctx.profile.gate.inline_suppressions == "honour":
        # Honoured elsewhere, but these arrived with their finding in the change under review.
        notes.append(
            f"{len(counted)} new finding(s) arrive with an inline suppression added by the "
            "change under review: not honoured, they count (a waiver can accept them): "
            + _listing([ctx.findings[i] for i in counted])
        )
    elif counted:
        notes.append(
            f"{len(counted)} finding(s) carry an inline suppression that profile "
            f"{ctx.profile.name!r} does not honour: they count like any finding unless a "
            "waiver covers them: " + _listing([ctx.findings[i] for i in counted])
        )
    return Verdict(warnings=tuple(notes))


def _listing(findings: Sequence[Finding]) -> str:
    shown = "; ".join(_suppression_text(f) for f in findings[:MAX_LISTED])
    more = f" and {len(findings) - MAX_LISTED} more" if len(findings) > MAX_LISTED else ""
    return shown + more


def _suppression_text(f: Finding) -> str:
    s = f.suppression
    line = f":{f.location.start_line}" if f.location.start_line else ""
    return f"{f.location.path}{line} {f.rule_id} ({s.directive if s else '?'})"


# --- exploit gate keys (docs/risk.md) ---


def exploited(ctx: Context) -> Verdict:
    """`gate.kev` and `gate.epss_at_least`: a counted finding whose vulnerability is exploited
    (KEV) or likely to be (EPSS at or above the key) fails whatever its severity."""
    return _kev(ctx, Verdict) + _epss(ctx, Verdict)


def _kev(ctx: Context, verdict: type[Verdict]) -> Verdict:
    action = ctx.profile.gate.kev
    hits = [i for i in sorted(ctx.counted) if ctx.findings[i].kev is not None]
    if not hits or action == "ignore":
        return verdict()
    cves = sorted({k.cve for i in hits if (k := ctx.findings[i].kev) is not None})
    text = (
        f"{len(hits)} finding(s) whose vulnerability CISA's Known Exploited Vulnerabilities "
        f"catalog lists as exploited in the wild ({', '.join(cves[:10])}"
        f"{' ...' if len(cves) > 10 else ''}), whatever their severity: an actively "
        "exploited vulnerability in a product on the EU market is reportable under the "
        "Cyber Resilience Act, Art. 14"
    )
    if action == "warn":
        return verdict(warnings=(text,))
    return verdict(
        (Reason(KEV_RULE, text, fingerprints=ctx.fps(hits), controls=_controls(ctx, hits)),)
    )


def _epss(ctx: Context, verdict: type[Verdict]) -> Verdict:
    limit = ctx.profile.gate.epss_at_least
    if limit is None:
        return verdict()
    hits = [
        i
        for i in sorted(ctx.counted)
        if (e := ctx.findings[i].epss) is not None and e.score >= limit
    ]
    if not hits:
        return verdict()
    dates = sorted({e.date for i in hits if (e := ctx.findings[i].epss) is not None})
    text = (
        f"{len(hits)} finding(s) with an EPSS score at or above {limit} (FIRST's probability "
        f"of exploitation activity within 30 days, scored {', '.join(dates)}), whatever "
        "their severity"
    )
    return verdict(
        (Reason(EPSS_RULE, text, fingerprints=ctx.fps(hits), controls=_controls(ctx, hits)),)
    )


def _controls(ctx: Context, idxs: list[int]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(q for i in idxs for q in ctx.findings[i].controls))


#: The gate, in the order its reasons are reported. The structural rules come first and
#: cannot be switched off by a profile.
GATE = AllOf(
    (
        require_policy,
        require_controls,
        require_scans,
        scanner_errors,
        severity_thresholds,
        control_thresholds,
        exploited,
        max_findings,
        not_assessed,
        not_analyzed,
        coverage_gaps,
        waiver_hygiene,
        weakened_settings,
        coverage_notes,
        inline_suppressions,
    )
)


def _controls_of(ctx: Context, idxs: Sequence[int]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(q for i in idxs for q in ctx.findings[i].controls))


def _controls_of_runs(ctx: Context, runs: Sequence[ScannerRun]) -> dict[str, tuple[str, ...]]:
    """Controls a failed scanner could have evidenced: what its failure leaves unknown."""
    return {
        r.scanner: tuple(
            qid
            for qid, info in ctx.index.items()
            if any(can_evidence(rule.match, r.scanner, r.kind) for rule in info.rules)
        )
        for r in runs
    }
