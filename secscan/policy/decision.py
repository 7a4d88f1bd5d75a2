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
    #: No scanner that could evidence the control ran: never to be shown as a pass.
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing that made (or, for warnings, could have made) the gate fail."""

    rule: str
    message: str
    fingerprints: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()


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
    fingerprints: tuple[str, ...] = ()


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

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS
