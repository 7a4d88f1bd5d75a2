"""OpenVEX 0.2.0: what secscan's waivers say about dependency and image vulnerabilities.

A waived finding is a `not_affected` statement (justification and impact statement from the
waiver's reason, the waiver's owner and expiry in `status_notes`); an open one is `affected`
with the upgrade to make. `secscan waivers import-vex` reads the `not_affected` ones back.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from secscan.model.results import SavedResults
from secscan.report import _vex
from secscan.report.model import FindingView, ReportModel, build
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

CONTEXT = "https://openvex.dev/ns/v0.2.0"
FILENAME = "secscan.openvex.json"
NAMESPACE = uuid.UUID("6b1f3c7a-0d0e-5f3a-9e64-0a6e7c2b9d11")


def render(saved: SavedResults, now: datetime) -> str:
    return (
        json_visible(_json.dumps_indented(document(build(saved, now)), ensure_ascii=False)) + "\n"
    )


def render_files(saved: SavedResults, now: datetime) -> dict[str, str]:
    """The document, or no file when it would state nothing: OpenVEX asks for at least one
    statement (`minItems: 1`), and an empty document tells a VEX consumer nothing."""
    doc = document(build(saved, now))
    if not doc["statements"]:
        return {}
    return {FILENAME: json_visible(_json.dumps_indented(doc, ensure_ascii=False)) + "\n"}


def document(model: ReportModel) -> dict[str, Any]:
    result = model.saved.result
    when = _time(result.finished_at or result.started_at)
    grouped: dict[tuple[str, ...], dict[str, Any]] = {}
    for fv in _vex.vex_findings(model):
        stmt = statement(fv)
        key = tuple(
            json.dumps(v, sort_keys=True) for k, v in sorted(stmt.items()) if k != "products"
        )
        held = grouped.setdefault(key, {**stmt, "products": []})
        for p in stmt["products"]:
            if p not in held["products"]:
                held["products"].append(p)
    statements = []
    for stmt in grouped.values():
        stmt["products"].sort(key=lambda p: p["@id"])
        statements.append({**stmt, "timestamp": when})
    statements.sort(
        key=lambda s: (s["vulnerability"]["name"], s["status"], s["products"][0]["@id"])
    )
    seed = f"{result.root}\0{result.git_commit}\0{when}"
    # OpenVEX requires at least one statement: `render_files` writes no file without one.
    return {
        "@context": CONTEXT,
        "@id": f"urn:uuid:{uuid.uuid5(NAMESPACE, seed)}",
        "author": "secscan",
        "role": "scanner",
        "timestamp": when,
        "version": 1,
        "tooling": f"secscan {result.secscan_version}",
        "statements": statements,
    }


def statement(fv: FindingView) -> dict[str, Any]:
    f = fv.finding
    vuln: dict[str, Any] = {"name": f.rule_id}
    aliases = [a for a in dict.fromkeys(f.aliases) if a and a != f.rule_id]
    if aliases:
        vuln["aliases"] = aliases
    out: dict[str, Any] = {
        "vulnerability": vuln,
        "products": [{"@id": _vex.product_id(f)}],
    }
    if fv.waiver is not None:
        reason = _vex.split_reason(fv.waiver.reason)
        out["status"] = "not_affected"
        if reason.justification:
            out["justification"] = reason.justification
        out["impact_statement"] = reason.impact
        out["status_notes"] = _vex.note(fv.waiver)
    else:
        p = f.package
        out["status"] = "affected"
        out["action_statement"] = (
            f"Upgrade {p.name} to {' or '.join(p.fixed_versions)} or later."
            if p is not None and p.fixed_versions
            else "No fixed version is known: remove the package or accept the risk."
        )
    return out


def _time(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
