"""The summary printed after a scan: verdict, counts, top findings, failures, report paths."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

from secscan.app.values import (
    APART_SCOPES,
    TOOLS_LOCK_KEY,
    Decision,
    Finding,
    RunStatus,
    SavedResults,
    ScanResult,
    Severity,
    gaps_by_type,
    headline_order,
)

TOP = 10
#: Report files named on the "reports:" line; the rest are counted (`secscan ci` writes 30+).
REPORTS_SHOWN = 3


def summary(saved: SavedResults, written: Sequence[str] = (), *, top: int = TOP) -> str:
    result, decision = saved.result, saved.decision
    lines = [
        *_headline(result, decision),
        *_runs(result),
        *_coverage(result),
        *_top_findings(result, decision, top),
    ]
    if written:
        lines.append("  reports: " + reports_line(written))
    if decision is not None:
        lines.extend(_verdict(decision))
    return "\n".join(lines) + "\n"


def _headline(result: ScanResult, decision: Decision | None) -> list[str]:
    findings = result.findings
    # The headline counts what can gate; test, example and docs findings stand apart.
    gating = [f for f in findings if f.scope not in APART_SCOPES]
    apart = [f for f in findings if f.scope in APART_SCOPES]
    lines = [f"secscan {result.secscan_version}: {len(findings)} finding(s) in {result.root}"]
    if decision is not None and decision.failing_fingerprints:
        lines.append(f"  failing the gate: {len(decision.failing_fingerprints)} finding(s)")
    lines.append(
        f"  by severity{' (source and other gating scopes)' if apart else ''}: " + _counts(gating)
    )
    if apart:
        by_scope = Counter(f.scope.value for f in apart)
        lines.append(
            "  apart: "
            + ", ".join(f"{s} {n}" for s, n in sorted(by_scope.items()))
            + f" ({_counts(apart)})"
        )
    return lines


def _runs(result: ScanResult) -> list[str]:
    lines = ["  by scanner:"]
    for run in result.runs:
        state = {
            RunStatus.OK: f"{len(run.findings)} finding(s), {run.targets} target(s)",
            RunStatus.SKIPPED: f"skipped ({run.error})",
            RunStatus.ERROR: f"ERROR: {run.error}",
        }[run.status]
        version = f" {run.tool_version}" if run.tool_version else ""
        lines.append(f"    {run.scanner}{version}: {state} [{run.duration_s:.1f}s]")
        lines.extend(f"      note: {safe_text(n)}" for n in run.notes)
    lock = dict(result.metadata).get(TOOLS_LOCK_KEY)
    if lock is not None:
        lines.append(f"  tools lock: {safe_text(lock)}")
    return lines


def _coverage(result: ScanResult) -> list[str]:
    """What was not analyzed, what no scanner covers, what was excluded."""
    lines = []
    not_analyzed = [
        *result.not_analyzed,
        *(n for r in result.runs for n in r.not_analyzed if not n.uncovered),
    ]
    if not_analyzed:
        lines.append(f"  not analyzed: {len(not_analyzed)} file(s)")
        lines.extend(f"    {safe_text(n.path)}: {safe_text(n.reason)}" for n in not_analyzed[:5])
        if len(not_analyzed) > 5:
            lines.append(f"    ... and {len(not_analyzed) - 5} more (see the reports)")
    gaps = gaps_by_type(result.fates or ())
    if gaps:
        by_type = ", ".join(f"{safe_text(t)} {len(p)}" for t, p in gaps.items())
        lines.append(
            f"  outside coverage: {sum(len(p) for p in gaps.values())} file(s) no selected "
            f"scanner has a rule for: {by_type}"
        )
    if result.excluded:
        shown = ", ".join(safe_text(e.path) for e in result.excluded[:5])
        more = f" and {len(result.excluded) - 5} more" if len(result.excluded) > 5 else ""
        lines.append(
            f"  excluded: {len(result.excluded)} path(s): {shown}{more} (reasons in the reports)"
        )
    return lines


def _top_findings(result: ScanResult, decision: Decision | None, top: int) -> list[str]:
    findings = result.findings
    if not findings:
        return []
    failing = set(decision.failing_fingerprints) if decision is not None else set()
    lines = ["  top findings:"]
    for f in headline_order(findings, failing)[:top]:
        loc = f.location.path + (f":{f.location.start_line}" if f.location.start_line else "")
        lines.append(
            f"    [{f.severity.value.upper():8}] {safe_text(loc)}  "
            f"{f.scanner}/{safe_text(f.rule_id)}: {safe_text(f.title)}"
            + (f" ({f.scope.value})" if f.scope in APART_SCOPES else "")
        )
    return lines


def _verdict(decision: Decision) -> list[str]:
    if decision.baseline is not None:
        new = len(decision.new_fingerprints or ())
        lines = [f"  baseline: {safe_text(decision.baseline)} ({new} new fingerprint(s))"]
    else:
        lines = ["  baseline: none (secscan baseline create writes .secscan-baseline.json)"]
    verdict = "PASSED" if decision.passed else "FAILED"
    lines.append(f"gate {verdict} (profile {decision.profile})")
    lines.extend(f"  - {r.rule}: {safe_text(r.message)}" for r in decision.reasons)
    lines.extend(f"  ! {safe_text(w)}" for w in decision.warnings)
    return lines


def _counts(findings: Sequence[Finding]) -> str:
    by_sev = Counter(f.severity for f in findings)
    return ", ".join(f"{s.value} {by_sev.get(s, 0)}" for s in sorted(Severity, reverse=True))


def reports_line(written: Sequence[str]) -> str:
    """The files written, short: a handful by name, the rest counted, and where they all are
    (a `ci` run's 30-odd paths made one ~1,000-character line)."""
    folders = list(dict.fromkeys(str(PurePath(w).parent) for w in written))
    names = [PurePath(w).name for w in written] if len(folders) == 1 else list(written)
    shown = ", ".join(safe_text(n) for n in names[:REPORTS_SHOWN])
    if len(names) <= REPORTS_SHOWN:
        where = f" in {safe_text(folders[0])}/" if len(folders) == 1 else ""
        return f"{shown}{where}"
    rest = len(names) - REPORTS_SHOWN
    if len(folders) == 1:
        return f"{len(names)} files in {safe_text(folders[0])}/ ({shown} and {rest} more)"
    return f"{len(names)} files ({shown} and {rest} more)"


def safe_text(text: str) -> str:
    """Terminal output never carries control characters from scanned content."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
