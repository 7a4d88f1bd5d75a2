"""CycloneDX 1.6 SBOM + VEX and OpenVEX 0.2.0, validated against their owners' schemas."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from integrations import SCANS, clock, errors, example, waived_saved
from reportdata import fp, rich_saved

from secscan.app.output import write_reports
from secscan.model.findings import FindingKind, Package
from secscan.model.results import SavedResults
from secscan.report.formats import FORMATS

CDX = ("cyclonedx", "bom-1.6.schema.json")
OPENVEX = ("openvex", "openvex_json_schema.json")


def _render(name: str, saved: SavedResults) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FORMATS[name].render(saved, clock(saved)))
    return data


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_cyclonedx_validates_against_the_1_6_schema(scan: str) -> None:
    bom = _render("cyclonedx", SCANS[scan]())
    assert errors(bom, *CDX) == []
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"


def test_a_broken_bom_fails_the_schema() -> None:
    bom = _render("cyclonedx", rich_saved())
    bom["vulnerabilities"][0]["analysis"]["state"] = "waived"
    bom["components"][0]["licenses"] = [{"license": {"id": "NOT-A-LICENSE"}}]
    assert len(errors(bom, *CDX)) >= 2


def test_cyclonedx_is_byte_stable() -> None:
    saved = rich_saved()
    now = clock(saved)
    assert FORMATS["cyclonedx"].render(saved, now) == FORMATS["cyclonedx"].render(saved, now)


def test_sbom_lists_packages_the_scanners_saw_not_only_vulnerable_ones() -> None:
    saved = rich_saved()
    pins = (
        Package("Flask", "0.12.2", "PyPI", "pkg:pypi/flask@0.12.2"),
        Package("requests", "2.32.3", "PyPI", "pkg:pypi/requests@2.32.3"),
    )
    runs = tuple(
        replace(r, components=pins) if r.scanner == "pip-audit" else r for r in saved.result.runs
    )
    bom = _render("cyclonedx", SavedResults(replace(saved.result, runs=runs), saved.decision))
    purls = sorted(c["purl"] for c in bom["components"])
    assert purls == ["pkg:pypi/flask@0.12.2", "pkg:pypi/idna@2.7", "pkg:pypi/requests@2.32.3"]
    assert bom["metadata"]["component"]["type"] == "application"
    (root,) = [d for d in bom["dependencies"] if d["ref"] == "secscan-scan-root"]
    assert sorted(root["dependsOn"]) == purls


def test_example_sbom_holds_every_vulnerable_dependency() -> None:
    saved = example()
    bom = _render("cyclonedx", saved)
    deps = [f for f in saved.result.findings if f.kind is FindingKind.DEPENDENCY and f.package]
    pinned = [f for f in deps if f.package and f.package.purl]
    assert 0 < len(pinned) < len(deps)  # the example has unpinned requirements too
    assert {f.package.purl for f in pinned if f.package} <= {c["purl"] for c in bom["components"]}
    # A vulnerability per pinned finding; an unpinned requirement names a range, not a version.
    assert len(bom["vulnerabilities"]) == len(pinned)


def test_vex_section_waived_is_not_affected_with_the_waivers_words_and_expiry() -> None:
    saved = waived_saved()
    bom = _render("cyclonedx", saved)
    by_id = {v["id"]: v for v in bom["vulnerabilities"]}
    flask = by_id["PYSEC-2018-66"]
    assert flask["analysis"]["state"] == "not_affected"
    assert flask["analysis"]["justification"] == "code_not_reachable"
    assert "the app never calls flask.json" in flask["analysis"]["detail"]
    props = {p["name"]: p["value"] for p in flask["properties"]}
    assert props["secscan:waiver:expires"] == "2026-12-20"
    assert props["secscan:waiver:owner"] == "appsec@example.com"
    assert props["secscan:fingerprint"] == fp(saved.result, "PYSEC-2018-66")
    assert flask["affects"] == [{"ref": "pkg:pypi/flask@0.12.2"}]
    assert by_id["PYSEC-2024-60"]["analysis"]["state"] == "not_affected"
    assert "justification" not in by_id["PYSEC-2024-60"]["analysis"]
    open_bom = _render("cyclonedx", rich_saved())
    assert {v["analysis"]["state"] for v in open_bom["vulnerabilities"]} == {"exploitable"}


# --- OpenVEX --------------------------------------------------------------------------------


@pytest.mark.parametrize("scan", ["example", "rich", "waivers"])
def test_openvex_validates_against_the_0_2_0_schema(scan: str) -> None:
    doc = _render("openvex", SCANS[scan]())
    assert errors(doc, *OPENVEX) == []
    assert doc["@context"] == "https://openvex.dev/ns/v0.2.0"


@pytest.mark.parametrize("scan", ["empty", "failed-scanner"])
def test_openvex_with_nothing_to_state_writes_no_file(scan: str) -> None:
    """No dependency or image finding: no statement can be made, and OpenVEX asks for at least
    one (`minItems: 1`), so no document is written; one written on an earlier run is removed."""
    saved = SCANS[scan]()
    assert FORMATS["openvex"].outputs(saved, clock(saved)) == {}
    assert errors(_render("openvex", saved), *OPENVEX) == ["statements: [] should be non-empty"]


def test_a_stale_openvex_or_defectdojo_file_is_removed(tmp_path: Path) -> None:
    rich = SCANS["rich"]()
    write_reports(rich, tmp_path, ["openvex", "defectdojo"], clock(rich))
    assert (tmp_path / "secscan.openvex.json").is_file()
    assert (tmp_path / "secscan-defectdojo-bandit.json").is_file()
    failed = SCANS["failed-scanner"]()
    write_reports(failed, tmp_path, ["openvex", "defectdojo"], clock(failed))
    # Every scanner failed: no file is left that an upload step would send as current.
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_openvex_statements_say_what_the_waivers_say() -> None:
    doc = _render("openvex", waived_saved())
    by_name = {s["vulnerability"]["name"]: s for s in doc["statements"]}
    flask = by_name["PYSEC-2018-66"]
    assert flask["status"] == "not_affected"
    assert flask["justification"] == "vulnerable_code_not_in_execute_path"
    assert flask["impact_statement"] == "the app never calls flask.json on input"
    assert flask["status_notes"] == (
        "secscan waiver W-flask; owner appsec@example.com; expires 2026-12-20"
    )
    assert flask["products"] == [{"@id": "pkg:pypi/flask@0.12.2"}]
    assert flask["vulnerability"]["aliases"] == ["CVE-2018-1000656", "GHSA-562c-5r94-xh97"]
    idna = by_name["PYSEC-2024-60"]
    assert "justification" not in idna and idna["impact_statement"].startswith("idna.encode")
    open_doc = _render("openvex", rich_saved())
    assert {s["status"] for s in open_doc["statements"]} == {"affected"}
    assert all(s["action_statement"].startswith("Upgrade") for s in open_doc["statements"])


def test_one_statement_per_vulnerability_and_status_with_every_product() -> None:
    saved = example()
    doc = _render("openvex", saved)
    keys = [(s["vulnerability"]["name"], s["status"]) for s in doc["statements"]]
    assert len(keys) == len(set(keys))
