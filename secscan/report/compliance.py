"""The auditor's evidence document for one framework: every control, its evidence, its gaps.

Rendered per framework by `secscan compliance` as HTML (printable), Markdown or JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from secscan.errors import UsageError
from secscan.history.trends import Trends
from secscan.model.decision import ControlResult, ControlState, RuleRecord, WaiverRecord
from secscan.model.findings import Excluded, RunStatus, Severity
from secscan.model.results import ATTESTATION_FILE, RESULTS_FILE, SavedResults
from secscan.model.results import digest as results_digest
from secscan.model.targets import TargetKind
from secscan.report import _jinja, trend_charts
from secscan.report.markdown import cell, code, esc
from secscan.report.model import (
    ControlView,
    FindingView,
    FrameworkView,
    NotAnalyzedView,
    ReportModel,
    RunView,
    build,
)
from secscan.settings import toollock
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

SCHEMA = "secscan-compliance"
SCHEMA_VERSION = 1
TEMPLATE = "compliance.html.j2"
#: What scanner evidence can and cannot show, stated once in every document.
EVIDENCE_NOTE = (
    "This document records automated technical evidence. A control is 'pass' only when the "
    "scanners that evidence it ran successfully over targets of the kinds that evidence it "
    "(Terraform, Kubernetes, source code, ...) and found nothing open of the kinds secscan "
    "checks for; that supports, but does not by itself prove, that the control is "
    "implemented. 'Below threshold' means open findings the gate lets through: never a pass. "
    "'Not assessed' is a gap in the evidence (no scanner ran, one failed, or no fitting "
    "target was in scope), never a pass; each says why."
)
#: Examples shown per rule in a control's findings (the JSON lists every finding).
MAX_EXAMPLES = 3
#: Files not analyzed listed in the HTML and Markdown (the JSON lists all).
MAX_FILES = 200


@dataclass(frozen=True, slots=True)
class WaiverUse:
    waiver: WaiverRecord
    #: The controls of this framework whose findings the waiver covers (or covered, if expired).
    controls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """The findings of one scanner rule under one control: a count and a few examples."""

    scanner: str
    rule_id: str
    title: str
    severity: Severity
    count: int
    examples: tuple[FindingView, ...]

    @property
    def more(self) -> int:
        return self.count - len(self.examples)


@dataclass(frozen=True, slots=True)
class ControlRow:
    """One control as the summary table and its detail section show it."""

    view: ControlView
    open: int
    below: int
    waived: int
    groups: tuple[RuleGroup, ...]
    waived_groups: tuple[RuleGroup, ...]

    @property
    def result(self) -> ControlResult:
        return self.view.result

    @property
    def evidence(self) -> str:
        """Who evidenced it over what: `iac over 1 Terraform, 1 Kubernetes target(s)`."""
        r = self.result
        if not r.scanners:
            return "-"
        over = ", ".join(f"{n} {_label(k)}" for k, n in r.analyzed if n)
        return ", ".join(r.scanners) + (f" over {over}" if over else "")


@dataclass(frozen=True, slots=True)
class ComplianceView:
    model: ReportModel
    framework: FrameworkView
    rules: tuple[RuleRecord, ...]
    waivers: tuple[WaiverUse, ...]
    rows: tuple[ControlRow, ...] = ()

    @property
    def files_shown(self) -> tuple[NotAnalyzedView, ...]:
        return self.model.not_analyzed[:MAX_FILES]

    @property
    def counts(self) -> tuple[tuple[ControlState, int], ...]:
        return self.framework.counts

    @property
    def not_assessed(self) -> tuple[ControlView, ...]:
        return tuple(
            cv for cv in self.framework.controls if cv.result.state is ControlState.NOT_ASSESSED
        )

    @property
    def failed_runs(self) -> tuple[RunView, ...]:
        return self.model.failed_runs

    def rule(self, rule_id: str) -> RuleRecord | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(slots=True)
class _Shared:
    """What the documents of one report model share: each framework's view (`secscan
    compliance` writes a framework in up to four formats, the OSCAL scan format all of
    them), and each finding's JSON entry (a finding evidences a dozen controls). Read only."""

    model: ReportModel | None = None
    views: dict[str, ComplianceView] = field(default_factory=dict)
    entries: dict[int, dict[str, Any]] = field(default_factory=dict)


_shared = _Shared()


def _of(model: ReportModel) -> _Shared:
    global _shared
    if _shared.model is not model:
        _shared = _Shared(model)
    return _shared


def view(saved: SavedResults, now: datetime, framework: str) -> ComplianceView:
    model = build(saved, now)
    shared = _of(model)
    known = shared.views.get(framework)
    if known is None:
        known = shared.views[framework] = _view(model, framework)
    return known


def _view(model: ReportModel, framework: str) -> ComplianceView:
    fw = model.framework(framework)
    if fw is None:
        known = ", ".join(f.id for f in model.frameworks) or "none"
        if model.decision is None:
            raise UsageError(
                "these results carry no policy decision, so no control was judged; "
                "run `secscan scan` (or `secscan compliance PATH`) to judge them"
            )
        raise UsageError(
            f"framework {framework!r} was not judged in these results; judged: {known}"
        )
    wanted = {r for cv in fw.controls for r in cv.result.mapping_rules}
    rules = tuple(sorted((r for r in model.rules if r.id in wanted), key=lambda r: r.id))
    uses = []
    for w in (*model.active_waivers, *model.expired_waivers):
        fps = set(w.fingerprints) | ({w.fingerprint} if w.fingerprint else set())
        hit = tuple(
            cv.result.control_id
            for cv in fw.controls
            if fps & {*cv.result.fingerprints, *cv.result.waived_fingerprints}
        )
        uses.append(WaiverUse(w, hit))
    return ComplianceView(model, fw, rules, tuple(uses), tuple(_row(c) for c in fw.controls))


def _row(c: ControlView) -> ControlRow:
    r = c.result
    return ControlRow(
        view=c,
        open=len(r.fingerprints),
        below=len(r.below_threshold_fingerprints),
        waived=len(r.waived_fingerprints),
        groups=_groups(c.findings),
        waived_groups=_groups(c.waived),
    )


def _groups(views: Sequence[FindingView]) -> tuple[RuleGroup, ...]:
    by: dict[tuple[str, str], list[FindingView]] = {}
    for fv in views:
        by.setdefault((fv.finding.scanner, fv.finding.rule_id), []).append(fv)
    groups = [
        RuleGroup(
            scanner=scanner,
            rule_id=rule_id,
            title=fvs[0].finding.title or rule_id,
            # A control's findings are in report order, most severe first.
            severity=fvs[0].finding.severity,
            count=len(fvs),
            examples=tuple(fvs[:MAX_EXAMPLES]),
        )
        for (scanner, rule_id), fvs in by.items()
    ]
    return tuple(sorted(groups, key=lambda g: (-g.severity.rank, -g.count, g.scanner, g.rule_id)))


def _label(kind: str) -> str:
    return TargetKind(kind).label if kind in TargetKind._value2member_map_ else kind


# --- JSON -----------------------------------------------------------------------------------


def render_json(cv: ComplianceView) -> str:
    text = _json.dumps_indented(to_dict(cv), ensure_ascii=False, allow_nan=False)
    return json_visible(text) + "\n"


def to_dict(cv: ComplianceView) -> dict[str, Any]:
    m = cv.model
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(m.generated_at),
        "framework": _framework_dict(cv.framework),
        "evidence_note": EVIDENCE_NOTE,
        "scope": _scope_dict(m),
        "decision": _decision_dict(m),
        "summary": {s.value: n for s, n in cv.counts},
        "scanners": [_run_dict(rv, m) for rv in m.runs],
        "controls": [_control_dict(row, _of(m).entries) for row in cv.rows],
        "mapping_rules": [
            {
                "id": r.id,
                "description": r.description,
                "rationale": r.rationale,
                "controls": list(r.controls),
            }
            for r in cv.rules
        ],
        "waivers": [_waiver_dict(u) for u in cv.waivers],
        "not_assessed": {
            "controls": [c.result.control_id for c in cv.not_assessed],
            "failed_scanners": [
                {"scanner": rv.run.scanner, "error": rv.run.error, "tolerated": rv.tolerated}
                for rv in m.failed_runs
            ],
            "files": [
                {"path": n.item.path, "scanner": n.scanner, "reason": n.item.reason}
                for n in m.not_analyzed
            ],
        },
    }


def _framework_dict(fw: FrameworkView) -> dict[str, Any]:
    rec = fw.record
    return {
        "id": fw.id,
        "title": fw.title,
        "version": rec.version if rec else None,
        "source": rec.source if rec else None,
        "url": rec.url if rec else None,
        "excluded": rec.excluded if rec else "",
    }


def _scope_dict(m: ReportModel) -> dict[str, Any]:
    result = m.saved.result
    return {
        "root": result.root,
        "git_commit": result.git_commit,
        "started_at": _iso(result.started_at),
        "finished_at": _iso(result.finished_at) if result.finished_at else None,
        "secscan_version": result.secscan_version,
        "config": result.config_path,
        "excluded": [{"path": e.path, "reason": e.reason} for e in m.excluded],
    }


def _decision_dict(m: ReportModel) -> dict[str, Any] | None:
    decision = m.decision
    if decision is None:
        return None
    return {
        "verdict": m.verdict.value,
        "outcome": decision.outcome.value,
        "profile": decision.profile,
        "evaluated_at": _iso(decision.evaluated_at),
        "baseline": decision.baseline,
        "policy_sources": list(decision.policy_sources),
        "reasons": [{"rule": r.rule, "message": r.message} for r in decision.reasons],
        "warnings": list(decision.warnings),
    }


def _waiver_dict(u: WaiverUse) -> dict[str, Any]:
    w = u.waiver
    return {
        "id": w.id,
        "state": "expired" if w.expired else "active",
        "owner": w.owner,
        "expires": w.expires.isoformat(),
        "reason": w.reason,
        "rule": w.rule,
        "path": w.path,
        "origin": w.origin,
        "findings": len(w.fingerprints),
        "controls": list(u.controls),
    }


def _run_dict(rv: RunView, m: ReportModel) -> dict[str, Any]:
    r = rv.run
    source = next((s for name, s in m.advisory_sources if name == r.scanner), None)
    return {
        "scanner": r.scanner,
        "kind": r.kind.value,
        "tool_version": r.tool_version,
        "status": r.status.value,
        "error": r.error,
        "tolerated": rv.tolerated,
        "targets": r.targets,
        "target_kinds": None if r.target_kinds is None else dict(r.target_kinds),
        "duration_s": r.duration_s,
        "rulesets": list(r.rulesets),
        "inline_suppressions": r.inline_suppressions,
        "findings": rv.shown,
        "waived": rv.waived,
        "advisory_source": None
        if source is None
        else {
            "kind": source.kind,
            "location": source.location,
            "newest_modified": source.newest_modified,
            "record_count": source.record_count,
        },
    }


def _control_dict(row: ControlRow, entries: dict[int, dict[str, Any]]) -> dict[str, Any]:
    c, r = row.view, row.result
    return {
        "id": r.control_id,
        "title": r.title,
        "theme": r.theme,
        "statement": r.statement,
        "limits": r.limits,
        "state": r.state.value,
        "note": r.note,
        "counts": {"open": row.open, "below_threshold": row.below, "waived": row.waived},
        "scanners": list(r.scanners),
        "failed_scanners": list(r.failed_scanners),
        "evidenced_by": list(r.evidenced_by),
        "targets": list(r.targets),
        "analyzed": dict(r.analyzed),
        "mapping_rules": list(r.mapping_rules),
        "rule_evidence": [
            {
                "rule": e.rule,
                "evaluated": e.evaluated,
                "scanners": [{"scanner": n, "tool_version": v} for n, v in e.scanners],
                "targets": dict(e.targets),
                "open": e.open,
                "waived": e.waived,
                "failing": e.failing,
                "note": e.note,
            }
            for e in r.rule_evidence
        ],
        "findings": [_entry(fv, entries) for fv in c.findings],
        "waived_findings": [_entry(fv, entries) for fv in c.waived],
    }


def _entry(fv: FindingView, entries: dict[int, dict[str, Any]]) -> dict[str, Any]:
    # The views belong to the model the entries are kept with: their ids are theirs.
    entry = entries.get(id(fv))
    if entry is None:
        entry = entries[id(fv)] = _finding_dict(fv)
    return entry


def _finding_dict(fv: FindingView) -> dict[str, Any]:
    f = fv.finding
    return {
        "fingerprint": f.fingerprint,
        "scanner": f.scanner,
        "rule_id": f.rule_id,
        "title": f.title,
        "severity": f.severity.value,
        "kind": f.kind.value,
        "path": f.location.path,
        "line": f.location.start_line,
        "package": None
        if f.package is None
        else {
            "name": f.package.name,
            "version": f.package.version,
            "fixed_versions": list(f.package.fixed_versions),
        },
        "new": fv.new,
        "waiver": fv.waiver.id if fv.waiver else None,
    }


def _iso(when: datetime) -> str:
    return when.isoformat()


# --- Markdown -------------------------------------------------------------------------------


def render_markdown(cv: ComplianceView) -> str:
    out = [
        *_header_markdown(cv),
        *_summary_markdown(cv),
        *_scope_markdown(cv.model),
        *_excluded_markdown(cv.model.excluded),
        *_scanners_markdown(cv.model),
        "## Controls",
        "",
    ]
    for row in cv.rows:
        out += _control_markdown(row, cv)
    out += [*_waivers_markdown(cv), *_not_assessed_markdown(cv)]
    return "\n".join(out)


def _header_markdown(cv: ComplianceView) -> list[str]:
    m, fw = cv.model, cv.framework
    rec = fw.record
    bits = [f"Framework {code(fw.id)}"]
    if rec is not None and rec.version:
        bits.append(f"version {esc(rec.version)}")
    bits.append(f"commit {code((m.saved.result.git_commit or 'not a git checkout')[:12])}")
    bits.append(f"gate {esc(m.verdict_label)}")
    return [
        f"# Compliance evidence: {esc(fw.title)}",
        "",
        " · ".join(bits),
        "",
        " · ".join(f"{n} {s.value.replace('_', ' ')}" for s, n in cv.counts),
        "",
    ]


def _summary_markdown(cv: ComplianceView) -> list[str]:
    """The controls table, the evidence note and where the framework's text comes from."""
    out = [
        "| Control | State | Open | Below threshold | Waived | Evidence | Why |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in cv.rows:
        res = row.result
        out.append(
            f"| **{esc(res.control_id)}** {cell(res.title, 80)} "
            f"| **{row.view.state_label}** | {row.open} | {row.below} | {row.waived} "
            f"| {cell(row.evidence, 120)} | {cell(res.note, 200)} |"
        )
    out += ["", f"> {esc(EVIDENCE_NOTE)}", ""]
    rec = cv.framework.record
    if rec is not None and rec.source:
        out += [f"Source of the control ids and titles: {esc(rec.source)}", ""]
    if rec is not None and rec.excluded:
        out += [f"Not covered: {esc(rec.excluded)}", ""]
    return out


def _scope_markdown(m: ReportModel) -> list[str]:
    result, decision = m.saved.result, m.decision
    out = ["## Scope", "", "| | |", "| --- | --- |"]
    out += [
        f"| Scanned | {code(result.root)} |",
        f"| Commit | {code(result.git_commit or 'not a git checkout')} |",
        f"| Excluded | {len(m.excluded)} path(s), listed below |",
        f"| Scan time | {esc(_jinja.when(result.started_at))} to "
        f"{esc(_jinja.when(result.finished_at))} |",
        f"| secscan | {esc(result.secscan_version)} |",
    ]
    if decision is not None:
        out += [
            f"| Gate | {esc(m.verdict_label)} (profile {code(decision.profile)}, judged "
            f"{esc(_jinja.when(decision.evaluated_at))}) |",
            f"| Baseline | {code(decision.baseline) if decision.baseline else 'none'} |",
        ]
    return [*out, f"| Document generated | {esc(_jinja.when(m.generated_at))} |", ""]


def _scanners_markdown(m: ReportModel) -> list[str]:
    out = [
        "## Evidence: scanners",
        "",
        "| Scanner | Tool version | Status | Targets | Findings | Waived | Rule sets | "
        "Advisory data |",
        "| --- | --- | --- | --- | ---: | ---: | --- | --- |",
    ]
    for rv in m.runs:
        r = rv.run
        out.append(
            f"| {cell(r.scanner)} | {cell(r.tool_version or '-')} | {_run_status(rv)} "
            f"| {cell(_targets(r.targets, r.target_kinds))} "
            f"| {rv.shown} | {rv.waived} | {cell(', '.join(r.rulesets) or '-')} "
            f"| {_advisory_markdown(m, r.scanner)} |"
        )
    return [*out, ""]


def _run_status(rv: RunView) -> str:
    r = rv.run
    status = r.status.value + (" (tolerated)" if rv.tolerated else "")
    if r.status is RunStatus.ERROR and r.error:
        status += f": {cell(r.error, 120)}"
    return status


def _advisory_markdown(m: ReportModel, scanner: str) -> str:
    """The advisory data a scanner matched against, or "-"."""
    src = next((s for name, s in m.advisory_sources if name == scanner), None)
    if src is None:
        return "-"
    newest = cell(src.newest_modified or "?")
    return f"{cell(src.kind)} {code(src.location, 80)}, newest {newest}"


def _waivers_markdown(cv: ComplianceView) -> list[str]:
    if not cv.waivers:
        return ["## Waivers", "", "No waiver was in force.", ""]
    out = [
        "## Waivers",
        "",
        "| Waiver | State | Owner | Expires | Findings | Controls | Reason |",
        "| --- | --- | --- | --- | ---: | --- | --- |",
    ]
    for u in cv.waivers:
        w = u.waiver
        out.append(
            f"| {cell(w.id)} | {'expired' if w.expired else 'active'} | {cell(w.owner)} "
            f"| {w.expires.isoformat()} | {len(w.fingerprints)} "
            f"| {cell(', '.join(u.controls) or '-')} | {cell(w.reason, 400)} |"
        )
    return [*out, ""]


def _not_assessed_markdown(cv: ComplianceView) -> list[str]:
    m = cv.model
    out = ["## Not assessed", ""]
    if cv.not_assessed:
        for c in cv.not_assessed:
            why = cell(c.result.note, 400)
            out.append(f"- **{esc(c.result.control_id)}** {esc(c.result.title)}: {why}")
    else:
        out.append("Every control of this framework was assessed.")
    for rv in m.failed_runs:
        out.append(f"- Scanner **{esc(rv.run.scanner)}** failed: {cell(rv.run.error or 'error')}")
    if m.not_analyzed:
        out.append(f"- {len(m.not_analyzed)} file(s) could not be analyzed:")
        out += [
            f"  - {code(n.item.path)} ({cell(n.scanner or 'discovery')}: {cell(n.item.reason)})"
            for n in cv.files_shown
        ]
        if len(m.not_analyzed) > MAX_FILES:
            out.append(f"  - … and {len(m.not_analyzed) - MAX_FILES} more (see the JSON)")
    return [*out, ""]


def _targets(count: int, kinds: Sequence[tuple[str, int]] | None) -> str:
    if not kinds:
        return str(count)
    return ", ".join(f"{n} {_label(k)}" for k, n in kinds if n) or str(count)


def _excluded_markdown(excluded: Sequence[Excluded], limit: int = 200) -> list[str]:
    if not excluded:
        return ["Nothing was excluded from the scan.", ""]
    out = [f"Excluded from the scan ({len(excluded)}):", ""]
    out += [f"- {code(e.path)}: {cell(e.reason)}" for e in excluded[:limit]]
    if len(excluded) > limit:
        out.append(f"- … and {len(excluded) - limit} more")
    return [*out, ""]


def _control_markdown(row: ControlRow, cv: ComplianceView) -> list[str]:
    r = row.result
    out = [f"### {esc(r.control_id)} {esc(r.title)}: {row.view.state_label.upper()}", ""]
    if r.theme:
        out.append(f"*{esc(r.theme)}*  ")
    out.append(f"State: {esc(r.note)}  " if r.note else "")
    out.append(
        f"Open {row.open} (below threshold {row.below}) · waived {row.waived} · evidence: "
        f"{esc(row.evidence)}  "
    )
    if r.statement:
        out.append(f"Scanners can evidence: {esc(r.statement)}  ")
    if r.limits:
        out.append(f"They cannot evidence: {esc(r.limits)}  ")
    if r.mapping_rules:
        evaluated = {e.rule for e in r.rule_evidence if e.evaluated}
        out.append(
            "Mapping rules: "
            + ", ".join(
                code(x) + ("" if x in evaluated else " (not evaluated)") for x in r.mapping_rules
            )
        )
    out.append("")
    if row.groups:
        out += _groups_markdown(row.groups, row.open)
    if row.waived_groups:
        out += ["Waived:", ""]
        out += _groups_markdown(row.waived_groups, row.waived)
    return out


def _groups_markdown(groups: Sequence[RuleGroup], total: int) -> list[str]:
    rows = [
        "| Rule | Scanner | Severity | Findings | Examples |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for g in groups:
        examples = []
        for fv in g.examples:
            f = fv.finding
            loc = f.location.path + (f":{f.location.start_line}" if f.location.start_line else "")
            text = code(loc)
            if f.package is not None:
                text += f" {cell(f.package.name)} {cell(f.package.version)}"
            if fv.waiver is not None:
                w = fv.waiver
                text += f" (waiver {cell(w.id)}, {cell(w.owner)}, until {w.expires.isoformat()})"
            examples.append(text)
        if g.more > 0:
            examples.append(f"… and {g.more} more (see the JSON)")
        rows.append(
            f"| {cell(g.title, 80)} {code(g.rule_id)} | {cell(g.scanner)} | {g.severity.value} "
            f"| {g.count} | {'; '.join(examples)} |"
        )
    shown = sum(g.count for g in groups)
    if shown < total:
        rows.append(f"| … | | | {total - shown} | below the report threshold (see the JSON) |")
    return [*rows, ""]


# --- HTML -----------------------------------------------------------------------------------


def render_html(cv: ComplianceView, trends: Trends | None = None) -> str:
    css = _jinja.asset("report.css")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"style-src {_jinja.csp_hash(css)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return _jinja.render(
        TEMPLATE,
        v=cv,
        m=cv.model,
        css=css,
        csp=csp,
        evidence_note=EVIDENCE_NOTE,
        trends=trend_charts.view(trends) if trends is not None else None,
        results_file=RESULTS_FILE,
        results_sha256=results_digest(cv.model.saved),
        attestation_file=ATTESTATION_FILE,
        tools_lock=dict(cv.model.saved.result.metadata).get(toollock.RESULTS_KEY),
    )
