"""The report view-model: one sorted, pre-counted picture of a scan that every format renders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import PurePosixPath

from secscan import scanners
from secscan.model.decision import (
    ControlResult,
    ControlState,
    Decision,
    FrameworkRecord,
    Reason,
    RuleRecord,
    WaiverRecord,
)
from secscan.model.fates import counts, gaps_by_type
from secscan.model.findings import (
    APART_SCOPES,
    AdvisorySource,
    Excluded,
    FileFate,
    Finding,
    FindingKind,
    NotAnalyzed,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.redact import names_of, redact
from secscan.model.results import SavedResults
from secscan.workspace import vcs

#: Most severe first: the order of every count, chart and table.
SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, reverse=True))
#: Matrix order: what needs action first, and "not assessed" never hides among the passes.
STATES: tuple[ControlState, ...] = (
    ControlState.FAIL,
    ControlState.NOT_ASSESSED,
    ControlState.WAIVED,
    ControlState.BELOW_THRESHOLD,
    ControlState.PASS,
)
STATE_LABELS: dict[ControlState, str] = {
    ControlState.FAIL: "fail",
    ControlState.PASS: "pass",
    ControlState.WAIVED: "waived",
    ControlState.BELOW_THRESHOLD: "below threshold",
    ControlState.NOT_ASSESSED: "not assessed",
}


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    #: A scanner failed: the scan is incomplete whatever the gate said (exit code 3).
    ERROR = "error"
    #: No decision was saved with the results: nothing was judged, so nothing passed.
    NOT_EVALUATED = "not-evaluated"


VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.PASS: "PASSED",
    Verdict.FAIL: "FAILED",
    Verdict.ERROR: "INCOMPLETE",
    Verdict.NOT_EVALUATED: "NOT EVALUATED",
}


@dataclass(frozen=True, slots=True)
class FindingView:
    finding: Finding
    #: The active waiver that accepts this finding's risk, if any.
    waiver: WaiverRecord | None
    #: Waivers that matched this finding but have run out: shown so nobody thinks they still hold.
    expired_waivers: tuple[WaiverRecord, ...]
    #: "framework control" keys of the controls this finding evidences (see ControlView.key).
    control_keys: tuple[str, ...]
    #: Control ids for display ("A.8.28"), from the decision or, without one, the finding itself.
    control_ids: tuple[str, ...]
    #: True/False against the baseline; None when no baseline was used.
    new: bool | None
    #: An inline suppression in the scanned file hid this finding from the gate (the profile
    #: honours them); False when there is none or the profile counted the finding anyway.
    honoured: bool = False

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def suppressed(self) -> bool:
        """Accepted without a waiver: an inline suppression the profile honoured."""
        return self.honoured and not self.waived

    @property
    def anchor(self) -> str:
        return "f-" + (self.finding.fingerprint or "unkeyed")

    @property
    def status(self) -> str:
        if self.waived:
            return "waived"
        return "suppressed" if self.suppressed else "open"


@dataclass(frozen=True, slots=True)
class ControlView:
    result: ControlResult
    findings: tuple[FindingView, ...]
    waived: tuple[FindingView, ...]

    @property
    def key(self) -> str:
        return control_key(self.result.framework, self.result.control_id)

    @property
    def anchor(self) -> str:
        return "c-" + slug(self.key)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.result.state]


@dataclass(frozen=True, slots=True)
class FrameworkView:
    id: str
    controls: tuple[ControlView, ...]
    record: FrameworkRecord | None = None

    @property
    def title(self) -> str:
        return self.record.title if self.record and self.record.title else self.id

    @property
    def counts(self) -> tuple[tuple[ControlState, int], ...]:
        c = Counter(cv.result.state for cv in self.controls)
        return tuple((s, c.get(s, 0)) for s in STATES)

    @property
    def anchor(self) -> str:
        return "fw-" + slug(self.id)


@dataclass(frozen=True, slots=True)
class RunView:
    run: ScannerRun
    shown: int
    waived: int

    #: The profile tolerated this scanner's error: the gate ignored it, the scan is still partial.
    tolerated: bool = False

    @property
    def failed(self) -> bool:
        return self.run.status is RunStatus.ERROR


#: How many file fates the HTML report lists one by one (the JSON holds them all).
MAX_FATES = 5000


@dataclass(frozen=True, slots=True)
class NotAnalyzedView:
    #: The scanner that could not read the file, or None for files skipped before any scanner.
    scanner: str | None
    item: NotAnalyzed


@dataclass(frozen=True, slots=True)
class ReportModel:
    saved: SavedResults
    generated_at: datetime
    verdict: Verdict
    #: Shown findings (at or above the report threshold), in report order.
    findings: tuple[FindingView, ...]
    #: Findings the profile's report threshold keeps out of the reports (still in the JSON).
    below_threshold: int
    frameworks: tuple[FrameworkView, ...]
    runs: tuple[RunView, ...]
    not_analyzed: tuple[NotAnalyzedView, ...]
    active_waivers: tuple[WaiverRecord, ...]
    expired_waivers: tuple[WaiverRecord, ...]
    advisory_sources: tuple[tuple[str, AdvisorySource], ...]

    @property
    def decision(self) -> Decision | None:
        return self.saved.decision

    @property
    def excluded(self) -> tuple[Excluded, ...]:
        """Paths left out of the scan on purpose (default or config excludes), with why."""
        return self.saved.result.excluded

    @property
    def fates(self) -> tuple[FileFate, ...]:
        """Every file's fate, up to MAX_FATES (all of them are in the JSON)."""
        return (self.saved.result.fates or ())[:MAX_FATES]

    @property
    def fate_counts(self) -> tuple[tuple[str, int], ...]:
        """(fate, how many) for every fate, when the results record fates."""
        if self.saved.result.fates is None:
            return ()
        return tuple((f.value, n) for f, n in counts(self.saved.result.fates).items())

    @property
    def coverage_gaps(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Files outside coverage by type."""
        gaps = gaps_by_type(self.saved.result.fates or ())
        return tuple((t, tuple(paths)) for t, paths in gaps.items())

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.decision.reasons if self.decision else ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.decision.warnings if self.decision else ()

    @property
    def open_findings(self) -> tuple[FindingView, ...]:
        return tuple(fv for fv in self.findings if not fv.waived and not fv.suppressed)

    @property
    def inline_suppressed(self) -> tuple[FindingView, ...]:
        """Shown findings an inline directive asks to hide, honoured by the profile or not."""
        return tuple(fv for fv in self.findings if fv.finding.suppression is not None)

    @property
    def suppressed_findings(self) -> tuple[FindingView, ...]:
        return tuple(fv for fv in self.findings if fv.suppressed)

    @property
    def waived_findings(self) -> tuple[FindingView, ...]:
        return tuple(fv for fv in self.findings if fv.waived)

    @property
    def failed_runs(self) -> tuple[RunView, ...]:
        return tuple(rv for rv in self.runs if rv.failed)

    @property
    def incomplete(self) -> bool:
        """A scanner failed, tolerated or not: some targets were not assessed."""
        return bool(self.failed_runs)

    @property
    def rules(self) -> tuple[RuleRecord, ...]:
        return self.decision.rules if self.decision else ()

    def rule(self, rule_id: str) -> RuleRecord | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def unmapped(self) -> tuple[FindingView, ...]:
        """Shown findings that evidence no control (they still count against thresholds)."""
        return tuple(fv for fv in self.findings if not fv.control_keys)

    @property
    def by_severity(self) -> tuple[tuple[Severity, int], ...]:
        """Open (unwaived) findings per severity, every severity listed even at zero."""
        c = Counter(fv.finding.severity for fv in self.open_findings)
        return tuple((s, c.get(s, 0)) for s in SEVERITIES)

    @property
    def failing(self) -> frozenset[str]:
        """Fingerprints of the findings that failed the gate."""
        return frozenset(self.decision.failing_fingerprints) if self.decision else frozenset()

    @property
    def headline_findings(self) -> tuple[FindingView, ...]:
        """Open findings as headlines show them: those failing the gate first, then the
        gating scopes' (source, vendored, generated), then test/example/docs."""
        failing = self.failing
        return tuple(
            sorted(
                self.open_findings,
                key=lambda fv: (
                    fv.finding.fingerprint not in failing,
                    fv.finding.scope in APART_SCOPES,
                    *fv.finding.sort_key,
                ),
            )
        )

    @property
    def gating_by_severity(self) -> tuple[tuple[Severity, int], ...]:
        """Open findings of the gating scopes per severity (test/example/docs stand apart)."""
        c = Counter(
            fv.finding.severity for fv in self.open_findings if fv.finding.scope not in APART_SCOPES
        )
        return tuple((s, c.get(s, 0)) for s in SEVERITIES)

    @property
    def apart(self) -> tuple[FindingView, ...]:
        """Open findings in test code, examples and docs: counted apart from the headline."""
        return tuple(fv for fv in self.open_findings if fv.finding.scope in APART_SCOPES)

    @property
    def apart_by_scope(self) -> tuple[tuple[str, int], ...]:
        c = Counter(fv.finding.scope.value for fv in self.apart)
        return tuple(sorted(c.items()))

    @property
    def by_kind(self) -> tuple[tuple[FindingKind, int], ...]:
        c = Counter(fv.finding.kind for fv in self.open_findings)
        return tuple((k, c[k]) for k in FindingKind if c.get(k))

    @property
    def scanners(self) -> tuple[str, ...]:
        return tuple(sorted({rv.run.scanner for rv in self.runs}))

    @property
    def failing_controls(self) -> tuple[ControlView, ...]:
        return self._in_state(ControlState.FAIL)

    @property
    def not_assessed_controls(self) -> tuple[ControlView, ...]:
        return self._in_state(ControlState.NOT_ASSESSED)

    def _in_state(self, state: ControlState) -> tuple[ControlView, ...]:
        return tuple(cv for fw in self.frameworks for cv in fw.controls if cv.result.state is state)

    def framework(self, framework_id: str) -> FrameworkView | None:
        return next((fw for fw in self.frameworks if fw.id == framework_id), None)


_ADVISORY_KINDS = (FindingKind.DEPENDENCY, FindingKind.IMAGE)


def control_key(framework: str, control_id: str) -> str:
    return f"{framework} {control_id}"


#: The last model built, with the results and clock it was built from: a run writes several
#: formats (and the terminal summary) of one scan, and each asks for the same model.
_last: tuple[SavedResults, datetime, ReportModel] | None = None


@dataclass(frozen=True, slots=True)
class RepositoryBase:
    """Where report paths start: the repository's top directory when the scan root is inside a
    git work tree (a finding's path then carries the root's `prefix`, so a scan of
    `services/shop` reports `services/shop/app/db.py` and links to the repository's file),
    else the scan root itself (`toplevel` None, no prefix)."""

    #: The scan root as recorded (absolute on a live scan).
    root: str
    toplevel: str | None = None
    #: The scan root relative to `toplevel`, with a trailing "/" ("" at the top).
    prefix: str = ""

    def path(self, path: str) -> str:
        """A finding's path (relative to the scan root) relative to the repository instead.
        Absolute paths and pseudo-paths (`image:python:3.11`) are kept as they are."""
        p = PurePosixPath(path)
        if not self.prefix or not p.parts or p.is_absolute() or ":" in p.parts[0]:
            return path
        return self.prefix + p.as_posix()

    @property
    def scanned(self) -> str:
        """The scanned folder as the paths read it: relative to the repository ("." at its
        top), or the scan root itself outside git."""
        if self.toplevel is None:
            return self.root
        return self.prefix.rstrip("/") or "."


def repository_base(saved: SavedResults) -> RepositoryBase:
    result = saved.result
    tops = {v for k, v in result.metadata if k == vcs.TOPLEVEL_KEY}
    if len(tops) == 1:
        (top,) = tops
        try:
            rel = PurePosixPath(result.root).relative_to(PurePosixPath(top))
        except ValueError:
            rel = None
        if rel is not None:
            prefix = "" if rel.as_posix() == "." else rel.as_posix() + "/"
            return RepositoryBase(result.root, top, prefix)
    return RepositoryBase(result.root)


def build(saved: SavedResults, now: datetime) -> ReportModel:
    """Everything the formats need, computed once so they all agree on every count.

    The model of the same results object at the same clock is built once and shared: both are
    frozen, so every format of a run renders the one model (10,000 findings take about as
    long to model as to render in all formats).
    """
    global _last
    held = _last
    if held is not None and held[0] is saved and _same_time(held[1], now):
        return held[2]
    # Names are text too: paths, branch and repository masked in every format (results
    # built in memory, or loaded from an older file, may hold a token in a file name).
    named = names_of(saved.result)
    model = _build(saved if named is saved.result else replace(saved, result=named), now)
    _last = (saved, now, model)
    return model


def _same_time(a: datetime, b: datetime) -> bool:
    # Equal instants in other zones render differently: the zone must be the same object too.
    return a == b and a.tzinfo is b.tzinfo


def _build(saved: SavedResults, now: datetime) -> ReportModel:
    result, decision = saved.result, saved.decision
    waivers = decision.waivers if decision else ()
    active = tuple(sorted((w for w in waivers if not w.expired), key=_waiver_key))
    expired = tuple(sorted((w for w in waivers if w.expired), key=_waiver_key))
    # Sorted once here (a stable sort), so each finding's controls are in control order.
    ordered = tuple(sorted(decision.controls if decision else (), key=_control_sort))
    shown, below = _shown(result.findings, decision)
    judged = _Judged.of(decision, active, expired, ordered)
    # What each scanner says is a credential rule: masked again here, as in the scan.
    credentials = scanners.installed().credential_rules()
    views = [judged.view(redact(f, credentials)) for f in shown]
    index = _Index.of(views)
    tolerated = set(decision.tolerated_errors) if decision else set()
    ordered_runs = sorted(result.runs, key=lambda r: (r.scanner, r.kind))
    return ReportModel(
        saved=saved,
        generated_at=now,
        verdict=_verdict(saved),
        findings=tuple(views),
        below_threshold=below,
        frameworks=_framework_views(decision, ordered, index),
        runs=tuple(_run_view(r, index, r.scanner in tolerated) for r in ordered_runs),
        not_analyzed=_not_analyzed(result),
        active_waivers=active,
        expired_waivers=expired,
        advisory_sources=_advisory_sources(result),
    )


def _shown(findings: Iterable[Finding], decision: Decision | None) -> tuple[list[Finding], int]:
    """The findings the reports show (each fingerprint once), and how many the report
    threshold keeps out."""
    threshold = _threshold(decision)
    # The findings that failed the gate are shown whatever the report threshold says.
    always = set(decision.failing_fingerprints) if decision else set()
    shown: list[Finding] = []
    below = 0
    seen: set[str] = set()
    for f in findings:
        # Merged shards may carry one finding twice; a report lists it once.
        if f.fingerprint in seen:
            continue
        if f.fingerprint:
            seen.add(f.fingerprint)
        if f.severity < threshold and f.fingerprint not in always:
            below += 1
        else:
            shown.append(f)
    return shown, below


#: A set of controls' display names: their "framework control" keys and their ids.
_Names = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Judged:
    """What the decision says about each fingerprint (its waivers, controls, newness),
    indexed once for all findings."""

    active: tuple[WaiverRecord, ...]
    waiver: dict[str, WaiverRecord]
    expired: dict[str, list[WaiverRecord]]
    #: Fingerprints some control counts as waived.
    waived: set[str]
    ordered: tuple[ControlResult, ...]
    #: fingerprint -> positions in `ordered`
    positions: dict[str, list[int]]
    #: None when no baseline was used.
    new: set[str] | None
    honoured: set[str]
    #: Findings of one rule map to the same controls: their names are made once.
    names: dict[tuple[int, ...], _Names]

    @classmethod
    def of(
        cls,
        decision: Decision | None,
        active: tuple[WaiverRecord, ...],
        expired: tuple[WaiverRecord, ...],
        ordered: tuple[ControlResult, ...],
    ) -> _Judged:
        waiver: dict[str, WaiverRecord] = {}
        for w in active:
            for fp in _waiver_fps(w):
                waiver.setdefault(fp, w)
        expired_of: dict[str, list[WaiverRecord]] = {}
        for w in expired:
            for fp in _waiver_fps(w):
                expired_of.setdefault(fp, []).append(w)
        positions: dict[str, list[int]] = {}
        for i, c in enumerate(ordered):
            for fp in (*c.fingerprints, *c.waived_fingerprints):
                positions.setdefault(fp, []).append(i)
        new = decision.new_fingerprints if decision else None
        return cls(
            active=active,
            waiver=waiver,
            expired=expired_of,
            waived={fp for c in ordered for fp in c.waived_fingerprints},
            ordered=ordered,
            positions=positions,
            new=None if new is None else set(new),
            honoured=set(decision.honoured_suppressions) if decision else set(),
            names={},
        )

    def view(self, f: Finding) -> FindingView:
        fp = f.fingerprint
        keys, ids = self._names(tuple(self.positions.get(fp, ())))
        return FindingView(
            finding=f,
            waiver=self._waiver(f),
            expired_waivers=tuple(self.expired.get(fp, ())),
            control_keys=keys,
            control_ids=ids or tuple(sorted(set(f.controls))),
            new=None if self.new is None else fp in self.new,
            honoured=f.suppression is not None and fp in self.honoured,
        )

    def _waiver(self, f: Finding) -> WaiverRecord | None:
        waiver = self.waiver.get(f.fingerprint)
        if waiver is None and f.fingerprint in self.waived:
            return _control_waiver(f, self.active)
        return waiver

    def _names(self, positions: tuple[int, ...]) -> _Names:
        names = self.names.get(positions)
        if names is None:
            mapped = [self.ordered[i] for i in positions]
            names = self.names[positions] = (
                tuple(dict.fromkeys(control_key(c.framework, c.control_id) for c in mapped)),
                tuple(dict.fromkeys(c.control_id for c in mapped)),
            )
        return names


def _framework_views(
    decision: Decision | None, ordered: Sequence[ControlResult], index: _Index
) -> tuple[FrameworkView, ...]:
    # The profile's framework order first (it is the user's), then any others by name.
    listed = decision.frameworks if decision else ()
    fw_ids = list(dict.fromkeys([*listed, *sorted({c.framework for c in ordered})]))
    records = {r.id: r for r in decision.framework_records} if decision else {}
    return tuple(
        FrameworkView(
            id=fw_id,
            record=records.get(fw_id),
            controls=tuple(
                ControlView(
                    result=c,
                    findings=index.views(c.fingerprints),
                    waived=index.views(c.waived_fingerprints),
                )
                for c in ordered
                if c.framework == fw_id
            ),
        )
        for fw_id in fw_ids
    )


def _not_analyzed(result: ScanResult) -> tuple[NotAnalyzedView, ...]:
    """Files skipped before any scanner, then each scanner's (uncovered ones are fates)."""
    views = sorted(
        [
            *(NotAnalyzedView(None, n) for n in result.not_analyzed),
            *(
                NotAnalyzedView(r.scanner, n)
                for r in result.runs
                for n in r.not_analyzed
                if not n.uncovered
            ),
        ],
        key=lambda v: (v.item.path, v.scanner or "", v.item.reason),
    )
    return tuple(dict.fromkeys(views))


def _advisory_sources(result: ScanResult) -> tuple[tuple[str, AdvisorySource], ...]:
    # The pipeline hands the scan's advisory source to every run; only these kinds use it.
    sources = {
        (r.scanner, r.advisory_source)
        for r in result.runs
        if r.advisory_source is not None and r.kind in _ADVISORY_KINDS
    }
    return tuple(sorted(sources, key=lambda p: (p[0], p[1].kind, p[1].location)))


def _run_view(run: ScannerRun, index: _Index, tolerated: bool) -> RunView:
    mine = index.views(f.fingerprint for f in run.findings)
    waived = sum(fv.waived for fv in mine)
    return RunView(
        run=run,
        shown=len(mine) - waived,
        waived=waived,
        tolerated=tolerated and run.status is RunStatus.ERROR,
    )


def _verdict(saved: SavedResults) -> Verdict:
    decision, failed = saved.decision, {r.scanner for r in saved.result.failed_runs}
    if decision is None:
        return Verdict.ERROR if failed else Verdict.NOT_EVALUATED
    # Fail closed: a scanner error the profile did not tolerate is an error whatever the
    # outcome field says.
    if decision.scanner_failure or failed - set(decision.tolerated_errors):
        return Verdict.ERROR
    return Verdict.PASS if decision.passed else Verdict.FAIL


def _threshold(decision: Decision | None) -> Severity:
    if decision is None:
        return Severity.INFO
    word = decision.report_threshold.strip().lower()
    # An unknown word must not hide findings: fall back to showing everything.
    return Severity(word) if word in Severity._value2member_map_ else Severity.INFO


def _waiver_fps(w: WaiverRecord) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*w.fingerprints, *((w.fingerprint,) if w.fingerprint else ()))))


def _control_waiver(f: Finding, active: Iterable[WaiverRecord]) -> WaiverRecord | None:
    """A waived fingerprint whose waiver did not list it: match by rule and path as a fallback."""
    for w in active:
        rule_ok = w.rule is None or w.rule == f.rule_id
        if rule_ok and (w.path is None or w.path == f.location.path):
            return w
    return None


@dataclass(frozen=True, slots=True)
class _Index:
    """The shown findings by fingerprint, and each one's place in report order."""

    by_fp: dict[str, FindingView]
    #: The findings are in report order (sort_key order; redaction changes none of its
    #: fields), so a view's position sorts as its sort_key does, and far more cheaply.
    rank: dict[str, int]

    @classmethod
    def of(cls, views: Sequence[FindingView]) -> _Index:
        by_fp = {fv.finding.fingerprint: fv for fv in views}
        return cls(by_fp, {fv.finding.fingerprint: i for i, fv in enumerate(views)})

    def views(self, fps: Iterable[str]) -> tuple[FindingView, ...]:
        """The views of these fingerprints (unknown ones skipped), in report order."""
        by_fp = self.by_fp
        found = sorted((fp for fp in dict.fromkeys(fps) if fp in by_fp), key=self.rank.__getitem__)
        return tuple(by_fp[fp] for fp in found)


def _waiver_key(w: WaiverRecord) -> tuple[str, str]:
    return (w.expires.isoformat(), w.id)


def _control_sort(c: ControlResult) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    # "A.8.9" before "A.8.28": compare the numeric parts as numbers.
    return (c.framework, id_sort_key(c.control_id))


def id_sort_key(control_id: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _split_id(control_id))


def _split_id(text: str) -> list[str]:
    parts: list[str] = []
    cur = ""
    for ch in text:
        if cur and ch.isdigit() != cur[-1].isdigit():
            parts.append(cur)
            cur = ""
        cur += ch
    if cur:
        parts.append(cur)
    return parts


@lru_cache(maxsize=4096)
def slug(text: str) -> str:
    # Cached: the HTML report slugs each finding's controls, the same few hundred keys.
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
