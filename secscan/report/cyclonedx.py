"""CycloneDX 1.6 SBOM of what was scanned, with a VEX `vulnerabilities` section.

Built with cyclonedx-python-lib (never hand-written JSON). Components are the packages the
scanners saw (a dependency scanner's pins, an image's packages) and every package a finding
names. Each dependency or image finding is a vulnerability: waived ones are `not_affected` with
the waiver's justification, detail, owner and expiry; open ones are `exploitable`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal

from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from secscan.model.findings import Finding, Package, Severity
from secscan.model.results import SavedResults
from secscan.policy import vex
from secscan.report import _vex, sbom_licenses
from secscan.report.model import FindingView, ReportModel, build
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

#: Fixed namespace: the same scan gives the same serial number (reports are byte-identical).
NAMESPACE = uuid.UUID("2f0c8f4e-6a51-5d0b-8c55-0b5c6ad6c0de")
SEVERITY: dict[Severity, VulnerabilitySeverity] = {
    Severity.CRITICAL: VulnerabilitySeverity.CRITICAL,
    Severity.HIGH: VulnerabilitySeverity.HIGH,
    Severity.MEDIUM: VulnerabilitySeverity.MEDIUM,
    Severity.LOW: VulnerabilitySeverity.LOW,
    Severity.INFO: VulnerabilitySeverity.INFO,
}
#: Properties carrying what CycloneDX's analysis has no field for (read back by import-vex).
PROP_WAIVER = "secscan:waiver:id"
PROP_OWNER = "secscan:waiver:owner"
PROP_EXPIRES = "secscan:waiver:expires"
PROP_FINGERPRINT = "secscan:fingerprint"


def render(saved: SavedResults, now: datetime) -> str:
    # Compact: the text is parsed again at once, and the library indents with the slow
    # pure-Python encoder.
    text = JsonV1Dot6(bom(build(saved, now))).output_as_string()
    # The library's key order varies with its internals; sorted keys make the bytes stable.
    return (
        json_visible(_json.dumps_indented(json.loads(text), sort_keys=True, ensure_ascii=False))
        + "\n"
    )


def bom(model: ReportModel) -> Bom:
    result = model.saved.result
    packages = _packages(model)
    components = {ref: _component(ref, p) for ref, p in packages.items()}
    root_name = result.root.rstrip("/").rsplit("/", 1)[-1] or "scanned-tree"
    application = Component(
        name=root_name,
        type=ComponentType.APPLICATION,
        bom_ref="secscan-scan-root",
        version=result.git_commit,
    )
    when = result.finished_at or result.started_at
    meta = BomMetaData(
        component=application,
        timestamp=when,
        properties=[
            Property(name="secscan:version", value=result.secscan_version),
            Property(name="secscan:verdict", value=model.verdict.value),
            *(
                Property(name=f"secscan:scanner:{r.run.scanner}", value=r.run.status.value)
                for r in model.runs
            ),
        ],
    )
    meta.tools.components.add(
        Component(name="secscan", version=result.secscan_version, type=ComponentType.APPLICATION)
    )
    serial = uuid.uuid5(NAMESPACE, f"{result.root}\0{result.git_commit}\0{when.isoformat()}")
    out = Bom(
        components=[components[ref] for ref in sorted(components)],
        serial_number=serial,
        metadata=meta,
        vulnerabilities=[_vulnerability(fv, model) for fv in _vex.vex_findings(model)],
    )
    out.register_dependency(application, [components[ref] for ref in sorted(components)])
    return out


def _packages(model: ReportModel) -> dict[str, Package]:
    found: dict[str, Package] = {}
    for rv in model.runs:
        for p in rv.run.components:
            sbom_licenses.keep(found, _ref(p), p)
    for fv in _vex.vex_findings(model):
        if fv.finding.package is not None:
            found.setdefault(_vex.product_id(fv.finding), fv.finding.package)
    return found


def _ref(p: Package) -> str:
    return vex.product_id(p)


def _component(ref: str, p: Package) -> Component:
    try:
        purl = PackageURL.from_string(ref)
    except ValueError:
        purl = None
    return Component(
        name=p.name,
        version=p.version,
        type=ComponentType.LIBRARY,
        bom_ref=ref,
        purl=purl,
        licenses=sbom_licenses.of(p),
        properties=[Property(name="secscan:ecosystem", value=p.ecosystem)] if p.ecosystem else None,
    )


def _vulnerability(fv: FindingView, model: ReportModel) -> Vulnerability:
    f = fv.finding
    ref = _vex.product_id(f)
    props = [Property(name=PROP_FINGERPRINT, value=f.fingerprint)] if f.fingerprint else []
    if fv.waiver is not None:
        w = fv.waiver
        reason = _vex.split_reason(w.reason)
        justification = (
            ImpactAnalysisJustification(_vex.CYCLONEDX_JUSTIFICATION[reason.justification])
            if reason.justification
            else None
        )
        analysis = VulnerabilityAnalysis(
            state=ImpactAnalysisState.NOT_AFFECTED,
            justification=justification,
            detail=f"{w.reason} ({_vex.note(w)})",
        )
        props += [
            Property(name=PROP_WAIVER, value=w.id),
            Property(name=PROP_OWNER, value=w.owner),
            Property(name=PROP_EXPIRES, value=w.expires.isoformat()),
        ]
    else:
        analysis = VulnerabilityAnalysis(
            state=ImpactAnalysisState.EXPLOITABLE,
            detail="open: no waiver accepts this finding",
        )
    return Vulnerability(
        bom_ref=f"{f.rule_id}/{f.fingerprint or ref}",
        id=f.rule_id,
        source=_source(f),
        references=[VulnerabilityReference(id=a, source=_alias_source(a)) for a in f.aliases if a],
        ratings=[_rating(f)],
        cwes=list(f.cwe) or None,
        description=f.title or None,
        detail=f.message or None,
        recommendation=_recommendation(f),
        analysis=analysis,
        affects=[BomTarget(ref=ref)],
        properties=props or None,
    )


def _source(f: Finding) -> VulnerabilitySource:
    url = next((u for u in f.references if u.startswith(("https://", "http://"))), None)
    name = "OSV" if f.rule_id.startswith(("PYSEC-", "GHSA-")) else f.scanner
    return VulnerabilitySource(name=name, url=XsUri(url) if url else None)


def _alias_source(alias: str) -> VulnerabilitySource:
    if alias.startswith("CVE-"):
        return VulnerabilitySource(
            name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{alias}")
        )
    if alias.startswith("GHSA-"):
        return VulnerabilitySource(
            name="GitHub", url=XsUri(f"https://github.com/advisories/{alias}")
        )
    return VulnerabilitySource(name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{alias}"))


def _rating(f: Finding) -> VulnerabilityRating:
    method = None
    if f.cvss_vector and f.cvss_vector.startswith("CVSS:3"):
        method = (
            VulnerabilityScoreSource.CVSS_V3_1
            if f.cvss_vector.startswith("CVSS:3.1")
            else VulnerabilityScoreSource.CVSS_V3
        )
    elif f.cvss_vector and f.cvss_vector.startswith("CVSS:4"):
        method = VulnerabilityScoreSource.CVSS_V4
    score = f.cvss_score if f.cvss_score is not None and 0.0 <= f.cvss_score <= 10.0 else None
    return VulnerabilityRating(
        severity=SEVERITY[f.severity],
        score=Decimal(str(score)) if score is not None else None,
        method=method,
        vector=f.cvss_vector if method is not None else None,
    )


def _recommendation(f: Finding) -> str | None:
    if f.remediation:
        return f.remediation
    p = f.package
    if p is not None and p.fixed_versions:
        return f"Upgrade {p.name} to {' or '.join(p.fixed_versions)} or later."
    return "No fixed version is known." if p is not None else None
