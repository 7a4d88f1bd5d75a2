"""JUnit XML for GitLab/Jenkins/Azure test dashboards: gate rules, scanners, controls as tests."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET  # noqa: S405 - we only build XML, never parse it

from secscan.model.decision import SCANNER_ERROR_RULE, ControlState
from secscan.model.findings import RunStatus
from secscan.model.results import SavedResults
from secscan.report.model import ControlView, FindingView, ReportModel, build
from secscan.util.text import visible

#: A failure lists at most this many findings; the HTML report has them all.
MAX_LISTED = 200
#: XML 1.0 cannot carry these at all, escaped or not; scanned text may contain them.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(saved: SavedResults, now: datetime) -> str:
    return render_model(build(saved, now))


def render_model(model: ReportModel) -> str:
    root = ET.Element("testsuites", name="secscan")
    suites = [_gate_suite(model), _scanner_suite(model)]
    suites += [_framework_suite(model, fw.id, fw.title, fw.controls) for fw in model.frameworks]
    for s in suites:
        root.append(s)
    _totals(root, suites)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _gate_suite(model: ReportModel) -> ET.Element:
    decision = model.decision
    suite = _suite("secscan.gate", model)
    props = ET.SubElement(suite, "properties")
    _prop(props, "verdict", model.verdict.value)
    if decision is None:
        case = _case(suite, "secscan.gate", "gate decision")
        _child(
            case,
            "error",
            "no gate decision was saved with these results: nothing was judged",
            "not-evaluated",
            "",
        )
        return suite
    _prop(props, "profile", decision.profile)
    _prop(props, "outcome", decision.outcome.value)
    if decision.baseline:
        _prop(props, "baseline", decision.baseline)
    _prop(props, "inline_suppressions", str(len(model.inline_suppressed)))
    _prop(props, "inline_suppressions_honoured", str(len(model.suppressed_findings)))
    by_fp = {fv.finding.fingerprint: fv for fv in model.findings}
    if not decision.reasons:
        case = _case(suite, "secscan.gate", f"gate (profile {decision.profile})")
        _out(case, "\n".join(decision.warnings))
    elif decision.warnings:  # a failed gate's warnings are still read (a bypass among them)
        _out(_case(suite, "secscan.gate", "gate warnings"), "\n".join(decision.warnings))
    for reason in decision.reasons:
        case = _case(suite, "secscan.gate", reason.rule)
        listed = [by_fp[fp] for fp in reason.fingerprints if fp in by_fp]
        kind = "error" if reason.rule == SCANNER_ERROR_RULE else "failure"
        _child(case, kind, reason.message, reason.rule, _listing(listed, len(reason.fingerprints)))
    if model.not_analyzed:  # whatever the outcome: their flaws are unknown
        lines = [
            f"{n.item.path} ({n.scanner or 'discovery'}): {n.item.reason}"
            for n in model.not_analyzed[:MAX_LISTED]
        ]
        if len(model.not_analyzed) > MAX_LISTED:
            lines.append(f"... and {len(model.not_analyzed) - MAX_LISTED} more")
        _out(_case(suite, "secscan.gate", "files not analyzed"), "\n".join(lines))
    return suite


def _scanner_suite(model: ReportModel) -> ET.Element:
    suite = _suite("secscan.scanners", model)
    for rv in model.runs:
        run = rv.run
        case = _case(suite, "secscan.scanners", run.scanner, run.duration_s)
        if run.status is RunStatus.ERROR:
            note = " (tolerated by the profile)" if rv.tolerated else ""
            _child(
                case,
                "error",
                f"{run.scanner} could not assess its targets{note}",
                "scanner-error",
                run.error or "",
            )
        elif run.status is RunStatus.SKIPPED:
            _child(case, "skipped", run.error or "skipped", None, None)
        else:
            _out(
                case,
                f"{run.scanner} {run.tool_version or ''}: {rv.shown} open, {rv.waived} "
                f"waived finding(s) in {run.targets} target(s)",
            )
    return suite


def _framework_suite(
    model: ReportModel, framework: str, title: str, controls: Sequence[ControlView]
) -> ET.Element:
    suite = _suite(framework, model)
    props = ET.SubElement(suite, "properties")
    _prop(props, "framework", title)
    for cv in controls:
        c = cv.result
        case = _case(suite, framework, f"{c.control_id} {c.title}".strip())
        if c.state is ControlState.FAIL:
            _child(
                case,
                "failure",
                f"{len(cv.findings)} finding(s) evidence a failure of {c.control_id}",
                "control-fail",
                _listing(cv.findings, len(c.fingerprints)),
            )
        elif c.state is ControlState.NOT_ASSESSED:
            needs = f" (needs a {', '.join(c.evidenced_by)} scanner)" if c.evidenced_by else ""
            why = c.note or f"no scanner that can evidence {c.control_id} ran{needs}"
            _child(case, "skipped", f"not assessed: {why}", None, None)
        elif c.state is ControlState.WAIVED:
            _out(case, "waived:\n" + _listing(cv.waived, len(c.waived_fingerprints), waivers=True))
        else:
            _out(case, c.note or f"no finding; evidence from {', '.join(c.scanners) or '-'}")
    return suite


def _listing(views: Sequence[FindingView], total: int, *, waivers: bool = False) -> str:
    lines = []
    for fv in views[:MAX_LISTED]:
        f = fv.finding
        loc = f.location.path + (f":{f.location.start_line}" if f.location.start_line else "")
        line = f"[{f.severity.value}] {f.scanner}/{f.rule_id} {loc}: {f.title or f.message}"
        if f.package is not None:
            fixed = ", ".join(f.package.fixed_versions) or "none known"
            line += f" ({f.package.name} {f.package.version}, fixed in {fixed})"
        if waivers and fv.waiver is not None:
            line += f" [waiver {fv.waiver.id} by {fv.waiver.owner} until {fv.waiver.expires}]"
        lines.append(line)
    hidden = total - min(len(views), MAX_LISTED)
    if hidden > 0:
        lines.append(f"... and {hidden} more (see the HTML report)")
    return "\n".join(lines)


def _suite(name: str, model: ReportModel) -> ET.Element:
    started = model.saved.result.started_at
    if started.tzinfo is not None:
        started = started.astimezone(UTC).replace(tzinfo=None)
    stamp = started.isoformat(timespec="seconds")
    return ET.Element("testsuite", name=_clean(name), timestamp=stamp)


def _case(suite: ET.Element, classname: str, name: str, time: float = 0.0) -> ET.Element:
    return ET.SubElement(
        suite, "testcase", classname=_clean(classname), name=_clean(name), time=f"{time:.3f}"
    )


def _child(case: ET.Element, tag: str, message: str, kind: str | None, text: str | None) -> None:
    el = ET.SubElement(case, tag, message=_clean(message))
    if kind:
        el.set("type", _clean(kind))
    if text:
        el.text = _clean(text)


def _out(case: ET.Element, text: str) -> None:
    if text:
        ET.SubElement(case, "system-out").text = _clean(text)


def _prop(props: ET.Element, name: str, value: str) -> None:
    ET.SubElement(props, "property", name=name, value=_clean(value))


def _totals(root: ET.Element, suites: Sequence[ET.Element]) -> None:
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for s in suites:
        cases = s.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        time = sum(float(c.get("time", "0")) for c in cases)
        for k, v in counts.items():
            s.set(k, str(v))
            totals[k] += v
        s.set("time", f"{time:.3f}")
    for k, v in totals.items():
        root.set(k, str(v))


def _clean(text: str) -> str:
    """Controls and bidi overrides shown as `\\u202e` (a CI page shows JUnit text as it is),
    then what XML 1.0 cannot carry at all replaced."""
    return _NOT_XML.sub("\ufffd", visible(text))
