"""What history keeps of one run, as frozen values: the store writes and reads exactly these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from secscan.model.decision import Decision
from secscan.model.findings import Finding, RunStatus, ScannerRun, Severity
from secscan.model.results import SavedResults

#: Days to remediate an open finding, per severity, when the run's profile says nothing.
DEFAULT_DEADLINES: tuple[tuple[Severity, int], ...] = (
    (Severity.CRITICAL, 7),
    (Severity.HIGH, 30),
    (Severity.MEDIUM, 90),
    (Severity.LOW, 180),
)


class Source(StrEnum):
    SCAN = "scan"
    CI = "ci"
    AUDIT = "audit"
    IMPORT = "import"


class RunState(StrEnum):
    COMPLETE = "complete"
    #: At least one scanner failed: the run fixes nothing that scanner found.
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class ScannerRecord:
    scanner: str
    kind: str
    status: RunStatus
    tool_version: str | None = None
    error: str | None = None
    #: The files the scanner assessed: its targets less those it could not read.
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WaiverInForce:
    key: str
    owner: str
    expires: date
    expired: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Seen:
    """A finding as one run saw it. No message and no snippet: history keeps no scanned text."""

    fingerprint: str
    scanner: str
    rule_id: str
    kind: str
    title: str
    severity: Severity
    path: str
    start_line: int | None = None
    end_line: int | None = None
    controls: tuple[str, ...] = ()
    scope: str | None = None
    #: The key of the active waiver that accepted it in this run.
    waiver: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    repository: str
    at: datetime
    started_at: datetime
    secscan_version: str
    source: Source
    branch: str | None = None
    commit: str | None = None
    profile: str | None = None
    outcome: str | None = None
    deadlines: tuple[tuple[Severity, int], ...] | None = None
    scanners: tuple[ScannerRecord, ...] = ()
    findings: tuple[Seen, ...] = ()
    waivers: tuple[WaiverInForce, ...] = ()
    #: (framework-qualified control id, state) for every judged control.
    controls: tuple[tuple[str, str], ...] = ()
    #: The digest of the trusted settings the run was judged with, when the caller knows it.
    settings_digest: str | None = None
    #: Set when the run was read back from a store.
    id: int | None = None

    @property
    def state(self) -> RunState:
        failed = any(s.status is RunStatus.ERROR for s in self.scanners)
        return RunState.INCOMPLETE if failed else RunState.COMPLETE

    def waiver(self, key: str | None) -> WaiverInForce | None:
        return next((w for w in self.waivers if w.key == key), None) if key else None


def deadline_map(
    deadlines: tuple[tuple[Severity, int], ...] | None,
) -> Mapping[Severity, int]:
    return dict(DEFAULT_DEADLINES if deadlines is None else deadlines)


def from_saved(
    saved: SavedResults,
    *,
    repository: str,
    source: Source,
    branch: str | None = None,
    at: datetime | None = None,
    deadlines: Mapping[Severity, int | None] | None = None,
    settings_digest: str | None = None,
) -> Run:
    """The history record of a judged scan (pure: the caller found repository and branch)."""
    result, decision = saved.result, saved.decision
    waivers, waiver_of = _waivers(decision)
    seen = {f.fingerprint: _seen(f, waiver_of.get(f.fingerprint)) for f in result.findings}
    return Run(
        repository=repository,
        at=at or result.started_at,
        started_at=result.started_at,
        secscan_version=result.secscan_version,
        source=source,
        branch=branch,
        commit=result.git_commit,
        profile=decision.profile if decision else None,
        outcome=decision.outcome.value if decision else None,
        deadlines=None
        if deadlines is None
        else tuple((s, d) for s, d in deadlines.items() if d is not None),
        scanners=tuple(_scanner_record(r) for r in result.runs),
        findings=tuple(seen[fp] for fp in sorted(seen)),
        waivers=tuple(sorted(waivers, key=lambda w: w.key)),
        controls=_controls(decision),
        settings_digest=settings_digest,
    )


def _scanner_record(r: ScannerRun) -> ScannerRecord:
    unread = {n.path for n in r.not_analyzed}
    return ScannerRecord(
        scanner=r.scanner,
        kind=r.kind.value,
        status=r.status,
        tool_version=r.tool_version,
        error=r.error,
        paths=tuple(sorted(p for p in set(r.paths) if p not in unread)),
    )


def _waivers(decision: Decision | None) -> tuple[list[WaiverInForce], dict[str, str]]:
    """The decision's waivers, and the active one of each fingerprint they accept."""
    waivers: list[WaiverInForce] = []
    waiver_of: dict[str, str] = {}
    for w in decision.waivers if decision else ():
        waivers.append(WaiverInForce(w.id, w.owner, w.expires, w.expired, w.reason))
        if not w.expired:
            for fp in w.fingerprints:
                waiver_of.setdefault(fp, w.id)
    return waivers, waiver_of


def _seen(f: Finding, waiver: str | None) -> Seen:
    return Seen(
        fingerprint=f.fingerprint,
        scanner=f.scanner,
        rule_id=f.rule_id,
        kind=f.kind.value,
        title=f.title,
        severity=f.severity,
        path=f.location.path,
        start_line=f.location.start_line,
        end_line=f.location.end_line,
        controls=tuple(sorted(set(f.controls))),
        scope=None,
        waiver=waiver,
    )


def _controls(decision: Decision | None) -> tuple[tuple[str, str], ...]:
    if decision is None:
        return ()
    return tuple(
        sorted({(f"{c.framework}:{c.control_id}", c.state.value) for c in decision.controls})
    )
