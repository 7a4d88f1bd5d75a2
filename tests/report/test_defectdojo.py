"""DefectDojo Generic Findings Import: only accepted fields, one file per scanner, stable ids."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from integrations import DATA, SCANS, clock, waived_saved
from reportdata import fp, rich_saved

from secscan.model.findings import RunStatus
from secscan.report.formats import FORMATS
from secscan.report.model import build

FIELDS_DOC = DATA / "defectdojo" / "generic-findings-fields.md"
TOP_LEVEL = {"findings", "name", "type", "version", "description", "dynamic_tool", "static_tool"}
REQUIRED = {"title", "severity", "description"}
SEVERITIES = {"Critical", "High", "Medium", "Low", "Info"}
INTEGER_FIELDS = {"cwe", "line", "nb_occurences", "sast_source_line", "scanner_confidence"}


def accepted_fields() -> set[str]:
    """The per-finding keys DefectDojo's parser accepts, read from the vendored field table."""
    text = FIELDS_DOC.read_text(encoding="utf-8")
    table = text.split("### Allowed fields and their types", 1)[1].split("\nNumeric fields", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z_0-9]+)`", line.split("|")[1]))
    return names


def check(report: dict[str, Any]) -> list[str]:
    """What DefectDojo's generic JSON import would refuse in this report."""
    problems = [f"top-level key {k!r} is not read" for k in set(report) - TOP_LEVEL]
    allowed = accepted_fields()
    for i, f in enumerate(report.get("findings", [])):
        problems += [f"{i}: missing {k}" for k in REQUIRED - set(f)]
        problems += [f"{i}: not allowed {k}" for k in set(f) - allowed]
        if f.get("severity") not in SEVERITIES:
            problems.append(f"{i}: severity {f.get('severity')!r}")
        problems += [
            f"{i}: {k} is not an integer"
            for k in INTEGER_FIELDS & set(f)
            if not isinstance(f[k], int)
        ]
        if not isinstance(f.get("tags", []), list):
            problems.append(f"{i}: tags")
    return problems


def test_the_field_list_is_read_from_the_summary() -> None:
    fields = accepted_fields()
    assert {"unique_id_from_tool", "vuln_id_from_tool", "component_name", "cwes"} <= fields
    assert "fingerprint" not in fields and len(fields) > 50


def test_the_checker_refuses_what_defectdojo_refuses() -> None:
    bad = {"findings": [{"title": "t", "severity": "high", "fingerprint": "x"}]}
    assert len(check(bad)) == 3  # missing description, unknown key, lower-case severity
    sample = json.loads((DATA / "defectdojo" / "generic_report1.json").read_text("utf-8"))
    assert check(sample) == []  # DefectDojo's own sample passes


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_every_file_has_only_accepted_fields(scan: str) -> None:
    saved = SCANS[scan]()
    files = FORMATS["defectdojo"].outputs(saved, clock(saved))
    # One per scanner that finished, so DefectDojo keeps one Test per tool; a failed or
    # skipped scanner has none (a re-import with close_old_findings would close its findings).
    assert set(files) == {
        f"secscan-defectdojo-{r.scanner}.json"
        for r in saved.result.runs
        if r.status is RunStatus.OK
    }
    total = 0
    for name, text in files.items():
        report = json.loads(text)
        assert check(report) == [], name
        total += len(report["findings"])
        assert report["type"] == report["name"]  # fixed across runs, as re-import needs
    combined = json.loads(FORMATS["defectdojo"].render(saved, clock(saved)))
    assert check(combined) == []
    done = {r.scanner for r in saved.result.runs if r.status is RunStatus.OK}
    shown = build(saved, clock(saved)).findings
    assert len(combined["findings"]) == len(shown)
    assert total == sum(1 for fv in shown if fv.finding.scanner in done)


def test_unique_id_is_the_fingerprint_and_dependencies_name_the_component() -> None:
    saved = rich_saved()
    files = FORMATS["defectdojo"].outputs(saved, clock(saved))
    deps = json.loads(files["secscan-defectdojo-pip-audit.json"])["findings"]
    flask = next(f for f in deps if f["vuln_id_from_tool"] == "PYSEC-2018-66")
    assert flask["unique_id_from_tool"] == fp(saved.result, "PYSEC-2018-66")
    assert flask["component_name"] == "flask" and flask["component_version"] == "0.12.2"
    assert flask["cve"] == "CVE-2018-1000656"
    assert flask["vulnerability_ids"] == ["PYSEC-2018-66", "GHSA-562c-5r94-xh97"]
    assert flask["cwe"] == 20 and flask["severity"] == "High"
    assert flask["file_path"] == "requirements.txt" and flask["line"] == 3
    assert flask["fix_version"] == "0.12.3"
    code = json.loads(files["secscan-defectdojo-bandit.json"])["findings"]
    assert all(f["static_finding"] for f in code)
    # semgrep failed, the image scanner was skipped: no file, so nothing of theirs is closed.
    assert "secscan-defectdojo-semgrep.json" not in files
    assert "secscan-defectdojo-image.json" not in files
    combined = json.loads(FORMATS["defectdojo"].render(saved, clock(saved)))
    assert "INCOMPLETE" in combined["description"] and "semgrep failed" in combined["description"]


def test_waived_findings_are_risk_accepted() -> None:
    saved = waived_saved()
    files = FORMATS["defectdojo"].outputs(saved, clock(saved))
    deps = json.loads(files["secscan-defectdojo-pip-audit.json"])["findings"]
    assert all(f["risk_accepted"] and not f["active"] for f in deps)
    assert "W-flask" in next(
        f["severity_justification"] for f in deps if f["vuln_id_from_tool"] == "PYSEC-2018-66"
    )


@pytest.mark.parametrize(
    ("vector", "score", "fields"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, ("cvssv3", "cvssv3_score")),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            ("cvssv4", "cvssv4_score"),
        ),
        (None, 7.5, ("cvssv3_score",)),
    ],
)
def test_a_score_goes_in_the_field_of_its_cvss_version(
    vector: str | None, score: float, fields: tuple[str, ...]
) -> None:
    saved = rich_saved()
    result = saved.result
    flask = next(f for f in result.findings if f.rule_id == "PYSEC-2018-66")
    changed = replace(flask, cvss_vector=vector, cvss_score=score)
    runs = tuple(
        replace(r, findings=tuple(changed if f is flask else f for f in r.findings))
        for r in result.runs
    )
    saved = replace(saved, result=replace(result, runs=runs))
    files = FORMATS["defectdojo"].outputs(saved, clock(saved))
    deps = json.loads(files["secscan-defectdojo-pip-audit.json"])["findings"]
    (out,) = [f for f in deps if f["vuln_id_from_tool"] == "PYSEC-2018-66"]
    assert {k for k in out if k.startswith("cvss")} == set(fields)
    assert out[fields[-1]] == score
    if vector is not None:
        assert out[fields[0]] == vector
    assert check({"findings": [out]}) == []
