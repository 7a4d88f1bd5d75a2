"""Every report counts inline suppressions and says whether the profile honoured them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
    Suppression,
)
from secscan.model.results import SavedResults
from secscan.policy.engine import evaluate
from secscan.policy.loader import load_policy
from secscan.report.formats import FORMATS, render_compliance

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOSEC = Suppression(directive="# nosec B602", line=7)


def _saved(profile: str) -> SavedResults:
    flaw = Finding(
        scanner="bandit",
        rule_id="B602",
        title="subprocess popen with shell equals true",
        message="subprocess call with shell=True identified",
        severity=Severity.HIGH,
        kind=FindingKind.CODE,
        location=Location("app/run.py", 7, 7, snippet="call(cmd, shell=True)"),
        cwe=(78,),
        fingerprint="fp-b602",
        suppression=NOSEC,
    )
    run = ScannerRun(
        "bandit", FindingKind.CODE, RunStatus.OK, findings=(flaw,), targets=1, inline_suppressions=1
    )
    result = ScanResult(
        root="/src", started_at=NOW, finished_at=NOW, secscan_version="t", runs=(run,)
    )
    policy = load_policy()
    mapped, decision = evaluate(result, policy, policy.profiles[profile], now=NOW)
    return SavedResults(mapped, decision)


@pytest.mark.parametrize(("profile", "status"), [("ci", "accepted"), ("release", "rejected")])
def test_sarif_marks_the_result_in_source(profile: str, status: str) -> None:
    log = json.loads(FORMATS["sarif"].render(_saved(profile), NOW))
    (result,) = log["runs"][0]["results"]
    (supp,) = result["suppressions"]
    assert supp["kind"] == "inSource" and supp["status"] == status
    assert "# nosec B602" in supp["justification"]
    assert log["runs"][0]["properties"]["inlineSuppressions"] == 1


@pytest.mark.parametrize(("profile", "honoured"), [("ci", 1), ("release", 0)])
def test_markdown_html_junit_count_them(profile: str, honoured: int) -> None:
    saved = _saved(profile)
    md = FORMATS["markdown"].render(saved, NOW)
    assert f"1 with an inline suppression ({honoured} honoured by the profile)" in md
    html = FORMATS["html"].render(saved, NOW)
    assert "1 with an inline suppression" in html and "# nosec B602" in html
    assert ("suppressed inline</span>" in html) is bool(honoured)
    junit = FORMATS["junit"].render(saved, NOW)
    assert '<property name="inline_suppressions" value="1"' in junit
    assert f'<property name="inline_suppressions_honoured" value="{honoured}"' in junit


def test_compliance_json_counts_them() -> None:
    saved = _saved("release")
    text = render_compliance(saved, NOW, framework="iso27001-2022", fmt="json")
    runs = json.loads(text)["scanners"]
    assert [r["inline_suppressions"] for r in runs] == [1]


def test_the_results_file_keeps_it() -> None:
    doc = json.loads(FORMATS["json"].render(_saved("ci"), NOW))
    (finding,) = doc["result"]["runs"][0]["findings"]
    assert finding["suppression"] == {"directive": "# nosec B602", "kind": "inSource", "line": 7}
