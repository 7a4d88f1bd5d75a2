"""What the VEX formats (CycloneDX's vulnerabilities, OpenVEX) share: which findings they state
about, and how a waiver reads as a `not_affected` statement (vocabulary in policy/vex.py).

A waiver has a free-text reason; one that starts with an OpenVEX justification
(`vulnerable_code_not_in_execute_path: only the CLI imports it`) states that justification.
"""

from __future__ import annotations

from secscan.model.decision import WaiverRecord
from secscan.model.findings import Finding
from secscan.policy import vex
from secscan.report.model import FindingView, ReportModel

VEX_KINDS = vex.VEX_KINDS
split_reason = vex.split_reason
CYCLONEDX_JUSTIFICATION = vex.CYCLONEDX_JUSTIFICATION


def note(w: WaiverRecord) -> str:
    return vex.note(w.id, w.owner, w.expires)


def vex_findings(model: ReportModel) -> tuple[FindingView, ...]:
    """Dependency and image findings naming one package version: what a VEX statement can be
    about (an unpinned requirement names a range, not a vulnerability)."""
    return tuple(
        fv
        for fv in model.findings
        if fv.finding.kind in VEX_KINDS
        and fv.finding.package is not None
        and vex.concrete(fv.finding.package)
    )


def product_id(f: Finding) -> str:
    assert f.package is not None  # noqa: S101 - vex_findings keeps findings with a package
    return vex.product_id(f.package)
