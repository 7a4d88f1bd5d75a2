"""SARIF output: valid against the OASIS 2.1.0 schema, shaped the way GitHub code scanning reads."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from reportdata import (
    NOW,
    empty_saved,
    evil_saved,
    load_schema,
    rich_saved,
    with_findings,
)

from secscan.model.decision import Decision, Outcome
from secscan.model.findings import Finding, FindingKind, Location, RunStatus, ScanResult, Severity
from secscan.model.results import SavedResults
from secscan.report import sarif

VALIDATOR = jsonschema.Draft4Validator(load_schema())


def render(saved: SavedResults) -> dict[str, Any]:
    text = sarif.render(saved, NOW)
    data: dict[str, Any] = json.loads(text)
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return data


def run_of(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["runs"] if r["tool"]["driver"]["name"] == name)
    return found


def test_schema_check_is_real() -> None:
    """The validator must reject what GitHub would reject, or every other test here is empty."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "x"}]}]}
    assert list(VALIDATOR.iter_errors(bad))


def test_rich_scan_one_run_per_scanner_with_categories() -> None:
    data = render(rich_saved())
    assert data["version"] == "2.1.0"
    names = [r["tool"]["driver"]["name"] for r in data["runs"]]
    # semgrep failed and the image scanner was skipped: both are invocations of secscan's run
    assert names == ["bandit", "iac", "pip-audit", "secrets", "secscan"]
    ids = [r["automationDetails"]["id"] for r in data["runs"]]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("secscan/") for i in ids)
    bandit = run_of(data, "bandit")["tool"]["driver"]
    assert bandit["version"] == "1.9.4"
    assert bandit["informationUri"].startswith("https://")


def test_rules_deduplicated_and_indexed() -> None:
    saved = rich_saved()
    f = next(f for f in saved.result.findings if f.rule_id == "B608")
    twin = replace(f, location=replace(f.location, path="app/other.py"), fingerprint="f" * 32)
    bandit_findings = next(r for r in saved.result.runs if r.scanner == "bandit").findings
    data = render(with_findings(saved, "bandit", (*bandit_findings, twin)))
    run = run_of(data, "bandit")
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["B105", "B311", "B608"]
    assert sum(1 for r in run["results"] if r["ruleId"] == "B608") == 2
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_rule_metadata_github_reads() -> None:
    run = run_of(render(rich_saved()), "bandit")
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "B608")
    assert rule["shortDescription"]["text"] == "hardcoded sql expressions"
    assert rule["fullDescription"]["text"].startswith("Possible SQL injection")
    assert rule["help"]["text"] and rule["help"]["markdown"]
    assert rule["helpUri"].startswith("https://bandit.readthedocs.io/")
    tags = rule["properties"]["tags"]
    assert "security" in tags and "external/cwe/cwe-89" in tags
    assert "A.8.28" in tags and "Art.25(1)" in tags
    assert rule["properties"]["security-severity"] == "8.0"
    assert rule["defaultConfiguration"]["level"] == "error"


def test_cvss_score_wins_for_security_severity() -> None:
    run = run_of(render(rich_saved()), "pip-audit")
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "PYSEC-2018-66")
    assert rule["properties"]["security-severity"] == "7.5"


def test_results_locations_and_fingerprints() -> None:
    data = render(rich_saved())
    run = run_of(data, "bandit")
    base_ids = run["originalUriBaseIds"]
    assert base_ids["%SRCROOT%"]["uri"] == "file:///src/shop/"
    res = next(r for r in run["results"] if r["ruleId"] == "B608")
    assert res["level"] == "error"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app/db.py", "uriBaseId": "%SRCROOT%"}
    assert loc["artifactLocation"]["uriBaseId"] in base_ids
    assert loc["region"]["startLine"] == 12 and loc["region"]["startColumn"] == 9
    pf = res["partialFingerprints"]
    assert pf["secscan/v1"] == next(
        f.fingerprint for f in rich_saved().result.findings if f.rule_id == "B608"
    )
    assert pf["primaryLocationLineHash"].endswith(":1")
    assert res["properties"]["controls"] == ["gdpr Art.25(1)", "iso27001-2022 A.8.28"]


def test_dependency_and_iac_findings_point_at_the_manifest_line() -> None:
    data = render(rich_saved())
    dep = next(r for r in run_of(data, "pip-audit")["results"] if r["ruleId"] == "PYSEC-2018-66")
    loc = dep["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "requirements.txt"
    assert loc["region"]["startLine"] == 3
    assert "Fixed in: 0.12.3" in dep["message"]["text"]
    assert dep["properties"]["package"]["fixedVersions"] == ["0.12.3"]
    iac = run_of(data, "iac")["results"][0]
    assert iac["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Dockerfile"


def test_waived_finding_is_suppressed_with_justification() -> None:
    run = run_of(render(rich_saved()), "bandit")
    waived = next(r for r in run["results"] if r["ruleId"] == "B311")
    (sup,) = waived["suppressions"]
    assert sup["kind"] == "external" and sup["status"] == "accepted"
    assert "W-001" in sup["justification"] and "platform-team@example.com" in sup["justification"]
    # An expired waiver suppresses nothing.
    expired = next(r for r in run["results"] if r["ruleId"] == "B105")
    assert "suppressions" not in expired


def test_failed_scanner_is_never_a_clean_run() -> None:
    data = render(rich_saved())
    # No semgrep run: "results": [] would tell code scanning every semgrep alert was fixed,
    # and a run without "results" is rejected by GitHub (GH1014).
    assert "semgrep" not in {r["tool"]["driver"]["name"] for r in data["runs"]}
    own = run_of(data, "secscan")
    assert own["automationDetails"]["id"] == "secscan/secscan/"
    assert own["results"] == []
    (inv,) = [i for i in own["invocations"] if i["properties"]["scanner"] == "semgrep"]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and "invalid rule file" in note["message"]["text"]


def test_skipped_scanner_is_an_invocation_of_secscan() -> None:
    data = render(rich_saved())
    assert "image" not in {r["tool"]["driver"]["name"] for r in data["runs"]}
    (inv,) = [
        i for i in run_of(data, "secscan")["invocations"] if i["properties"]["scanner"] == "image"
    ]
    assert inv["executionSuccessful"] is True
    assert "skipped" in inv["toolConfigurationNotifications"][0]["message"]["text"]


def test_every_run_has_results() -> None:
    for saved in (rich_saved(), empty_saved()):
        assert all(isinstance(r["results"], list) for r in render(saved)["runs"])


def test_partial_scanner_keeps_its_results_and_says_it_failed() -> None:
    saved = rich_saved()
    runs = tuple(
        replace(r, status=RunStatus.ERROR, error="bandit: exited with 2 on app/broken.py")
        if r.scanner == "bandit"
        else r
        for r in saved.result.runs
    )
    data = render(SavedResults(replace(saved.result, runs=runs), saved.decision))
    run = run_of(data, "bandit")
    assert {r["ruleId"] for r in run["results"]} >= {"B608"}
    assert run["invocations"][0]["executionSuccessful"] is False


def test_not_analyzed_files_are_notifications() -> None:
    run = run_of(render(rich_saved()), "bandit")
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/broken.py"
        for n in notes
    )


def test_empty_scan_is_valid_and_says_it_ran() -> None:
    run = run_of(render(empty_saved()), "bandit")
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True


def test_no_scanner_at_all_is_a_failed_run() -> None:
    result = ScanResult(root="/src", started_at=NOW, secscan_version="0.1.0")
    data = render(SavedResults(result, Decision(Outcome.FAIL, "ci", NOW)))
    (run,) = data["runs"]
    assert run["tool"]["driver"]["name"] == "secscan"
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["results"] == []


def test_hostile_text_stays_valid_json_and_uris_are_encoded() -> None:
    data = render(evil_saved())
    run = run_of(data, "semgrep")
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert "<" not in uri and " " not in uri and '"' not in uri
    rule = run["tool"]["driver"]["rules"][0]
    # Neither the javascript: URL nor the one with markup in it may become a link.
    assert "helpUri" not in rule
    assert "](javascript:" not in rule["help"]["markdown"]
    assert "<script>" not in rule["help"]["markdown"]


def test_results_capped_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS_PER_RUN", 2)
    run = run_of(render(rich_saved()), "bandit")
    assert len(run["results"]) == 2
    assert {r["ruleId"] for r in run["results"]} == {"B608", "B105"}  # the most severe first
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("left out" in n["message"]["text"] for n in notes)


def test_long_text_and_many_tags_fit_github_limits() -> None:
    saved = rich_saved()
    f = next(f for f in saved.result.findings if f.rule_id == "B608")
    huge = replace(f, title="t" * 5000, message="m" * 50_000, cwe=tuple(range(1, 40)))
    run = run_of(render(with_findings(saved, "bandit", (huge,))), "bandit")
    rule = run["tool"]["driver"]["rules"][0]
    assert len(rule["shortDescription"]["text"]) <= 1024
    assert len(rule["fullDescription"]["text"]) <= 1024
    assert len(rule["properties"]["tags"]) <= 20


def test_no_empty_required_strings() -> None:
    f = Finding(
        "bandit",
        "B1",
        "",
        "",
        Severity.LOW,
        FindingKind.CODE,
        Location("a.py"),
        fingerprint="a" * 32,
    )
    saved = with_findings(empty_saved(), "bandit", (f,))
    run = run_of(render(saved), "bandit")
    assert run["results"][0]["message"]["text"] == "B1"
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_too_many_runs_is_an_error_not_a_rejected_upload() -> None:
    from secscan.errors import ReportError
    from secscan.model.findings import RunStatus, ScannerRun

    runs = tuple(ScannerRun(f"s{i:02}", FindingKind.CODE, RunStatus.OK) for i in range(21))
    result = ScanResult(root="/src", started_at=NOW, secscan_version="0.1.0", runs=runs)
    with pytest.raises(ReportError, match="at most 20 runs"):
        sarif.render(SavedResults(result, None), NOW)


def test_baseline_state_when_a_baseline_was_used() -> None:
    saved = rich_saved()
    assert saved.decision is not None
    sqli = next(f.fingerprint for f in saved.result.findings if f.rule_id == "B608")
    saved = SavedResults(saved.result, replace(saved.decision, new_fingerprints=(sqli,)))
    run = run_of(render(saved), "bandit")
    states = {r["ruleId"]: r["baselineState"] for r in run["results"]}
    assert states["B608"] == "new" and states["B311"] == "unchanged"


def test_byte_identical_for_the_same_result() -> None:
    assert sarif.render(rich_saved(), NOW) == sarif.render(rich_saved(), NOW)
