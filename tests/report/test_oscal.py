"""OSCAL assessment-results: valid against NIST's 1.2.1 schema (1.0.6 on request), uuids unique
in the whole document, deterministic, evidence-linked."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex

from secscan.cli import main
from secscan.model.results import RESULTS_FILE, SavedResults, loads
from secscan.report import oscal
from secscan.report.formats import COMPLIANCE_FORMATS, FORMATS
from secscan.report.model import build

REPO = Path(__file__).resolve().parents[2]
OSCAL_DATA = REPO / "tests" / "data" / "oscal"
SCHEMA = OSCAL_DATA / "oscal_assessment-results_schema-1.2.1.json"
LEGACY_SCHEMA = OSCAL_DATA / "oscal_assessment-results_schema-1.0.6.json"
SAMPLES = REPO / "reports" / "samples"
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """The schema's `\\p{L}` escapes need the `regex` module (see tests/data/oscal/README)."""
    if isinstance(instance, str) and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


@pytest.fixture(scope="module")
def validator() -> Any:
    return OscalValidator(json.loads(SCHEMA.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def example() -> SavedResults:
    path = SAMPLES / RESULTS_FILE
    return loads(path.read_text(encoding="utf-8"), str(path))


@pytest.fixture(scope="module")
def legacy_validator() -> Any:
    return OscalValidator(json.loads(LEGACY_SCHEMA.read_text(encoding="utf-8")))


def _uuids(node: Any) -> list[str]:
    """Every `uuid` the document defines (not the ones that refer to another)."""
    if isinstance(node, dict):
        own = [node["uuid"]] if isinstance(node.get("uuid"), str) else []
        return own + [u for v in node.values() for u in _uuids(v)]
    if isinstance(node, list):
        return [u for v in node for u in _uuids(v)]
    return []


def test_every_uuid_of_the_combined_document_is_unique(example: SavedResults) -> None:
    doc = json.loads(oscal.render(example, NOW))
    uuids = _uuids(doc)
    assert len(doc["assessment-results"]["results"]) == 7
    assert len(uuids) > 100 and len(uuids) == len(set(uuids))
    # Every reference points at a uuid the document defines.
    text = json.dumps(doc)
    for ref in ("component-uuid", "actor-uuid", "observation-uuid"):
        for value in regex.findall(rf'"{ref}": "([0-9a-f-]+)"', text):
            assert value in uuids, ref


@pytest.mark.parametrize("version", ["1.2.1", "1.0.6"])
def test_each_version_validates_against_its_own_schema(
    validator: Any, legacy_validator: Any, example: SavedResults, version: str
) -> None:
    name = "oscal" if version == "1.2.1" else "oscal-1.0.6"
    doc = json.loads(FORMATS[name].render(example, NOW))
    assert doc["assessment-results"]["metadata"]["oscal-version"] == version
    check = validator if version == "1.2.1" else legacy_validator
    assert _errors(check, doc) == []
    one = json.loads(COMPLIANCE_FORMATS[name].render(example, NOW, framework="gdpr"))
    assert one["assessment-results"]["metadata"]["oscal-version"] == version
    assert _errors(check, one) == []
    # The versions differ in their label only.
    default = json.loads(FORMATS["oscal"].render(example, NOW))
    default["assessment-results"]["metadata"]["oscal-version"] = version
    assert default == doc


def _errors(validator: Any, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_validator_rejects_what_the_schema_forbids(validator: Any) -> None:
    """The validator is real: a bad uuid and a control id that is no token both fail."""
    bad = {"assessment-results": {"uuid": "not-a-uuid"}}
    assert _errors(validator, bad)
    ok_token = regex.compile(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$")
    assert ok_token.match(oscal.token("Art.32(1)(a)"))
    assert ok_token.match(oscal.token("6.2.4")) and ok_token.match(oscal.token("AnnexI.I(2)(a)"))
    assert not ok_token.match("6.2.4") and not ok_token.match("Art.32(1)(a)")


def test_the_example_scan_validates_against_nist_schema(
    validator: Any, example: SavedResults
) -> None:
    doc = json.loads(oscal.render(example, NOW))
    assert _errors(validator, doc) == []
    results = doc["assessment-results"]["results"]
    assert {r["props"][0]["value"] for r in results} == {
        fw.id for fw in build(example, NOW).frameworks
    }


@pytest.mark.parametrize(
    "framework",
    ["iso27001-2022", "gdpr", "soc2-tsc", "pci-dss-4.0", "nist-ssdf-1.1", "nis2", "eu-cra"],
)
def test_each_framework_document_validates_and_links_findings_to_observations(
    validator: Any, example: SavedResults, framework: str
) -> None:
    text = COMPLIANCE_FORMATS["oscal"].render(example, NOW, framework=framework)
    doc = json.loads(text)
    assert _errors(validator, doc) == []
    (result,) = doc["assessment-results"]["results"]
    saved_controls = {
        c.control_id: c
        for c in example.decision.controls
        if c.framework == framework  # type: ignore[union-attr]
    }
    observations = {o["uuid"]: o for o in result.get("observations", [])}
    # One observation per evaluated mapping rule of each control, with tool, version, rule.
    expected = sum(1 for c in saved_controls.values() for e in c.rule_evidence if e.evaluated)
    assert len(observations) == expected > 0
    for o in observations.values():
        ev = o["relevant-evidence"][0]
        names = {p["name"] for p in ev["props"]}
        assert {"mapping-rule", "tool"} <= names
        assert o["methods"] == ["TEST"]
    # One finding per control that is not satisfied, linked to its observations.
    unsatisfied = {cid for cid, c in saved_controls.items() if c.state.value != "pass"}
    findings = result.get("findings", [])
    labels = {next(p["value"] for p in f["props"] if p["name"] == "label") for f in findings}
    assert labels == unsatisfied
    for f in findings:
        assert f["target"]["status"]["state"] == "not-satisfied"
        for rel in f.get("related-observations", []):
            assert rel["observation-uuid"] in observations
    # Tool versions are in the metadata.
    tools = {
        p["value"] for p in doc["assessment-results"]["metadata"]["props"] if p["name"] == "tool"
    }
    assert any(t.startswith("bandit ") and t != "bandit unknown" for t in tools)


def test_uuids_are_uuid5_over_framework_control_and_commit(example: SavedResults) -> None:
    doc = json.loads(COMPLIANCE_FORMATS["oscal"].render(example, NOW, framework="iso27001-2022"))
    (result,) = doc["assessment-results"]["results"]
    commit = example.result.git_commit or f"no-commit:{example.result.root}"
    finding = result["findings"][0]
    label = next(p["value"] for p in finding["props"] if p["name"] == "label")
    want = uuid.uuid5(oscal.ROOT, "\x1f".join(("finding", "iso27001-2022", label, commit)))
    assert finding["uuid"] == str(want) and uuid.UUID(finding["uuid"]).version == 5
    # Another commit: every uuid changes; the same commit: none does.
    other = SavedResults(
        result=example.result.__class__(**{**_fields(example.result), "git_commit": "f" * 40}),
        decision=example.decision,
    )
    again = json.loads(COMPLIANCE_FORMATS["oscal"].render(other, NOW, framework="iso27001-2022"))
    assert again["assessment-results"]["uuid"] != doc["assessment-results"]["uuid"]


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def test_two_runs_give_byte_identical_oscal_with_a_pinned_clock(
    tmp_path: Path, example: SavedResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI, twice, from the same saved results (same commit)."""
    from secscan.scan import pipeline

    monkeypatch.setattr(pipeline, "utcnow", lambda: NOW)
    src = SAMPLES / RESULTS_FILE
    outs = []
    for n in (1, 2):
        out = tmp_path / f"run{n}"
        code = main(["report", "--from", str(src), "--format", "oscal", "--output-dir", str(out)])
        assert code == 0
        outs.append((out / "secscan-oscal.json").read_bytes())
        doc = tmp_path / f"doc{n}"
        code = main(
            [
                "compliance",
                "--from",
                str(src),
                "--framework",
                "eu-cra",
                "--format",
                "oscal",
                "--output-dir",
                str(doc),
            ]
        )
        assert code == 0
        outs.append((doc / "compliance-eu-cra.oscal.json").read_bytes())
    assert outs[0] == outs[2] and outs[1] == outs[3]
    assert b'"oscal-version": "1.2.1"' in outs[0]
    assert "oscal" in FORMATS and "oscal" in COMPLIANCE_FORMATS


def test_the_document_references_the_results_and_the_signed_evidence(
    validator: Any, legacy_validator: Any, example: SavedResults, tmp_path: Path
) -> None:
    """Back-matter names the results file by the SHA-256 it is written with and the
    attestation `secscan attest` writes beside it; each tool's executable digest is a
    component property; both OSCAL versions stay valid (issue 30)."""
    from dataclasses import replace

    from secscan.model.results import ATTESTATION_FILE, dumps
    from secscan.util.tooldigest import ToolIdentity

    tool = ToolIdentity(path="/opt/bin/bandit", sha256="ab" * 32, distribution="bandit")
    runs = tuple(replace(r, tool=tool) if r.scanner == "bandit" else r for r in example.result.runs)
    saved = SavedResults(replace(example.result, runs=runs), example.decision)
    written = tmp_path / RESULTS_FILE
    written.write_text(dumps(saved.result, saved.decision), encoding="utf-8")
    digest = hashlib.sha256(written.read_bytes()).hexdigest()
    for name, check in (("oscal", validator), ("oscal-1.0.6", legacy_validator)):
        doc = json.loads(FORMATS[name].render(saved, NOW))
        assert _errors(check, doc) == []
        resources = doc["assessment-results"]["back-matter"]["resources"]
        links = {link["href"]: link for r in resources for link in r["rlinks"]}
        assert links[RESULTS_FILE]["hashes"] == [{"algorithm": "SHA-256", "value": digest}]
        assert ATTESTATION_FILE in links
        props = [
            p["value"]
            for result in doc["assessment-results"]["results"]
            for c in result["local-definitions"]["assessment-assets"]["components"]
            for p in c["props"]
            if p["name"] == "executable-sha256"
        ]
        assert props and set(props) == {"ab" * 32}


def test_the_tools_lock_and_the_gate_warnings_are_part_of_the_evidence(
    validator: Any, legacy_validator: Any, example: SavedResults
) -> None:
    """The tools lock a scan was held to is a metadata property; the gate's warnings (a
    missing lock under `release` among them) are each result's remarks; both versions stay
    valid (issue 30)."""
    from dataclasses import replace

    assert example.decision is not None
    held = "/etc/secscan/tools.lock (sha256 " + "cd" * 32 + "): 7 tool(s) pinned"
    warning = "no tools lock in force (no lock named): the scanners' executables were not "
    result = replace(example.result, metadata=(*example.result.metadata, ("tools.lock", held)))
    decision = replace(example.decision, warnings=(warning + "verified",))
    saved = SavedResults(result, decision)
    for name, check in (("oscal", validator), ("oscal-1.0.6", legacy_validator)):
        doc = json.loads(FORMATS[name].render(saved, NOW))
        assert _errors(check, doc) == []
        props = doc["assessment-results"]["metadata"]["props"]
        assert [p["value"] for p in props if p["name"] == "tools-lock"] == [held]
        for r in doc["assessment-results"]["results"]:
            assert r["remarks"] == f"Gate warnings:\n\n- {warning}verified"
    plain = json.loads(FORMATS["oscal"].render(example, NOW))
    assert not [
        p for p in plain["assessment-results"]["metadata"]["props"] if p["name"] == "tools-lock"
    ]
