"""What the VEX formats (CycloneDX's vulnerabilities, OpenVEX) share: which findings they state
about, and how a waiver reads as a `not_affected` statement and back.

A waiver has a free-text reason; one that starts with an OpenVEX justification
(`vulnerable_code_not_in_execute_path: only the CLI imports it`) states that justification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from secscan.findings import Finding, FindingKind
from secscan.policy.decision import WaiverRecord
from secscan.report.model import FindingView, ReportModel

#: OpenVEX's justifications (CISA's minimum requirements), in its own spelling.
JUSTIFICATIONS: tuple[str, ...] = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
#: The CycloneDX justification closest to each OpenVEX one (CycloneDX's list is finer).
CYCLONEDX_JUSTIFICATION: dict[str, str] = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
OPENVEX_JUSTIFICATION: dict[str, str] = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}
_PREFIX = re.compile(r"^\s*(" + "|".join(JUSTIFICATIONS) + r")\s*:\s*(.*)$", re.DOTALL)
#: How a waiver's accountability travels in a VEX note (parsed back by `waiver_note`).
_NOTE = re.compile(
    r"^secscan waiver (?P<id>\S+); owner (?P<owner>\S.*?); expires (?P<expires>\d{4}-\d{2}-\d{2})$"
)
VEX_KINDS = (FindingKind.DEPENDENCY, FindingKind.IMAGE)


@dataclass(frozen=True, slots=True)
class Reason:
    justification: str | None
    impact: str


def split_reason(reason: str) -> Reason:
    m = _PREFIX.match(reason)
    if m is None:
        return Reason(None, reason.strip())
    return Reason(m.group(1), m.group(2).strip() or m.group(1))


def join_reason(justification: str | None, impact: str | None) -> str:
    text = (impact or "").strip()
    if justification is None:
        return text
    return f"{justification}: {text}" if text and text != justification else justification


def note(w: WaiverRecord) -> str:
    return f"secscan waiver {w.id}; owner {w.owner}; expires {w.expires.isoformat()}"


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    owner: str
    expires: date


def parse_note(text: str | None) -> Note | None:
    m = _NOTE.match((text or "").strip())
    if m is None:
        return None
    try:
        return Note(m["id"], m["owner"], date.fromisoformat(m["expires"]))
    except ValueError:
        return None


def vex_findings(model: ReportModel) -> tuple[FindingView, ...]:
    """Dependency and image findings with a package: the subjects a VEX statement can name."""
    return tuple(
        fv
        for fv in model.findings
        if fv.finding.kind in VEX_KINDS and fv.finding.package is not None
    )


def product_id(f: Finding) -> str:
    """The package URL a statement names (built from name and version when the tool gave none)."""
    p = f.package
    assert p is not None  # noqa: S101 - vex_findings filtered
    if p.purl:
        return p.purl
    kind = "pypi" if p.ecosystem.lower() == "pypi" else "generic"
    name = p.name.lower() if kind == "pypi" else p.name
    return f"pkg:{kind}/{name}@{p.version}"
