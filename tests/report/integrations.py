"""Inputs and validators for the formats other tools import (GitLab, DefectDojo, CycloneDX,
OpenVEX): the four scans every format is checked on, and each owner's schema or field list.

Schemas are vendored under tests/data (sources and licences in tests/data/SOURCES.md).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import referencing
from reportdata import NOW, empty_saved, fp, large_saved, rich_saved

from secscan.model.decision import WaiverRecord
from secscan.model.findings import Epss, Finding, Kev, RunStatus
from secscan.model.results import RESULTS_FILE, SavedResults, loads

DATA = Path(__file__).resolve().parents[1] / "data"
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "reports" / "samples"


def example() -> SavedResults:
    """The bundled example's saved results (reports/samples), not a live scan."""
    path = SAMPLES / RESULTS_FILE
    return loads(path.read_text(encoding="utf-8"), str(path))


def failed_saved() -> SavedResults:
    """Every scanner of the rich scan failed: nothing was assessed."""
    saved = rich_saved()
    runs = tuple(
        replace(r, status=RunStatus.ERROR, error=f"{r.scanner}: exited with 2", findings=())
        for r in saved.result.runs
    )
    return SavedResults(replace(saved.result, runs=runs), saved.decision)


def waived_saved() -> SavedResults:
    """The rich scan with both dependency findings waived (one with a VEX justification)."""
    saved = rich_saved()
    assert saved.decision is not None
    flask, idna = fp(saved.result, "PYSEC-2018-66"), fp(saved.result, "PYSEC-2024-60")
    waivers = (
        WaiverRecord(
            "W-flask",
            "vulnerable_code_not_in_execute_path: the app never calls flask.json on input",
            "appsec@example.com",
            date(2026, 12, 20),
            False,
            rule="PYSEC-2018-66",
            fingerprints=(flask,),
        ),
        WaiverRecord(
            "W-idna",
            "idna.encode only sees our own host names",
            "platform@example.com",
            date(2027, 1, 31),
            False,
            fingerprint=idna,
            fingerprints=(idna,),
        ),
    )
    decision = replace(saved.decision, waivers=(*saved.decision.waivers, *waivers))
    return SavedResults(saved.result, decision)


def exploited_saved() -> SavedResults:
    """The rich scan with exploit data: flask's advisory KEV-listed (ransomware use) with an
    EPSS score, idna's with an EPSS score only (values in the official formats' ranges)."""
    saved = rich_saved()
    kev = Kev("CVE-2018-1000656", "2026-11-30", "2026-12-21", ransomware=True)

    def enrich(f: Finding) -> Finding:
        if f.rule_id == "PYSEC-2018-66":
            return replace(f, kev=kev, epss=Epss("CVE-2018-1000656", 0.0235, 0.84, "2026-09-29"))
        if f.rule_id == "PYSEC-2024-60":
            return replace(f, epss=Epss("CVE-2024-3651", 0.00213, 0.44, "2026-09-29"))
        return f

    runs = tuple(replace(r, findings=tuple(map(enrich, r.findings))) for r in saved.result.runs)
    return SavedResults(replace(saved.result, runs=runs), saved.decision)


SCANS: dict[str, Any] = {
    "example": example,
    "exploited": exploited_saved,
    "empty": empty_saved,
    "failed-scanner": failed_saved,
    "rich": rich_saved,
    "waivers": waived_saved,
    "large-hostile": large_saved,
}


def clock(saved: SavedResults) -> Any:
    return saved.result.finished_at or NOW


def schema(*parts: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.joinpath(*parts).read_text(encoding="utf-8"))
    return data


def errors(instance: Any, *parts: str) -> list[str]:
    """Every schema error, as "path: message" lines (empty = valid)."""
    s = schema(*parts)
    registry: referencing.Registry[Any] = referencing.Registry()
    if parts[0] == "cyclonedx":
        for name in ("spdx.schema.json", "jsf-0.82.schema.json"):
            dep = schema("cyclonedx", name)
            resource = referencing.Resource.from_contents(
                dep, default_specification=referencing.jsonschema.DRAFT7
            )
            registry = registry.with_resource(f"http://cyclonedx.org/schema/{name}", resource)
    cls = jsonschema.validators.validator_for(s)
    validator = cls(s, registry=registry, format_checker=cls.FORMAT_CHECKER)
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    )
