"""The few lines a pre-commit hook prints: the verdict, what blocks the commit, how to go on."""

from __future__ import annotations

from collections.abc import Sequence

from secscan.app.values import (
    WAIVERS_FILE,
    Decision,
    Finding,
    FindingKind,
    RunStatus,
    ScanResult,
    redact,
)
from secscan.cli.views.terminal import safe_text

#: A hook's output is read in a commit dialog: one line per finding, cut to stay on screen.
MESSAGE_CHARS = 160
MAX_LISTED = 20


def location(f: Finding) -> str:
    """`path:line:col`, the form editors and terminals turn into a link to the spot."""
    loc = f.location
    text = loc.path
    if loc.start_line:
        text += f":{loc.start_line}"
        if loc.start_column:
            text += f":{loc.start_column}"
    return text


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def first_sentence(text: str, limit: int = MESSAGE_CHARS) -> str:
    """Tools' messages run to paragraphs; a hook line carries the first sentence."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    return one_line(flat[: end + 1] if end > 0 else flat, limit)


def also_reported(f: Finding) -> str:
    """` (also: bandit B602)`: the other tools that reported the same flaw."""
    if not f.also_reported_by:
        return ""
    return " (also: " + ", ".join(f"{s.scanner} {s.rule_id}" for s in f.also_reported_by) + ")"


def control_ids(f: Finding) -> str:
    """Control ids without their framework (`A.8.28`, `Art.25(1)`): short enough for a line."""
    ids = dict.fromkeys(c.split(":", 1)[-1] for c in f.controls)
    return f" [{', '.join(ids)}]" if ids else ""


def render(
    result: ScanResult,
    decision: Decision,
    *,
    files: int,
    scoped: bool = True,
    waivers_file: str = WAIVERS_FILE,
) -> str:
    """Verdict first; on failure every blocking finding as `path:line:col: severity: ...`.

    `scoped`: only some files were scanned, so a waiver for another file rightly matched
    nothing here; saying so on every commit would teach people to ignore the warnings.
    """
    by_fp = {f.fingerprint: f for f in result.findings if f.fingerprint}
    failing = [by_fp[fp] for fp in decision.failing_fingerprints if fp in by_fp]
    failing.sort(key=lambda f: f.sort_key)
    runs = ", ".join(f"{r.scanner} {_state(r.status)}" for r in result.runs)
    head = f"secscan {decision.profile}: "
    if decision.passed:
        lines = [_passed(head, result, files, runs, len(result.findings) - len(failing))]
    else:
        lines = _blocked(head, decision, failing, runs)
    # A fallback is said on every commit it happens on: it is slower, and may be a broken tool.
    for run in result.runs:
        lines.extend(f"  ! {run.scanner}: {safe_text(one_line(n, 300))}" for n in run.notes)
    warnings = unmatched_waivers_dropped(decision) if scoped else decision.warnings
    lines.extend(f"  ! {safe_text(one_line(w, 300))}" for w in warnings)
    if not decision.passed and failing:
        lines.append(
            f"Fix them, or accept the risk in {waivers_file} (rule, path, reason, owner, "
            f"expires). Why and how to fix: secscan explain {safe_text(failing[0].rule_id)}"
        )
    return "\n".join(lines) + "\n"


def _passed(head: str, result: ScanResult, files: int, runs: str, others: int) -> str:
    extra = f"; {others} finding(s) below the gate" if others else ""
    if any(r.status is RunStatus.OK for r in result.runs):
        return f"{head}passed: {files} file(s) checked ({runs}){extra}"
    # every scanner failed and the profile tolerates it: say nothing was checked
    return f"{head}passed, NOT CHECKED: {files} file(s) given ({runs})"


def _blocked(head: str, decision: Decision, failing: list[Finding], runs: str) -> list[str]:
    """The blocking findings, one line each, then the reasons that name none of them."""
    count = f"{len(failing)} finding(s) block this commit" if failing else "blocked"
    lines = [f"{head}FAILED: {count} ({runs})"]
    lines.extend(_blocking_line(f) for f in failing[:MAX_LISTED])
    if len(failing) > MAX_LISTED:
        lines.append(f"  ... and {len(failing) - MAX_LISTED} more")
    listed = {f.fingerprint for f in failing}
    lines.extend(
        f"  - {safe_text(r.message)}" for r in decision.reasons if not set(r.fingerprints) & listed
    )
    return lines


def _blocking_line(f: Finding) -> str:
    # Credential rules quote the literal (bandit B105): masked, as in every report.
    # A secret's message may quote the line it is on: only its title is printed.
    f = redact(f)
    text = f.title if f.kind is FindingKind.SECRET else (f.message or f.title)
    return (
        f"  {safe_text(location(f))}: {f.severity.value}: {f.scanner} "
        f"{safe_text(f.rule_id)}: "
        f"{safe_text(first_sentence(text))}{safe_text(control_ids(f))}"
        f"{safe_text(also_reported(f))}"
    )


def unmatched_waivers_dropped(decision: Decision) -> tuple[str, ...]:
    """The decision's warnings less "waiver X matches no finding" (the engine's wording)."""
    idle = {
        f"waiver {w.id} ({w.origin}) matches no finding"
        for w in decision.waivers
        if not w.expired and not w.fingerprints
    }
    return tuple(w for w in decision.warnings if w not in idle)


def nothing_to_check(files: Sequence[str], scanners: Sequence[str]) -> str:
    """Said every time, so an empty run is never mistaken for a clean one."""
    return (
        f"secscan: none of the {len(files)} file(s) given is one that "
        f"{', '.join(scanners) or 'any enabled scanner'} reads: nothing checked\n"
    )


def _state(status: RunStatus) -> str:
    return {RunStatus.OK: "ok", RunStatus.SKIPPED: "skipped", RunStatus.ERROR: "FAILED"}[status]
