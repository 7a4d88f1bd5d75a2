"""OSCAL assessment-results: the compliance evidence as NIST's machine-readable model.

OSCAL 1.2.1 by default (what compliance-trestle 5 reads and validates); `oscal-1.0.6` writes
the same document labelled 1.0.6 for older tools (it validates against both schemas).

One `result` per framework; in it one observation per evaluated mapping rule of a control
(the tool, its version, the rule and the targets it analyzed) and one finding per control
that is not satisfied, linked to its observations. UUIDs are uuid5 over the framework, the
control and the commit, so two runs on one commit diff cleanly, and unique in the whole
document (a tool's component has one per framework's result); with the clock pinned the
output is byte-identical.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from secscan.model.decision import ControlState, RuleEvidence
from secscan.model.findings import ScannerRun, ScanResult
from secscan.model.results import ATTESTATION_FILE, PREDICATE_TYPE, RESULTS_FILE, SavedResults
from secscan.model.results import digest as results_digest
from secscan.report.compliance import EVIDENCE_NOTE, ComplianceView, ControlRow, view
from secscan.report.model import build
from secscan.settings import toollock
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

OSCAL_VERSION = "1.2.1"
#: The older version still written on request (`--format oscal-1.0.6`).
LEGACY_VERSION = "1.0.6"
#: The namespace of secscan's own property names (OSCAL asks for one on non-core props).
NS = "https://secscan.dev/ns/oscal"
#: The root of every secscan uuid5 (itself uuid5 of the namespace URL).
ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)
#: Control states an assessor reads as "not satisfied", and the OSCAL reason for each.
_UNSATISFIED = {
    ControlState.FAIL: "fail",
    ControlState.BELOW_THRESHOLD: "other",
    ControlState.WAIVED: "other",
    ControlState.NOT_ASSESSED: "other",
}


def render(saved: SavedResults, now: datetime, version: str = OSCAL_VERSION) -> str:
    """Every judged framework of a scan, one OSCAL result each (`--format oscal`)."""
    model = build(saved, now)
    views = [view(saved, now, fw.id) for fw in model.frameworks]
    return _dump(_document(views, saved, now, version))


def render_legacy(saved: SavedResults, now: datetime) -> str:
    """`--format oscal-1.0.6`."""
    return render(saved, now, LEGACY_VERSION)


def render_view(cv: ComplianceView, version: str = OSCAL_VERSION) -> str:
    """One framework's evidence (`secscan compliance --format oscal`)."""
    return _dump(_document([cv], cv.model.saved, cv.model.generated_at, version))


def render_view_legacy(cv: ComplianceView) -> str:
    """`secscan compliance --format oscal-1.0.6`."""
    return render_view(cv, LEGACY_VERSION)


def _dump(doc: dict[str, Any]) -> str:
    return json_visible(_json.dumps_indented(doc, ensure_ascii=False)) + "\n"


def token(control_id: str) -> str:
    """A control id as an OSCAL token (an XML NCName): `Art.32(1)(a)` -> `Art.32_1_a`,
    `6.2.4` -> `req-6.2.4`. The original id is kept in a `label` property."""
    t = re.sub(r"[^A-Za-z0-9._-]+", "_", control_id.replace(")", "")).strip("_")
    return t if t[:1].isalpha() or t[:1] == "_" else f"req-{t}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(ROOT, "\x1f".join(parts)))


def _when(t: datetime) -> str:
    return t.isoformat()


def _prop(name: str, value: str, **extra: str) -> dict[str, str]:
    out = {"name": name, "ns": NS, "value": _value(value)}
    out.update(extra)
    return out


def _value(text: str) -> str:
    """OSCAL strings must not start or end with whitespace, nor be empty."""
    one = " ".join(str(text).split())
    return one or "-"


def _document(
    views: Sequence[ComplianceView], saved: SavedResults, now: datetime, version: str
) -> dict[str, Any]:
    result, decision = saved.result, saved.decision
    commit = result.git_commit or f"no-commit:{result.root}"
    frameworks = ",".join(cv.framework.id for cv in views)
    runs = sorted(result.runs, key=lambda r: r.scanner)
    tools = [
        _prop("tool", f"{r.scanner} {r.tool_version or 'unknown'}", **{"class": r.kind.value})
        for r in runs
    ]
    metadata: dict[str, Any] = {
        "title": "secscan assessment results: " + ", ".join(cv.framework.title for cv in views),
        "last-modified": _when(now),
        "version": result.secscan_version,
        "oscal-version": version,
        "props": [_prop("secscan-version", result.secscan_version), *tools, *_lock(result)],
        "remarks": EVIDENCE_NOTE,
    }
    profile = decision.profile if decision else "none"
    return {
        "assessment-results": {
            "uuid": _uuid("assessment-results", frameworks, commit),
            "metadata": metadata,
            "import-ap": {
                "href": f"urn:secscan:gate-profile:{profile}",
                "remarks": "No OSCAL assessment plan exists: the secscan gate profile named here "
                "and its policy library stand in for it.",
            },
            "results": [_result(cv, commit) for cv in views],
            "back-matter": {"resources": _evidence_resources(saved, commit)},
        }
    }


def _lock(result: ScanResult) -> list[dict[str, str]]:
    """The tools lock the scanners were held to, when one was (docs/integrity.md)."""
    lock = dict(result.metadata).get(toollock.RESULTS_KEY)
    return [] if lock is None else [_prop("tools-lock", lock)]


def _evidence_resources(saved: SavedResults, commit: str) -> list[dict[str, Any]]:
    """The results file this document was rendered from (by SHA-256) and the signed
    attestation `secscan attest` writes beside it, which covers both."""
    return [
        {
            "uuid": _uuid("resource", "results", commit),
            "title": "secscan results file",
            "description": "The scan results and gate decision this document was rendered "
            "from; its SHA-256 is the one an attestation's subject must name.",
            "rlinks": [
                {
                    "href": RESULTS_FILE,
                    "media-type": "application/json",
                    "hashes": [{"algorithm": "SHA-256", "value": results_digest(saved)}],
                }
            ],
        },
        {
            "uuid": _uuid("resource", "attestation", commit),
            "title": "Signed evidence: in-toto attestation",
            "description": "An in-toto Statement v1 in a DSSE envelope, written by `secscan "
            "attest`: it signs the results file, this document and the other reports by their "
            "SHA-256 with the verdict, the profile, the policy digest and every scanner's "
            "executable digest. Check it with `secscan verify`.",
            "props": [_prop("attestation-predicate-type", PREDICATE_TYPE)],
            "rlinks": [{"href": ATTESTATION_FILE, "media-type": "application/vnd.in-toto+json"}],
        },
    ]


def _result(cv: ComplianceView, commit: str) -> dict[str, Any]:
    m, fw = cv.model, cv.framework
    result = m.saved.result
    rules = {r.id: r for r in cv.rules}
    components = _components(fw.id, result.runs)
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    collected = _when(result.finished_at or result.started_at)
    for row in cv.rows:
        mine = _observations(row, fw.id, commit, rules, components, collected)
        observations += mine
        finding = _finding(row, fw.id, commit, [o["uuid"] for o in mine])
        if finding is not None:
            findings.append(finding)
    out: dict[str, Any] = {
        "uuid": _uuid("result", fw.id, commit),
        "title": f"{fw.title}: automated technical evidence",
        "description": f"secscan scan of {result.root} at {commit}, judged against {fw.id}.",
        "start": _when(result.started_at),
        "end": _when(result.finished_at or result.started_at),
        "props": [_prop("framework", fw.id), _prop("commit", commit)],
        "reviewed-controls": {
            "control-selections": [
                {
                    "include-controls": [
                        {"control-id": token(row.result.control_id)} for row in cv.rows
                    ]
                }
            ]
        },
    }
    if components:
        out["local-definitions"] = _local_definitions(fw.id, result.secscan_version, components)
    if observations:
        out["observations"] = observations
    if findings:
        out["findings"] = findings
    if m.warnings:
        # What the gate warned about (a missing tools lock, a bypass): part of the evidence.
        out["remarks"] = "Gate warnings:\n\n" + "\n".join(f"- {_value(w)}" for w in m.warnings)
    return out


def _components(framework: str, runs: Sequence[ScannerRun]) -> dict[str, dict[str, Any]]:
    """Scanner name -> its OSCAL component, in name order."""
    return {
        r.scanner: {
            # Per framework: each result defines its own components, and a uuid is unique
            # in the whole document (trestle refuses a file that repeats one).
            "uuid": _uuid("tool", framework, r.scanner, r.tool_version or "unknown"),
            "type": "software",
            "title": f"{r.scanner} {r.tool_version or 'unknown'}",
            "description": f"secscan {r.kind.value} scanner {r.scanner}: {r.status.value}"
            + (f" ({_value(r.error)})" if r.error else ""),
            "props": [
                _prop("version", r.tool_version or "unknown"),
                *([_prop("executable-sha256", r.tool.sha256)] if r.tool is not None else []),
            ],
            "status": {"state": "operational" if r.status.value == "ok" else "other"},
        }
        for r in sorted(runs, key=lambda r: r.scanner)
    }


def _local_definitions(
    framework: str, version: str, components: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "assessment-assets": {
            "components": list(components.values()),
            "assessment-platforms": [
                {
                    "uuid": _uuid("platform", framework, "secscan", version),
                    "title": f"secscan {version}",
                    "uses-components": [{"component-uuid": c["uuid"]} for c in components.values()],
                }
            ],
        }
    }


def _observations(
    row: ControlRow,
    framework: str,
    commit: str,
    rules: dict[str, Any],
    components: dict[str, dict[str, Any]],
    collected: str,
) -> list[dict[str, Any]]:
    """One observation per mapping rule evaluated for the control."""
    r = row.result
    out = []
    for e in r.rule_evidence:
        if not e.evaluated:
            continue
        rule = rules.get(e.rule)
        obs: dict[str, Any] = {
            "uuid": _uuid("observation", framework, r.control_id, e.rule, commit),
            "title": _value(f"{r.control_id}: {e.rule}"),
            "description": _value(rule.rationale if rule else e.rule),
            "props": [_prop("label", r.control_id), _prop("mapping-rule", e.rule)],
            "methods": ["TEST"],
            "types": ["finding" if e.open or e.waived else "control-objective"],
            "origins": [
                {
                    "actors": [
                        {"type": "tool", "actor-uuid": components[n]["uuid"]}
                        for n, _ in e.scanners
                        if n in components
                    ]
                }
            ],
            "relevant-evidence": [_evidence(e)],
            "collected": collected,
        }
        if not obs["origins"][0]["actors"]:
            del obs["origins"]
        out.append(obs)
    return out


def _evidence(e: RuleEvidence) -> dict[str, Any]:
    """What a mapping rule's evaluation saw: the tools, the targets, the counts."""
    tools = ", ".join(f"{n} {v}" for n, v in e.scanners)
    targets = ", ".join(f"{n} {k}" for k, n in e.targets if n) or "targets not recorded"
    return {
        "description": _value(
            f"{tools} evaluated mapping rule {e.rule} over {targets}: {e.open} open "
            f"finding(s) ({e.failing} at or above the fail threshold), {e.waived} waived."
        ),
        "props": [
            _prop("mapping-rule", e.rule),
            *(_prop("tool", f"{n} {v}") for n, v in e.scanners),
            *(_prop("targets", f"{n} {k}", **{"class": k}) for k, n in e.targets if n),
        ],
    }


def _finding(
    row: ControlRow, framework: str, commit: str, observations: list[str]
) -> dict[str, Any] | None:
    r = row.result
    reason = _UNSATISFIED.get(r.state)
    if reason is None:
        return None
    finding: dict[str, Any] = {
        "uuid": _uuid("finding", framework, r.control_id, commit),
        "title": _value(f"{r.control_id} {r.title}: {row.view.state_label}"),
        "description": _value(
            f"{r.note or row.view.state_label}. Open {row.open} (below threshold {row.below}), "
            f"waived {row.waived}. Scanners can evidence: {r.statement or '-'} They cannot "
            f"evidence: {r.limits or '-'}"
        ),
        "props": [_prop("label", r.control_id), _prop("state", r.state.value)],
        "target": {
            "type": "objective-id",
            "target-id": token(r.control_id),
            "title": _value(r.title),
            "status": {"state": "not-satisfied", "reason": reason},
            "remarks": _value(r.note or row.view.state_label),
        },
    }
    if observations:
        finding["related-observations"] = [{"observation-uuid": u} for u in observations]
    return finding
