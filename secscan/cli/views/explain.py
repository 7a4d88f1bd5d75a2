"""`secscan explain` as text: what it is, why it matters, how to fix, where; the compliance
controls it evidences last."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from rich.text import Text

from secscan.app.explain import ControlNote, Explanation
from secscan.app.values import redact
from secscan.cli.views.audit import SEVERITY_STYLE, Links
from secscan.cli.views.compact import first_sentence, location
from secscan.cli.views.terminal import safe_text

WIDTH = 88
#: A rule seen a hundred times is explained once; its places are listed up to this many.
MAX_PLACES = 20


def _para(text: str, indent: str = "  ") -> str:
    """Wrapped paragraphs; scanned text is made safe word by word, so its line breaks stay
    breaks and never become escaped characters.
    """
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "\n\n".join(
        textwrap.fill(
            " ".join(safe_text(w) for w in p.split()),
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent,
        )
        for p in paragraphs
    )


def render(ex: Explanation, *, links: Links | None = None) -> Text:
    links = links or Links()
    out = Text()

    def heading(text: str) -> None:
        out.append("\n")
        out.append(text, style="bold underline")
        out.append("\n")

    _title(out, ex, links)
    heading("What it is")
    _what(out, ex)
    heading("Why it matters")
    out.append(_para(" ".join(_why(ex)) or "No severity or weakness is recorded for it.") + "\n")
    heading("How to fix")
    _fix(out, ex)
    if ex.occurrences:
        where = f" in {ex.results_file}" if ex.results_file else ""
        heading(f"Where: {len(ex.occurrences)} finding(s){safe_text(where)}")
        _places(out, ex, links)
    if ex.rule.references:
        heading("References")
        for ref in ex.rule.references:
            out.append(f"  {safe_text(ref)}\n")
    if ex.controls:
        _controls(out, ex.controls, heading)
    return out


def _title(out: Text, ex: Explanation, links: Links) -> None:
    rule = ex.rule
    out.append(safe_text(rule.rule_id), style="bold")
    out.append(f"  {safe_text(first_sentence(rule.title, 100))}")
    out.append(f"  ({rule.scanner}, {rule.kind.value})\n", style="dim")
    if ex.finding is not None:
        f = redact(ex.finding)
        out.append("finding ")
        out.append(f"#{f.fingerprint}", style="bold")
        out.append(" at ")
        out.append(safe_text(location(f)), style=links.style(f.location.path))
        out.append("  ")
        out.append(f.severity.value.upper(), style=SEVERITY_STYLE[f.severity])
        out.append("\n")


def _what(out: Text, ex: Explanation) -> None:
    rule = ex.rule
    description = rule.description or rule.title
    if ex.finding is not None and ex.finding.message and ex.finding.message != description:
        out.append(_para(redact(ex.finding).message) + "\n")
        if rule.description:
            out.append("\n" + _para(rule.description) + "\n")
    else:
        out.append(_para(description) + "\n")
    if rule.source:
        out.append(f"  (from {safe_text(rule.source)})\n", style="dim")


def _why(ex: Explanation) -> list[str]:
    rule = ex.rule
    why = []
    if ex.finding is not None:
        d = ex.finding.decided_by
        why.append(
            f"This finding is {ex.finding.severity.value}: {d.scanner} {d.rule_id}'s rating "
            f"decided ({d.reason})."
        )
    if rule.severity is not None:
        why.append(f"{rule.scanner} rates it {rule.severity.value}.")
    if rule.cwe:
        cwes = (f"CWE-{c} (https://cwe.mitre.org/data/definitions/{c}.html)" for c in rule.cwe)
        why.append("Weakness: " + ", ".join(cwes) + ".")
    if ex.controls:
        frameworks = {n.control.split(":", 1)[0] for n in ex.controls}
        why.append(
            f"The policy maps it to {len(ex.controls)} control(s) of {len(frameworks)} "
            "framework(s) (listed at the end): a finding like this is evidence against them."
        )
    else:
        why.append(
            "The policy maps findings like this to no control; they still count "
            "against the gate's severity thresholds."
        )
    return why


def _fix(out: Text, ex: Explanation) -> None:
    fix = ex.fix or "No fix guidance is recorded for this rule; see the references."
    out.append(_para(fix) + "\n")
    if ex.waivers:
        out.append("\n  Accepted risk:\n")
        for fp, w in ex.waivers:
            out.append(
                f"    #{fp[:12]}: waiver {safe_text(w.id)} by {safe_text(w.owner)} until "
                f"{w.expires.isoformat()}: {safe_text(w.reason)}\n"
            )
    else:
        out.append(
            "  Or accept the risk in .secscan-waivers.yaml (rule, path, reason, owner, expires).\n",
            style="dim",
        )


def _places(out: Text, ex: Explanation, links: Links) -> None:
    for f in ex.occurrences[:MAX_PLACES]:
        out.append("  ")
        out.append(safe_text(location(f)), style=links.style(f.location.path))
        out.append("  ")
        out.append(f"{f.severity.value.upper():8}", style=SEVERITY_STYLE[f.severity])
        out.append(f" #{f.fingerprint[:12]}\n", style="dim")
    if len(ex.occurrences) > MAX_PLACES:
        out.append(f"  ... and {len(ex.occurrences) - MAX_PLACES} more\n")


def _controls(out: Text, controls: tuple[ControlNote, ...], heading: Callable[[str], None]) -> None:
    """Last: the compliance controls a finding like this evidences. One mapping rule names
    several controls for one reason: the controls on a line or a few, the reason once."""
    heading("Controls")
    by_rule: dict[str, list[ControlNote]] = {}
    for note in controls:
        by_rule.setdefault(note.mapping_rule, []).append(note)
    for rule_id, notes in by_rule.items():
        for note in notes:
            out.append("  ")
            out.append(safe_text(note.control), style="bold")
            if note.title:
                out.append(f"  {safe_text(note.title)}")
            out.append("\n")
        out.append(f"    why (mapping rule {safe_text(rule_id)}):\n", style="dim")
        out.append(_para(notes[0].rationale, "    ") + "\n")
