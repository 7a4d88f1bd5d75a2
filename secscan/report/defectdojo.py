"""DefectDojo "Generic Findings Import" JSON, one file per scanner (one DefectDojo Test each).

`unique_id_from_tool` is the secscan fingerprint, so a re-import keeps a finding's identity and
closes the ones that are gone. Only the fields DefectDojo's generic parser accepts are written:
it rejects a whole file that carries any other per-finding key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from secscan.model.decision import WaiverRecord
from secscan.model.findings import Finding, FindingKind, Package, RunStatus, Severity
from secscan.model.results import SavedResults
from secscan.report.model import (
    FindingView,
    ReportModel,
    RepositoryBase,
    RunView,
    build,
    repository_base,
)
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

#: DefectDojo's SEVERITY_CHOICES, exactly so capitalised (anything else is rejected).
SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
#: The file of one scanner; `{scanner}` is its name.
FILENAME = "secscan-defectdojo-{scanner}.json"
_STATIC = frozenset({FindingKind.CODE, FindingKind.IAC, FindingKind.SECRET})


def render(saved: SavedResults, now: datetime) -> str:
    """Every scanner's findings in one import (one DefectDojo Test named "secscan")."""
    model = build(saved, now)
    return _dumps(_report(model, None))


def render_files(saved: SavedResults, now: datetime) -> dict[str, str]:
    """File name -> content, one per scanner that finished, so each keeps its own Test on
    re-import.

    A scanner that failed (even part-way) or was skipped gets no file: re-imported with
    `close_old_findings=true`, an empty or partial file would close the findings it did not
    see. Its Test in DefectDojo stays as the last complete run left it; the CLI removes a
    stale file of it from an earlier run (see `complete_scanners`).
    """
    model = build(saved, now)
    done = complete_scanners(saved)
    return {
        FILENAME.format(scanner=_safe(name)): _dumps(_report(model, name))
        for name in model.scanners
        if name in done
    }


def complete_scanners(saved: SavedResults) -> frozenset[str]:
    """Scanners every run of which finished (status ok)."""
    runs = saved.result.runs
    return frozenset(
        r.scanner
        for r in runs
        if all(o.status is RunStatus.OK for o in runs if o.scanner == r.scanner)
    )


def _report(model: ReportModel, scanner: str | None) -> dict[str, Any]:
    runs = [r for r in model.runs if scanner is None or r.run.scanner == scanner]
    views = [fv for fv in model.findings if scanner is None or fv.finding.scanner == scanner]
    versions = sorted({r.run.tool_version for r in runs if r.run.tool_version})
    base = repository_base(model.saved)
    name = "secscan" if scanner is None else f"secscan {scanner}"
    return {
        "name": name,
        # Fixed per scanner: a re-import must name the same test type.
        "type": name,
        "version": ", ".join(versions) or model.saved.result.secscan_version,
        "description": _description(model, runs, base),
        "static_tool": True,
        "dynamic_tool": False,
        "findings": [_finding(fv, model, base) for fv in views],
    }


def _description(model: ReportModel, runs: Sequence[RunView], base: RepositoryBase) -> str:
    """What was scanned, and which of these scanners failed or were skipped."""
    description = f"secscan {model.saved.result.secscan_version} scan of {base.scanned}" + (
        "; file paths are relative to the repository's top directory" if base.toplevel else ""
    )
    failed = [r.run for r in runs if r.failed]
    if failed:
        description += "; INCOMPLETE: " + "; ".join(
            f"{r.scanner} failed: {r.error or '?'}" for r in failed
        )
    skipped = [r.run for r in runs if r.run.status is RunStatus.SKIPPED]
    if skipped:
        description += "; skipped: " + ", ".join(r.scanner for r in skipped)
    return description


def _finding(fv: FindingView, model: ReportModel, base: RepositoryBase) -> dict[str, Any]:
    f = fv.finding
    out: dict[str, Any] = {
        "title": _title(f),
        "severity": SEVERITY[f.severity],
        "description": f.message or f.title or f.rule_id,
        "unique_id_from_tool": f.fingerprint,
        "vuln_id_from_tool": f.rule_id,
        "file_path": base.path(f.location.path),
        "static_finding": f.kind in _STATIC,
        "dynamic_finding": False,
        "active": True,
        "verified": False,
    }
    if f.location.start_line:
        out["line"] = f.location.start_line
    if f.cwe:
        out["cwe"] = f.cwe[0]
        out["cwes"] = list(f.cwe)
    if f.kind in (FindingKind.DEPENDENCY, FindingKind.IMAGE):
        out.update(_vulnerability_ids(f))
    if f.package is not None:
        out.update(_component(f.package))
    out.update(_cvss(f))
    mitigation = _mitigation(f)
    if mitigation:
        out["mitigation"] = mitigation
    if f.references:
        out["references"] = "\n".join(f.references)
    out.update(_exploit_fields(f))
    if fv.waiver is not None:
        # Updates "active" in place: the keys keep their order.
        out.update(_risk_accepted(fv.waiver))
    out["tags"] = _tags(fv)
    out["date"] = _date(model)
    return out


def _vulnerability_ids(f: Finding) -> dict[str, Any]:
    """An advisory finding's CVE (`cve`) and its other advisory ids (`vulnerability_ids`)."""
    cves = [a for a in (f.rule_id, *f.aliases) if a.upper().startswith("CVE-")]
    others = [a for a in (f.rule_id, *f.aliases) if a not in cves and "-" in a and a.isascii()]
    out: dict[str, Any] = {}
    if cves:
        out["cve"] = cves[0]
    ids = list(dict.fromkeys([*cves[1:], *others]))
    if ids:
        out["vulnerability_ids"] = ids
    return out


def _component(p: Package) -> dict[str, Any]:
    out: dict[str, Any] = {"component_name": p.name, "component_version": p.version}
    if p.fixed_versions:
        out["fix_version"] = p.fixed_versions[0]
        out["fix_available"] = True
    else:
        out["fix_available"] = False
    return out


def _cvss(f: Finding) -> dict[str, Any]:
    """The CVSS vector and a score DefectDojo accepts (0 to 10), in the fields of the vector's
    version: a v4 score is not a v3 score, so a v4 vector fills `cvssv4`/`cvssv4_score`. A
    score without a vector keeps the v3 field, the one DefectDojo sorts and filters on."""
    out: dict[str, Any] = {}
    version = "cvssv4" if f.cvss_vector and f.cvss_vector.startswith("CVSS:4") else "cvssv3"
    if f.cvss_vector and f.cvss_vector.startswith(("CVSS:3", "CVSS:4")):
        out[version] = f.cvss_vector
    if f.cvss_score is not None and 0.0 <= f.cvss_score <= 10.0:
        out[f"{version}_score"] = f.cvss_score
    return out


def _mitigation(f: Finding) -> str | None:
    if f.remediation:
        return f.remediation
    if f.package is not None and f.package.fixed_versions:
        return f"Upgrade {f.package.name} to {' or '.join(f.package.fixed_versions)}."
    return None


def _risk_accepted(w: WaiverRecord) -> dict[str, Any]:
    return {
        "risk_accepted": True,
        "active": False,
        "severity_justification": (
            f"waiver {w.id} (owner {w.owner}, expires {w.expires.isoformat()}): {w.reason}"
        ),
    }


def _tags(fv: FindingView) -> list[str]:
    tags = [fv.finding.kind.value, *fv.control_ids]
    if fv.new is not None:
        tags.append("new" if fv.new else "baseline")
    return list(dict.fromkeys(tags))


def _title(f: Finding) -> str:
    text = f.title or f.rule_id
    if f.package is not None and not text.startswith(f.package.name):
        text = f"{f.package.name} {f.package.version}: {text}"
    return text[:500]


def _date(model: ReportModel) -> str:
    when = model.saved.result.started_at
    return (when.astimezone(UTC) if when.tzinfo else when).date().isoformat()


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)


def _dumps(data: dict[str, Any]) -> str:
    return json_visible(_json.dumps_indented(data, ensure_ascii=False)) + "\n"


def _exploit_fields(f: Finding) -> dict[str, Any]:
    """DefectDojo's Generic Findings Import fields for exploit data."""
    out: dict[str, Any] = {}
    if f.epss is not None:
        out["epss_score"] = f.epss.score
        out["epss_percentile"] = f.epss.percentile
    if f.kev is not None:
        out["known_exploited"] = True
        out["ransomware_used"] = f.kev.ransomware
        out["kev_date"] = f.kev.date_added
    return out
