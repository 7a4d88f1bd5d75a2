"""The auditor's evidence document for one framework: every control, its evidence, its gaps.

Rendered per framework by `secscan compliance` as HTML (printable), Markdown or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from secscan._text import json_visible
from secscan.errors import UsageError
from secscan.findings import Excluded, RunStatus
from secscan.policy.decision import ControlState, RuleRecord, WaiverRecord
from secscan.report import COMPLIANCE_FORMATS, _jinja
from secscan.report.markdown import cell, code, esc
from secscan.report.model import (
    ControlView,
    FindingView,
    FrameworkView,
    ReportModel,
    RunView,
    build,
)
from secscan.results import SavedResults

SCHEMA = "secscan-compliance"
SCHEMA_VERSION = 1
#: The compliance formats, from the one registry (secscan.report).
FORMATS = tuple(COMPLIANCE_FORMATS)
TEMPLATE = "compliance.html.j2"
#: What scanner evidence can and cannot show, stated once in every document.
EVIDENCE_NOTE = (
    "This document records automated technical evidence. A control in state 'pass' had a "
    "scanner that can evidence it run without finding anything of the kinds secscan checks "
    "for; that supports, but does not by itself prove, that the control is implemented. "
    "'Not assessed' means no scanner that could evidence the control ran: it is a gap in the "
    "evidence, never a pass."
)


@dataclass(frozen=True, slots=True)
class WaiverUse:
    waiver: WaiverRecord
    #: The controls of this framework whose findings the waiver covers (or covered, if expired).
    controls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComplianceView:
    model: ReportModel
    framework: FrameworkView
    rules: tuple[RuleRecord, ...]
    waivers: tuple[WaiverUse, ...]

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


def view(saved: SavedResults, now: datetime, framework: str) -> ComplianceView:
    model = build(saved, now)
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
    return ComplianceView(model, fw, rules, tuple(uses))


def render(saved: SavedResults, now: datetime, *, framework: str, fmt: str) -> str:
    if fmt not in COMPLIANCE_FORMATS:
        raise UsageError(f"no compliance format {fmt!r}; use one of {', '.join(FORMATS)}")
    return COMPLIANCE_FORMATS[fmt].render(saved, now, framework=framework)


def filename(framework: str, fmt: str) -> str:
    return COMPLIANCE_FORMATS[fmt].target(framework)


# --- JSON -----------------------------------------------------------------------------------


def render_json(cv: ComplianceView) -> str:
    text = json.dumps(to_dict(cv), indent=2, ensure_ascii=False, allow_nan=False)
    return json_visible(text) + "\n"


def to_dict(cv: ComplianceView) -> dict[str, Any]:
    m, fw = cv.model, cv.framework
    result, decision = m.saved.result, m.decision
    rec = fw.record
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(m.generated_at),
        "framework": {
            "id": fw.id,
            "title": fw.title,
            "version": rec.version if rec else None,
            "source": rec.source if rec else None,
            "url": rec.url if rec else None,
        },
        "evidence_note": EVIDENCE_NOTE,
        "scope": {
            "root": result.root,
            "git_commit": result.git_commit,
            "started_at": _iso(result.started_at),
            "finished_at": _iso(result.finished_at) if result.finished_at else None,
            "secscan_version": result.secscan_version,
            "config": result.config_path,
            "excluded": [{"path": e.path, "reason": e.reason} for e in m.excluded],
        },
        "decision": None
        if decision is None
        else {
            "verdict": m.verdict.value,
            "outcome": decision.outcome.value,
            "profile": decision.profile,
            "evaluated_at": _iso(decision.evaluated_at),
            "baseline": decision.baseline,
            "policy_sources": list(decision.policy_sources),
            "reasons": [{"rule": r.rule, "message": r.message} for r in decision.reasons],
            "warnings": list(decision.warnings),
        },
        "summary": {s.value: n for s, n in cv.counts},
        "scanners": [_run_dict(rv, m) for rv in m.runs],
        "controls": [_control_dict(c, cv) for c in fw.controls],
        "mapping_rules": [
            {
                "id": r.id,
                "description": r.description,
                "rationale": r.rationale,
                "controls": list(r.controls),
            }
            for r in cv.rules
        ],
        "waivers": [
            {
                "id": u.waiver.id,
                "state": "expired" if u.waiver.expired else "active",
                "owner": u.waiver.owner,
                "expires": u.waiver.expires.isoformat(),
                "reason": u.waiver.reason,
                "rule": u.waiver.rule,
                "path": u.waiver.path,
                "origin": u.waiver.origin,
                "findings": len(u.waiver.fingerprints),
                "controls": list(u.controls),
            }
            for u in cv.waivers
        ],
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


def _control_dict(c: ControlView, cv: ComplianceView) -> dict[str, Any]:
    r = c.result
    return {
        "id": r.control_id,
        "title": r.title,
        "theme": r.theme,
        "statement": r.statement,
        "state": r.state.value,
        "note": r.note,
        "scanners": list(r.scanners),
        "evidenced_by": list(r.evidenced_by),
        "mapping_rules": list(r.mapping_rules),
        "findings": [_finding_dict(fv) for fv in c.findings],
        "waived_findings": [_finding_dict(fv) for fv in c.waived],
    }


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
    m, fw = cv.model, cv.framework
    result, decision = m.saved.result, m.decision
    rec = fw.record
    out = [f"# Compliance evidence: {esc(fw.title)}", ""]
    if rec is not None:
        bits = [f"Framework {code(fw.id)}"]
        if rec.version:
            bits.append(f"version {esc(rec.version)}")
        if rec.source:
            bits.append(f"source: {esc(rec.source)}")
        out += [" · ".join(bits), ""]
    out += [f"> {esc(EVIDENCE_NOTE)}", ""]

    out += ["## Scope", "", "| | |", "| --- | --- |"]
    out += [
        f"| Scanned | {code(result.root)} |",
        f"| Commit | {code(result.git_commit or 'not a git checkout')} |",
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
    out += [f"| Document generated | {esc(_jinja.when(m.generated_at))} |", ""]
    out += _excluded_markdown(m.excluded)

    out += ["## Summary", "", "| State | Controls |", "| --- | ---: |"]
    out += [f"| {s.value.replace('_', ' ')} | {n} |" for s, n in cv.counts]
    out.append("")

    out += [
        "## Evidence: scanners",
        "",
        "| Scanner | Tool version | Status | Targets | Findings | Waived | Rule sets | "
        "Advisory data |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for rv in m.runs:
        r = rv.run
        status = r.status.value + (" (tolerated)" if rv.tolerated else "")
        if r.status is RunStatus.ERROR and r.error:
            status += f": {cell(r.error, 120)}"
        src = next((s for name, s in m.advisory_sources if name == r.scanner), None)
        adv = "-"
        if src is not None:
            newest = cell(src.newest_modified or "?")
            adv = f"{cell(src.kind)} {code(src.location, 80)}, newest {newest}"
        out.append(
            f"| {cell(r.scanner)} | {cell(r.tool_version or '-')} | {status} | {r.targets} "
            f"| {rv.shown} | {rv.waived} | {cell(', '.join(r.rulesets) or '-')} | {adv} |"
        )
    out.append("")

    out += ["## Controls", ""]
    for c in fw.controls:
        out += _control_markdown(c, cv)

    if cv.rules:
        out += ["## Mapping rules", "", "Why findings of a kind evidence a control.", ""]
        out += [f"- {code(rule.id)}: {esc(rule.rationale)}" for rule in cv.rules]
        out.append("")

    out += ["## Waivers", ""]
    if cv.waivers:
        out += [
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
    else:
        out.append("No waiver was in force.")
    out.append("")

    out += ["## Not assessed", ""]
    if cv.not_assessed:
        for c in cv.not_assessed:
            needs = ", ".join(c.result.evidenced_by)
            hint = f" (needs a {esc(needs)} scanner)" if needs else ""
            out.append(f"- **{esc(c.result.control_id)}** {esc(c.result.title)}{hint}")
    else:
        out.append("Every control of this framework had a scanner that can evidence it.")
    for rv in m.failed_runs:
        out.append(f"- Scanner **{esc(rv.run.scanner)}** failed: {cell(rv.run.error or 'error')}")
    if m.not_analyzed:
        out.append(f"- {len(m.not_analyzed)} file(s) could not be analyzed:")
        out += [
            f"  - {code(n.item.path)} ({cell(n.scanner or 'discovery')}: {cell(n.item.reason)})"
            for n in m.not_analyzed[:200]
        ]
        if len(m.not_analyzed) > 200:
            out.append(f"  - … and {len(m.not_analyzed) - 200} more")
    out.append("")
    return "\n".join(out)


def _excluded_markdown(excluded: Sequence[Excluded], limit: int = 200) -> list[str]:
    if not excluded:
        return ["Nothing was excluded from the scan.", ""]
    out = [f"Excluded from the scan ({len(excluded)}):", ""]
    out += [f"- {code(e.path)}: {cell(e.reason)}" for e in excluded[:limit]]
    if len(excluded) > limit:
        out.append(f"- … and {len(excluded) - limit} more")
    return [*out, ""]


def _control_markdown(c: ControlView, cv: ComplianceView) -> list[str]:
    r = c.result
    out = [f"### {esc(r.control_id)} {esc(r.title)}: {c.state_label.upper()}", ""]
    if r.theme:
        out.append(f"*{esc(r.theme)}*  ")
    if r.statement:
        out.append(f"What secscan checks: {esc(r.statement)}  ")
    if r.note:
        out.append(f"State: {esc(r.note)}  ")
    source = esc(", ".join(r.scanners)) or "no scanner that can evidence it ran"
    if r.state is ControlState.NOT_ASSESSED and r.evidenced_by:
        source += f" (needs: {esc(', '.join(r.evidenced_by))})"
    out.append(f"Evidence from: {source}")
    if r.mapping_rules:
        out.append("  \nMapping rules: " + ", ".join(code(x) for x in r.mapping_rules))
    out.append("")
    if c.findings:
        out += _findings_markdown(c.findings)
    if c.waived:
        out += ["Waived:", ""]
        out += _findings_markdown(c.waived)
    return out


def _findings_markdown(views: Sequence[FindingView]) -> list[str]:
    rows = [
        "| Severity | Finding | Location | Scanner | Fingerprint |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fv in views:
        f = fv.finding
        loc = f.location.path + (f":{f.location.start_line}" if f.location.start_line else "")
        what = f"{cell(f.title or f.rule_id)} {code(f.rule_id)}"
        if f.package is not None:
            fixed = ", ".join(f.package.fixed_versions) or "no fix known"
            what += f" ({cell(f.package.name)} {cell(f.package.version)}, fixed in {cell(fixed)})"
        if fv.waiver is not None:
            what += (
                f" (waiver {cell(fv.waiver.id)}, {cell(fv.waiver.owner)}, until "
                f"{fv.waiver.expires.isoformat()})"
            )
        rows.append(
            f"| {f.severity.value} | {what} | {code(loc)} | {cell(f.scanner)} "
            f"| {code(f.fingerprint[:16])} |"
        )
    return [*rows, ""]


# --- HTML -----------------------------------------------------------------------------------


def render_html(cv: ComplianceView) -> str:
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
    return _jinja.render(TEMPLATE, v=cv, m=cv.model, css=css, csp=csp, evidence_note=EVIDENCE_NOTE)
