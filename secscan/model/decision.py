"""What the policy engine decides about a scan: the contract between judging and reporting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"


class ControlState(StrEnum):
    FAIL = "fail"
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WAIVED = "waived"
    #: Assessed, with open findings that are all below the gate's fail threshold: the gate
    #: lets them through, but the control is not clean, so it is never shown as a pass.
    BELOW_THRESHOLD = "below_threshold"
    #: The evidence is missing: no scanner that could evidence the control ran, one failed,
    #: or it analyzed no target of the kinds that evidence it. Never to be shown as a pass;
    #: the control's `note` says which.
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing that made (or, for warnings, could have made) the gate fail."""

    rule: str
    message: str
    fingerprints: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleEvidence:
    """One mapping rule's evaluation for one control: who evaluated it over what, and what
    it found. A rule is evaluated when a scanner that can produce its findings ran OK over
    at least one target of the kinds that evidence it.
    """

    rule: str
    evaluated: bool
    #: `scanner tool_version` pairs that evaluated it.
    scanners: tuple[tuple[str, str], ...] = ()
    #: Per target kind, the analyzed targets that evidence it.
    targets: tuple[tuple[str, int], ...] = ()
    open: int = 0
    waived: int = 0
    #: Open findings at or above their fail threshold.
    failing: int = 0
    #: Why it was not evaluated (or, when it was, what was left out).
    note: str = ""


@dataclass(frozen=True, slots=True)
class ControlResult:
    framework: str
    control_id: str
    title: str
    state: ControlState
    theme: str = ""
    statement: str = ""
    fingerprints: tuple[str, ...] = ()
    waived_fingerprints: tuple[str, ...] = ()
    #: Scanners that ran and can evidence this control (the coverage).
    scanners: tuple[str, ...] = ()
    mapping_rules: tuple[str, ...] = ()
    #: The unwaived findings at or above their fail threshold: why the state is `fail`
    #: (baseline-known ones included; the gate itself may count only new ones).
    failing_fingerprints: tuple[str, ...] = ()
    #: Finding kinds whose scanners could evidence this control: what a `not_assessed`
    #: control is missing ("run an iac scanner").
    evidenced_by: tuple[str, ...] = ()
    #: One line on how the state was reached, for people; for `not_assessed`, why.
    note: str = ""
    #: Target kinds (any one) that must have been analyzed for the control to be assessed.
    targets: tuple[str, ...] = ()
    #: Per target kind, the analyzed targets that evidenced it.
    analyzed: tuple[tuple[str, int], ...] = ()
    #: Per mapping rule, its evaluation (the OSCAL observations).
    rule_evidence: tuple[RuleEvidence, ...] = ()
    #: Scanners that could evidence it and failed: their part of the evidence is missing.
    failed_scanners: tuple[str, ...] = ()
    #: What scanner evidence cannot show for this control.
    limits: str = ""

    @property
    def below_threshold_fingerprints(self) -> tuple[str, ...]:
        failing = set(self.failing_fingerprints)
        return tuple(fp for fp in self.fingerprints if fp not in failing)


@dataclass(frozen=True, slots=True)
class WaiverRecord:
    """A waiver as the report shows it: who accepted what risk, why, until when."""

    id: str
    reason: str
    owner: str
    expires: date
    expired: bool
    rule: str | None = None
    path: str | None = None
    fingerprint: str | None = None
    #: Findings this waiver matched (for an expired waiver: the ones it no longer covers).
    fingerprints: tuple[str, ...] = ()
    scanner: str | None = None
    #: `file:line` of the waiver, so a reader can find it.
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class FrameworkRecord:
    """A judged framework's header, so reports never need the policy files."""

    id: str
    title: str
    source: str = ""
    version: str | None = None
    url: str | None = None
    #: What of the standard the framework file leaves out (scanners cannot evidence it).
    excluded: str = ""


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """A mapping rule as reports cite it: why findings like these evidence these controls."""

    id: str
    rationale: str
    controls: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Budget:
    """A `max_findings` limit with the counted findings it covers, over or under the limit,
    so that merging parts can count across them (no part sees the whole run's count)."""

    max: int
    min_severity: str
    kind: str | None = None
    fingerprints: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        return f"max-findings:{self.kind + ':' if self.kind else ''}{self.min_severity}"

    def reason(self, controls: tuple[str, ...] = ()) -> Reason | None:
        """The gate's reason when the budget is over its limit, else None."""
        if len(self.fingerprints) <= self.max:
            return None
        what = f"{self.kind} " if self.kind else ""
        return Reason(
            self.rule,
            f"{len(self.fingerprints)} {what}finding(s) at or above {self.min_severity}; at most "
            f"{self.max} allowed",
            fingerprints=self.fingerprints,
            controls=controls,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    profile: str
    evaluated_at: datetime
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[str, ...] = ()
    controls: tuple[ControlResult, ...] = ()
    waivers: tuple[WaiverRecord, ...] = ()
    #: Fingerprints that count as new against the baseline; None when no baseline was used.
    new_fingerprints: tuple[str, ...] | None = None
    baseline: str | None = None
    #: Findings below the profile's report threshold are kept in results but not shown.
    report_threshold: str = "info"
    frameworks: tuple[str, ...] = ()
    framework_records: tuple[FrameworkRecord, ...] = ()
    #: Every mapping rule a control result names, with its rationale.
    rules: tuple[RuleRecord, ...] = ()
    #: Findings that made the gate fail (always reported, whatever the report threshold).
    failing_fingerprints: tuple[str, ...] = ()
    #: Findings no mapping rule matched (they still count against severity thresholds).
    unmapped_fingerprints: tuple[str, ...] = ()
    #: Per scanner, findings the tool itself suppressed inline (`# nosec`, `# nosemgrep`).
    inline_suppressions: tuple[tuple[str, int], ...] = ()
    #: Inline-suppressed findings the profile honoured (they did not count); the others
    #: counted like any finding (see GateSettings.inline_suppressions).
    honoured_suppressions: tuple[str, ...] = ()
    #: Scanners whose error the profile tolerated: the scan is incomplete and reports say so.
    tolerated_errors: tuple[str, ...] = ()
    #: What was judged with, so `secscan gate --from` can judge again the same way.
    policy_sources: tuple[str, ...] = ()
    #: The user's policy directory merged over the shipped library, if any.
    policy_dir: str | None = None
    waivers_file: str | None = None
    fail_on_override: str | None = None
    #: Every `max_findings` limit of the profile with the counted findings it covers.
    budgets: tuple[Budget, ...] = ()

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    @property
    def scanner_failure(self) -> bool:
        """The gate failed because a scanner could not assess its targets (exit code 3)."""
        return any(r.rule == SCANNER_ERROR_RULE for r in self.reasons)

    def waiver_for(self, fingerprint: str) -> WaiverRecord | None:
        """The active waiver that accepted this finding, if any."""
        return next(
            (w for w in self.waivers if not w.expired and fingerprint in w.fingerprints), None
        )

    def rule(self, rule_id: str) -> RuleRecord | None:
        return next((r for r in self.rules if r.id == rule_id), None)


#: The reason rule a failing (not tolerated) scanner error is recorded under.
SCANNER_ERROR_RULE = "scanner-error"
#: The reason rule a gate setting weakened by the change under review is recorded under.
WEAKENED_SETTINGS_RULE = "weakened-settings"
