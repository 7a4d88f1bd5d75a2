"""The terminal audit view: live per-scanner progress, then findings grouped by rule, controls.

It is sized for a person at a terminal, not for completeness: findings are grouped by
severity and rule with a count and the worst few examples, and each control is one line
naming the rules behind it. The full list is in the reports (HTML, SARIF, JSON).

Renderers return rich `Text`; the CLI prints `.plain` when stdout is not a terminal, so piped
output carries no escape codes and no timings (it is the same for the same scan). Scanned
content never reaches the terminal raw: control characters are shown escaped, and no text
is parsed as rich markup.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from rich.text import Text

from secscan.app.reports import (
    SEVERITIES,
    ControlView,
    FindingView,
    ReportModel,
    Verdict,
)
from secscan.app.values import (
    ControlState,
    FindingKind,
    Phase,
    ProgressEvent,
    RunStatus,
    ScannerRun,
    Severity,
)
from secscan.cli.views.compact import first_sentence, location
from secscan.cli.views.terminal import safe_text

SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
STATE_STYLE: dict[ControlState, str] = {
    ControlState.FAIL: "bold red",
    ControlState.NOT_ASSESSED: "magenta",
    ControlState.WAIVED: "yellow",
    ControlState.BELOW_THRESHOLD: "yellow",
    ControlState.PASS: "green",
}
VERDICT_STYLE: dict[Verdict, str] = {
    Verdict.PASS: "bold green",
    Verdict.FAIL: "bold red",
    Verdict.ERROR: "bold red",
    Verdict.NOT_EVALUATED: "bold yellow",
}
SPINNER = "|/-\\"
#: Examples shown per rule; the rest are counted and left to the reports.
EXAMPLES = 3
#: Rules named on a control's line before "and N more".
CONTROL_RULES = 4
#: Line width when the output is not a terminal (piped output is stable, not resized).
PLAIN_WIDTH = 120
#: Fingerprints are shown this long: enough to be unique, short enough to type.
FP_CHARS = 12


def file_uri(root: Path, rel: str) -> str:
    """An OSC 8 target: terminals open the file when the location is clicked."""
    return (root / rel).resolve().as_uri()


@dataclass(frozen=True)
class Links:
    """Whether to emit OSC 8 hyperlinks (terminals only), and the root paths are relative to."""

    root: Path | None = None

    def style(self, rel: str) -> Style | str:
        if self.root is None or not rel:
            return ""
        return Style(link=file_uri(self.root, rel))


def finding_line(fv: FindingView, links: Links, *, controls: bool = True, indent: int = 4) -> Text:
    """`path:line:col  SEVERITY  scanner rule  #fingerprint  [new|waived]  what  [controls]`

    What a line needs to act on (place, rule, fingerprint for `explain`) comes first, so a
    line cut to the terminal's width loses only the tail of the message.
    """
    f = fv.finding
    line = Text(" " * indent)
    line.append(safe_text(location(f)), style=links.style(f.location.path))
    line.append("  ")
    line.append(f"{f.severity.value.upper():8}", style=SEVERITY_STYLE[f.severity])
    line.append(f" {f.scanner} {safe_text(f.rule_id)}", style="bold")
    if f.fingerprint:
        line.append(f"  #{f.fingerprint[:FP_CHARS]}", style="dim")
    if fv.waiver is not None:
        line.append(
            f"  waived ({safe_text(fv.waiver.id)}, until {fv.waiver.expires.isoformat()})",
            style="yellow",
        )
    elif fv.new is True:
        line.append("  new", style="bold")
    line.append(f"  {safe_text(first_sentence(headline(fv), 100))}")
    if controls and fv.control_ids:
        line.append(f"  [{', '.join(safe_text(c) for c in fv.control_ids)}]", style="dim")
    return line


def headline(fv: FindingView) -> str:
    """What a code finding is, in the tool's words (bandit's titles are often just "blacklist");
    for the other kinds the title is the specific part, and a secret's message is never shown.
    """
    f = fv.finding
    if f.kind is FindingKind.CODE and f.message:
        return f.message
    return f.title


def render(
    model: ReportModel,
    *,
    links: Links | None = None,
    timings: bool = False,
    width: int = PLAIN_WIDTH,
) -> Text:
    """Scanners, findings by severity and rule, controls (one line each), not analyzed, verdict.

    Every line is cut to `width` columns (an ellipsis marks the cut), so nothing wraps.
    """
    links = links or Links()
    out = Text()
    result, decision = model.saved.result, model.decision

    def heading(text: str) -> None:
        out.append("\n")
        out.append(text, style="bold underline")
        out.append("\n")

    out.append(f"secscan audit of {safe_text(result.root)}", style="bold")
    if decision is not None:
        out.append(f"  (profile {decision.profile})")
    out.append("\n")
    heading("Scanners")
    _scanners(out, model, timings, width)
    heading(
        f"Findings by severity: {len(model.open_findings)} open, "
        f"{len(model.waived_findings)} waived"
        + (f", {model.below_threshold} below the report threshold" if model.below_threshold else "")
    )
    _by_severity(out, model.findings, links, width)
    heading("Findings by control")
    _by_control(out, model, width)
    if model.not_analyzed:
        heading(f"Not analyzed: {len(model.not_analyzed)} file(s)")
        for na in model.not_analyzed:
            who = f" ({na.scanner})" if na.scanner else ""
            out.append(f"  {safe_text(na.item.path)}{who}: {safe_text(na.item.reason)}\n")
    heading("Gate")
    _gate(out, model)
    return out


def _scanners(out: Text, model: ReportModel, timings: bool, width: int) -> None:
    for rv in model.runs:
        out.append_text(fit(run_line(rv.run, timings=timings), width))
        out.append("\n")
        for note in rv.run.notes:
            out.append_text(fit(Text(f"    note: {safe_text(note)}", style="yellow"), width))
            out.append("\n")


def _by_severity(out: Text, shown: Sequence[FindingView], links: Links, width: int) -> None:
    if not shown:
        out.append("  none\n")
    for sev in SEVERITIES:
        group = [fv for fv in shown if fv.finding.severity is sev]
        if not group:
            continue
        out.append("  ")
        out.append(f"{sev.value.upper()} ({len(group)})", style=SEVERITY_STYLE[sev])
        out.append("\n")
        for rule_findings in by_rule(group):
            out.append_text(fit(rule_line(rule_findings), width))
            out.append("\n")
            for fv in rule_findings[:EXAMPLES]:
                out.append_text(fit(finding_line(fv, links, controls=False, indent=6), width))
                out.append("\n")
            if len(rule_findings) > EXAMPLES:
                out.append(f"      ... and {len(rule_findings) - EXAMPLES} more\n", style="dim")


def _by_control(out: Text, model: ReportModel, width: int) -> None:
    any_control = False
    for fw in model.frameworks:
        with_findings = [cv for cv in fw.controls if cv.findings or cv.waived]
        if not with_findings:
            continue
        any_control = True
        out.append(f"  {safe_text(fw.title)}\n", style="bold")
        for cv in with_findings:
            out.append_text(fit(control_line(cv), width))
            out.append("\n")
    unmapped = [fv for fv in model.findings if not fv.control_ids]
    if unmapped:
        any_control = True
        line = Text("  mapped to no control", style="bold")
        line.append(f"  {len(unmapped)} finding(s)", style="dim")
        line.append(f"  {rule_summary(unmapped)}", style="dim")
        out.append_text(fit(line, width))
        out.append("\n")
    if not any_control:
        out.append("  no finding maps to a control\n")
    missing = model.not_assessed_controls
    if missing:
        style = STATE_STYLE[ControlState.NOT_ASSESSED]
        out.append(f"  not assessed ({len(missing)}): ", style=style)
        out.append(", ".join(safe_text(cv.key) for cv in missing))
        out.append("\n")


def _gate(out: Text, model: ReportModel) -> None:
    out.append(f"  {model.verdict_label}", style=VERDICT_STYLE[model.verdict])
    if model.decision is not None:
        out.append(f" (profile {model.decision.profile})")
    out.append("\n")
    for r in model.reasons:
        out.append(f"  - {safe_text(r.message)}\n")
    for w in model.warnings:
        out.append(f"  ! {safe_text(w)}\n", style="yellow")
    if model.findings:
        out.append(
            "\nEvery finding, with its fix: the HTML, SARIF and JSON reports "
            "(secscan report --format html).\n",
            style="dim",
        )
        out.append(
            "Why and how to fix: secscan explain RULE-OR-#FINGERPRINT "
            "(e.g. secscan explain " + safe_text(model.findings[0].finding.rule_id) + ")\n",
            style="dim",
        )


def control_line(cv: ControlView) -> Text:
    """`A.8.28 Secure coding  FAIL  5 open, 1 waived  bandit B602 x2, semgrep ... x3`"""
    r = cv.result
    line = Text("    ")
    line.append(f"{r.control_id}", style="bold")
    if r.title:
        line.append(f" {safe_text(r.title)}")
    line.append("  ")
    line.append(cv.state_label.upper(), style=STATE_STYLE[r.state])
    line.append(f"  {len(cv.findings)} open, {len(cv.waived)} waived", style="dim")
    line.append(f"  {rule_summary([*cv.findings, *cv.waived])}", style="dim")
    return line


def rule_key(fv: FindingView) -> tuple[str, str]:
    return fv.finding.scanner, fv.finding.rule_id


def by_rule(findings: list[FindingView]) -> list[list[FindingView]]:
    """Findings grouped by (scanner, rule): biggest group first, worst examples first."""
    groups: dict[tuple[str, str], list[FindingView]] = {}
    for fv in findings:
        groups.setdefault(rule_key(fv), []).append(fv)
    ordered = [sorted(g, key=_worst_first) for g in groups.values()]
    return sorted(ordered, key=lambda g: (-len(g), rule_key(g[0])))


def _worst_first(fv: FindingView) -> tuple[int, int, str, int]:
    f = fv.finding
    return (-f.severity.rank, 0 if fv.new else 1, f.location.path, f.location.start_line or 0)


def rule_line(findings: list[FindingView]) -> Text:
    """`bandit B602  subprocess with shell=True  x12`: one rule, how often, its title."""
    f = findings[0].finding
    line = Text("    ")
    line.append(f"{f.scanner} {safe_text(f.rule_id)}", style="bold")
    line.append(f"  {safe_text(first_sentence(f.title, 80))}")
    line.append(f"  x{len(findings)}", style="bold")
    return line


def rule_summary(findings: list[FindingView]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for fv in findings:
        counts[rule_key(fv)] = counts.get(rule_key(fv), 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    named = ", ".join(f"{s} {safe_text(r)} x{n}" for (s, r), n in ranked[:CONTROL_RULES])
    rest = len(ranked) - CONTROL_RULES
    return named + (f", and {rest} more rule(s)" if rest > 0 else "")


def fit(line: Text, width: int) -> Text:
    """The line cut to `width` columns with an ellipsis, so a terminal never wraps it."""
    if line.cell_len <= width:
        return line
    cut = line[: max(width, 20) - 1]
    cut.append("…")
    return cut


def run_line(run: ScannerRun, *, timings: bool) -> Text:
    """`timings`: durations and cache hits, which describe this run rather than the code, so
    piped output (compared, diffed, grepped) leaves them out.
    """
    line = Text("  ")
    line.append(f"{run.scanner:10}", style="bold")
    version = run.tool_version or ""
    line.append(f" {version:10}")
    if run.status is RunStatus.OK:
        line.append(" done    ", style="green")
        line.append(f" {len(run.findings)} finding(s) in {run.targets} target(s)")
        if run.cached and timings:
            line.append(" (cached)", style="dim")
    elif run.status is RunStatus.SKIPPED:
        line.append(" skipped ", style="dim")
        line.append(f" {safe_text(run.error or '')}", style="dim")
    else:
        line.append(" FAILED  ", style="bold red")
        line.append(f" {safe_text(first_sentence(run.error or 'no detail', 200))}")
    if timings and run.status is not RunStatus.SKIPPED:
        line.append(f"  {run.duration_s:.1f}s", style="dim")
    return line


class Board:
    """Live progress: which scanner is running, done or failed, and for how long.

    The pipeline calls it from its worker threads; the terminal redraws it from another.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._finished: dict[str, ScannerRun] = {}
        self._order: list[str] = []

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.scanner not in self._order:
                self._order.append(event.scanner)
            if event.phase is Phase.STARTED:
                self._started[event.scanner] = self._clock()
            elif event.run is not None:
                self._finished[event.scanner] = event.run

    def render(self) -> Text:
        with self._lock:
            now = self._clock()
            out = Text()
            running = [n for n in self._order if n in self._started and n not in self._finished]
            done = len(self._finished)
            out.append(f"scanning: {done} of {len(self._order)} scanner(s) finished\n", "bold")
            for name in self._order:
                run = self._finished.get(name)
                if run is None:
                    elapsed = now - self._started.get(name, now)
                    line = Text("  ")
                    line.append(f"{name:10}", style="bold")
                    line.append(f" {'':10} ")
                    line.append(f"running {SPINNER[int(now * 8) % len(SPINNER)]}", style="cyan")
                    line.append(f"  {elapsed:.1f}s", style="dim")
                else:
                    line = run_line(run, timings=True)
                out.append_text(line)
                out.append("\n")
            if not running and not self._order:
                out.append("  starting...\n", style="dim")
            return out
