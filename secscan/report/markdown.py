"""A short Markdown summary for PR comments and $GITHUB_STEP_SUMMARY, under GitHub's size limit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from secscan.history.trends import Trends
from secscan.model.results import SavedResults
from secscan.report import _exploit
from secscan.report._jinja import when
from secscan.report.model import (
    ControlView,
    FindingView,
    ReportModel,
    Verdict,
    build,
)
from secscan.util.text import visible

#: GitHub rejects comments over 65,536 characters; stay well below with room for a header.
MAX_CHARS = 60_000
TOP_FINDINGS = 10
MAX_CONTROLS = 40
MAX_REASONS = 20
MAX_CELL = 160
MAX_EXCLUDED = 40
ICON = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.ERROR: "⛔",
    Verdict.NOT_EVALUATED: "⚠️",
}
_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]()#+!|~>"})
#: GitHub links or notifies after rendering: bare URLs and `www.` (autolinks, even inside
#: <code>), @name (a ping; an entity alone is decoded back to `@`), #123 and GH-123
#: (cross-references). A zero-width space inside the trigger keeps each one plain text.
_ZWSP = "&#8203;"
_LINKISH = re.compile(r"(://|(?i:www)\.|&#64;|\\#(?=\d)|\b(?i:gh)-(?=\d))")


def render(saved: SavedResults, now: datetime, trends: Trends | None = None) -> str:
    return render_model(build(saved, now), trend=trends.summary_line() if trends else None)


def render_model(model: ReportModel, *, top: int = TOP_FINDINGS, trend: str | None = None) -> str:
    text = _render(model, top=top, controls=MAX_CONTROLS)
    if trend is not None:
        # One line under the heading: what changed since the branch's previous recorded run.
        head, _, rest = text.partition("\n\n")
        text = f"{head}\n\n**Trend:** {cell(trend)}\n\n{rest}"
    # The caps above bound the size; this is the last guard for pathological text.
    while len(text) > MAX_CHARS and top > 0:
        top //= 2
        text = _render(model, top=top, controls=min(MAX_CONTROLS, top))
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 80] + "\n\n_… summary cut to fit GitHub's comment limit._\n"
    return text


def _render(model: ReportModel, *, top: int, controls: int) -> str:
    out = [
        *_heading(model),
        *_failed_runs(model),
        *_reasons(model),
        *_warnings(model),
        *_counts(model),
        *_top_findings(model, top),
        *_failing_controls(model, controls),
        *_not_assessed(model, controls),
        *_excluded(model),
        *_scanners(model),
        _footer(model),
    ]
    return "\n".join(out) + "\n"


def _heading(model: ReportModel) -> list[str]:
    decision = model.decision
    head = f"## {ICON[model.verdict]} secscan: {model.verdict_label}"
    if decision is None:
        return [head, "", "No gate decision was saved with these results: nothing was judged.", ""]
    gate = "passed" if decision.passed else "failed"
    return [f"{head} (gate {gate}, profile {code(decision.profile)})", ""]


def _failed_runs(model: ReportModel) -> list[str]:
    out = []
    for rv in model.failed_runs:
        note = " (tolerated by the profile)" if rv.tolerated else ""
        out.append(f"> **{esc(rv.run.scanner)} failed{note}**: {cell(rv.run.error or 'error')}  ")
    if model.failed_runs:
        out += ["> The scan is incomplete: what that scanner checks was not assessed.", ""]
    return out


def _reasons(model: ReportModel) -> list[str]:
    if not model.reasons:
        return []
    decision = model.decision
    out = ["**Why the gate failed**" if decision and not decision.passed else "**Reasons**", ""]
    out += [f"- {code(r.rule)} {cell(r.message)}" for r in model.reasons[:MAX_REASONS]]
    if len(model.reasons) > MAX_REASONS:
        out.append(f"- … and {len(model.reasons) - MAX_REASONS} more (see the HTML report)")
    return [*out, ""]


def _warnings(model: ReportModel) -> list[str]:
    out = [f"- ⚠️ {cell(w)}" for w in model.warnings[:MAX_REASONS]]
    return [*out, ""] if model.warnings else out


def _counts(model: ReportModel) -> list[str]:
    """The headline counts what can gate; test, example and docs findings stand apart."""
    counts = " · ".join(f"{n} {s.value}" for s, n in model.gating_by_severity)
    apart = model.apart
    extra = _count_notes(model)
    out = [f"**{len(model.failing)} finding(s) fail the gate**", ""] if model.failing else []
    if not apart:
        return [*out, f"**{len(model.open_findings)} open finding(s)**: {counts}{extra}", ""]
    gating = len(model.open_findings) - len(apart)
    scopes = ", ".join(f"{s} {n}" for s, n in model.apart_by_scope)
    return [
        *out,
        f"**{gating} open finding(s)** in source and other gating scopes: {counts}{extra}; "
        f"apart: {scopes}",
        "",
    ]


def _count_notes(model: ReportModel) -> str:
    """What the open count leaves out: waived, inline-suppressed, below the threshold."""
    extra = f"; {len(model.waived_findings)} waived" if model.waived_findings else ""
    if model.inline_suppressed:
        honoured = len(model.suppressed_findings)
        extra += (
            f"; {len(model.inline_suppressed)} with an inline suppression "
            f"({honoured} honoured by the profile)"
        )
    if model.below_threshold:
        extra += f"; {model.below_threshold} below the report threshold"
    return extra


def _top_findings(model: ReportModel, top: int) -> list[str]:
    open_findings = model.headline_findings
    if not (open_findings and top):
        return []
    return [
        f"### Top findings ({min(top, len(open_findings))} of {len(open_findings)})",
        "",
        *_findings_table(open_findings[:top]),
        "",
    ]


def _failing_controls(model: ReportModel, controls: int) -> list[str]:
    failing = model.failing_controls
    if not (failing and controls):
        return []
    out = [f"### Failing controls ({len(failing)})", "", *_controls_table(failing[:controls])]
    if len(failing) > controls:
        out.append(f"\n… and {len(failing) - controls} more (see the compliance report)")
    return [*out, ""]


def _not_assessed(model: ReportModel, controls: int) -> list[str]:
    not_assessed = model.not_assessed_controls
    if not not_assessed:
        return []
    ids = ", ".join(esc(cv.result.control_id) for cv in not_assessed[:controls])
    more = f" and {len(not_assessed) - controls} more" if len(not_assessed) > controls else ""
    return [f"**Not assessed** ({len(not_assessed)}): {ids}{more}", ""]


def _excluded(model: ReportModel) -> list[str]:
    if not model.excluded:
        return []
    out = [f"<details><summary>Excluded from the scan ({len(model.excluded)})</summary>", ""]
    out += [f"- {code(e.path)}: {cell(e.reason)}" for e in model.excluded[:MAX_EXCLUDED]]
    if len(model.excluded) > MAX_EXCLUDED:
        out.append(f"- … and {len(model.excluded) - MAX_EXCLUDED} more (see the HTML report)")
    return [*out, "", "</details>", ""]


def _scanners(model: ReportModel) -> list[str]:
    out = [
        "<details><summary>Scanners</summary>",
        "",
        "| Scanner | Version | Status | Open | Waived |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for rv in model.runs:
        status = rv.run.status.value + (" (tolerated)" if rv.tolerated else "")
        out.append(
            f"| {cell(rv.run.scanner)} | {cell(rv.run.tool_version or '-')} | {status} "
            f"| {rv.shown} | {rv.waived} |"
        )
    return [*out, "", "</details>", ""]


def _footer(model: ReportModel) -> str:
    result = model.saved.result
    commit = f" · commit {code(result.git_commit[:12])}" if result.git_commit else ""
    scanned, rendered = esc(when(result.started_at)), esc(when(model.generated_at))
    return (
        f"<sub>secscan {esc(result.secscan_version)}{commit} · scanned {scanned}"
        f" · report {rendered}</sub>"
    )


def _findings_table(views: Sequence[FindingView]) -> list[str]:
    if _exploit.any_risk(fv.finding for fv in views):
        return _risk_table(views)
    rows = ["| Severity | Finding | Location | Scanner |", "| --- | --- | --- | --- |"]
    for fv in views:
        f = fv.finding
        loc = f.location.path + (f":{f.location.start_line}" if f.location.start_line else "")
        what = cell(f.title or f.rule_id)
        if f.package is not None:
            fixed = ", ".join(f.package.fixed_versions) or "no fix known"
            what += f" ({cell(f.package.name)} {cell(f.package.version)}, fixed in {cell(fixed)})"
        new = " 🆕" if fv.new else ""
        rows.append(
            f"| {f.severity.value} | {what} {code(f.rule_id)}{new} | {code(loc)} "
            f"| {cell(f.scanner)} |"
        )
    return rows


def _risk_table(views: Sequence[FindingView]) -> list[str]:
    """The findings table with a Risk column (docs/risk.md), when some finding has EPSS or
    KEV data: the severity-ordered table's rows, each with its score after the severity."""
    rows = _findings_table([replace(fv, finding=replace(fv.finding, epss=None, kev=None))
                            for fv in views])  # fmt: skip
    out = ["| Severity | Risk | Finding | Location | Scanner |", "| --- | ---: | --- | --- | --- |"]
    for fv, row in zip(views, rows[2:], strict=True):
        severity, rest = row[2:].split(" | ", 1)
        out.append(f"| {severity} | {cell(_exploit.risk_text(fv.finding))} | {rest}")
    return out


def _controls_table(controls: Iterable[ControlView]) -> list[str]:
    rows = ["| Framework | Control | Title | Findings |", "| --- | --- | --- | ---: |"]
    rows += [
        f"| {cell(cv.result.framework)} | {cell(cv.result.control_id)} | {cell(cv.result.title)} "
        f"| {len(cv.findings)} |"
        for cv in controls
    ]
    return rows


def esc(text: str) -> str:
    """Text that GitHub renders as itself: no markup, no HTML, no mentions or links."""
    shown = visible(text)
    escaped = html.escape(shown, quote=False).translate(_MD_SPECIAL).replace("@", "&#64;")
    return _LINKISH.sub(_break, escaped)


def _break(m: re.Match[str]) -> str:
    hit = m.group(0)
    if hit == "://":
        return f":{_ZWSP}//"
    if hit.endswith((".", "-")):  # www. GH-
        return f"{hit[:-1]}{_ZWSP}{hit[-1]}"
    return f"{hit}{_ZWSP}"  # &#64; and \#


def cell(text: str, limit: int = MAX_CELL) -> str:
    """One table cell: one line, no pipe, bounded."""
    one = " ".join(text.split())
    if len(one) > limit:
        one = one[: limit - 1] + "…"
    return esc(one)


def code(text: str, limit: int = MAX_CELL) -> str:
    """Inline code that no backtick or pipe in the text can break out of."""
    return f"<code>{cell(text, limit)}</code>"
