"""GitLab security reports and Code Quality, validated against GitLab's own 15.0.7 schemas."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from integrations import SCANS, clock, errors, failed_saved, waived_saved
from reportdata import empty_saved, fp, rich_saved

from secscan.errors import UsageError
from secscan.report import gitlab
from secscan.report.formats import FORMATS
from secscan.report.model import build

REPORTS = {
    "gitlab-sast": "sast",
    "gitlab-dependency-scanning": "dependency-scanning",
    "gitlab-container-scanning": "container-scanning",
    "gitlab-secret-detection": "secret-detection",
}


def _render(name: str, saved: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FORMATS[name].render(saved, clock(saved)))
    return data


@pytest.mark.parametrize("scan", sorted(SCANS))
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_validates_against_gitlabs_schema(name: str, scan: str) -> None:
    report = _render(name, SCANS[scan]())
    assert errors(report, "gitlab", "15.0.7", f"{REPORTS[name]}-report-format.json") == []
    assert report["version"] == "15.0.7"
    assert report["scan"]["type"] == REPORTS[name].replace("-", "_")


def test_a_broken_report_fails_the_schema_so_the_check_can_fail() -> None:
    report = _render("gitlab-sast", rich_saved())
    report["vulnerabilities"][0]["severity"] = "high"  # GitLab's enum is capitalised
    report["vulnerabilities"][0]["identifiers"] = []
    assert len(errors(report, "gitlab", "15.0.7", "sast-report-format.json")) == 2


def test_ids_are_uuid5_of_the_fingerprint_and_stable() -> None:
    saved = rich_saved()
    report = _render("gitlab-dependency-scanning", saved)
    flask = fp(saved.result, "PYSEC-2018-66")
    v = next(
        v for v in report["vulnerabilities"] if v["identifiers"][0]["value"] == "PYSEC-2018-66"
    )
    assert v["id"] == str(uuid.uuid5(gitlab.NAMESPACE, flask))
    assert uuid.UUID(v["id"]).version == 5
    assert report == _render("gitlab-dependency-scanning", rich_saved())


def test_identifiers_rule_first_then_cwe_then_advisory_ids() -> None:
    report = _render("gitlab-dependency-scanning", rich_saved())
    v = next(
        v for v in report["vulnerabilities"] if v["identifiers"][0]["value"] == "PYSEC-2018-66"
    )
    assert [(i["type"], i["value"]) for i in v["identifiers"]] == [
        ("pip-audit_rule", "PYSEC-2018-66"),
        ("cwe", "20"),
        ("cve", "CVE-2018-1000656"),
        ("ghsa", "GHSA-562c-5r94-xh97"),
    ]
    assert v["severity"] == "High"
    assert v["location"] == {
        "file": "requirements.txt",
        "dependency": {"package": {"name": "flask"}, "version": "0.12.2"},
    }
    assert v["solution"] == "Upgrade flask to 0.12.3 or later."
    assert report["dependency_files"] == [
        {
            "path": "requirements.txt",
            "package_manager": "pip",
            "dependencies": [
                {"package": {"name": "flask"}, "version": "0.12.2"},
                {"package": {"name": "idna"}, "version": "2.7"},
            ],
        }
    ]


def test_remediation_raises_the_pin_with_a_diff_for_the_pinned_line() -> None:
    report = _render("gitlab-dependency-scanning", rich_saved())
    by_id = {v["id"]: v for v in report["vulnerabilities"]}
    assert len(report["remediations"]) == 2  # both pins have a fixed version
    flask = next(r for r in report["remediations"] if "flask" in r["summary"])
    assert by_id[flask["fixes"][0]["id"]]["identifiers"][0]["value"] == "PYSEC-2018-66"
    diff = base64.b64decode(flask["diff"]).decode()
    assert "@@ -3 +3 @@\n-Flask==0.12.2\n+Flask==0.12.3\n" in diff


def test_sast_holds_code_and_iac_and_lists_every_rule_that_ran() -> None:
    report = _render("gitlab-sast", rich_saved())
    rules = {v["identifiers"][0]["value"] for v in report["vulnerabilities"]}
    assert "DS-0002" in rules and "B608" in rules
    primary = {(i["type"], i["value"]) for i in report["scan"]["primary_identifiers"]}
    assert ("iac_rule", "DS-0002") in primary and ("bandit_rule", "B608") in primary
    # semgrep failed in the rich scan: the SAST scan is a failure, and says why.
    assert report["scan"]["status"] == "failure"
    assert any(
        m["level"] == "fatal" and "semgrep" in m["value"] for m in report["scan"]["messages"]
    )
    assert report["scan"]["analyzer"]["id"] == "secscan"
    assert report["scan"]["scanner"]["id"] == "secscan-sast"
    assert report["scan"]["start_time"] == "2026-11-26T11:58:00"
    assert report["scan"]["end_time"] == "2026-11-26T11:59:30"


def test_secret_detection_names_the_commit() -> None:
    report = _render("gitlab-secret-detection", rich_saved())
    (v,) = report["vulnerabilities"]
    assert v["severity"] == "Critical"
    assert v["location"]["commit"]["sha"] == "0123456789abcdef0123456789abcdef01234567"
    assert v["location"]["file"] == "app/config.py" and v["location"]["start_line"] == 14


def test_a_report_type_no_scanner_ran_is_a_failure_not_a_clean_scan() -> None:
    report = _render("gitlab-dependency-scanning", empty_saved())
    assert report["vulnerabilities"] == []
    assert report["scan"]["status"] == "failure"
    assert report["scan"]["messages"][-1]["level"] == "fatal"
    # The scan that ran and found nothing is a success.
    assert _render("gitlab-sast", empty_saved())["scan"]["status"] == "success"
    assert _render("gitlab-sast", failed_saved())["scan"]["status"] == "failure"


def test_waived_findings_are_flagged_with_the_waiver() -> None:
    report = _render("gitlab-dependency-scanning", waived_saved())
    flagged = [v for v in report["vulnerabilities"] if v.get("flags")]
    assert len(flagged) == 2
    assert "W-flask" in flagged[0]["flags"][0]["origin"] + flagged[1]["flags"][0]["origin"]


def test_only_vendored_schema_versions_are_written() -> None:
    saved = rich_saved()
    model = build(saved, clock(saved))
    assert gitlab.document(model, gitlab.SAST, "15.0.7")["version"] == "15.0.7"
    with pytest.raises(UsageError, match="15.0.7"):
        gitlab.document(model, gitlab.SAST, "15.3.0")


# --- Code Quality ---------------------------------------------------------------------------

CODE_QUALITY_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_code_quality_has_the_fields_gitlab_reads(scan: str) -> None:
    saved = SCANS[scan]()
    issues = _render("gitlab-codequality", saved)
    assert isinstance(issues, list)
    model = build(saved, clock(saved))
    assert len(issues) == len(model.open_findings)
    fps = [i["fingerprint"] for i in issues]
    assert len(fps) == len(set(fps))
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in CODE_QUALITY_SEVERITIES
        assert issue["description"] and issue["check_name"]
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert issue["location"]["lines"]["begin"] >= 1


def test_code_quality_fingerprint_is_the_secscan_fingerprint_and_waived_are_left_out() -> None:
    saved = waived_saved()
    issues = _render("gitlab-codequality", saved)
    fps = {i["fingerprint"] for i in issues}
    assert fp(saved.result, "B608") in fps
    assert fp(saved.result, "PYSEC-2018-66") not in fps  # waived
    secret = next(i for i in issues if i["check_name"] == "secrets/aws-access-key-id")
    assert secret["severity"] == "blocker"


def test_dependency_objects_say_direct_or_transitive_where_the_lock_file_does(
    tmp_path: Path,
) -> None:
    """Real findings of the osv scanner (a package-lock v3 against the real npm records):
    the root's own dependency is `direct: true`, a nested one `false`; a format that does not
    say (a v1 lock) leaves `direct` out rather than guessing."""
    from reportdata import with_findings

    from secscan.advisories.importer import import_records
    from secscan.scanners.base import ScanContext, ScanRequest
    from secscan.scanners.osv_deps import OsvDepsScanner
    from secscan.settings.config import Config

    records = Path(__file__).resolve().parents[1] / "data" / "osv-ecosystems"
    db = tmp_path / "db"
    import_records(records / "npm", db)
    root = tmp_path / "tree"
    (root / "old").mkdir(parents=True)
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"lodash": "^4"}},
            "node_modules/lodash": {"version": "4.17.15"},
            "node_modules/a/node_modules/minimatch": {"version": "3.0.4"},
        },
    }
    (root / "package-lock.json").write_text(json.dumps(lock, indent=2))
    v1 = {"lockfileVersion": 1, "dependencies": {"lodash": {"version": "4.17.15"}}}
    (root / "old" / "package-lock.json").write_text(json.dumps(v1, indent=2))
    ctx = ScanContext(
        root=root, targets=("package-lock.json", "old/package-lock.json"), config=Config(),
        timeout=60, request=ScanRequest(advisory_db=db),
    )  # fmt: skip
    findings = OsvDepsScanner().scan(ctx).findings
    assert {f.package.name for f in findings if f.package} == {"lodash", "minimatch"}
    report = _render("gitlab-dependency-scanning", with_findings(rich_saved(), "pip-audit",
                                                                 tuple(findings)))  # fmt: skip
    assert errors(report, "gitlab", "15.0.7", "dependency-scanning-report-format.json") == []
    seen = {
        (v["location"]["file"], v["location"]["dependency"]["package"]["name"],
         v["location"]["dependency"].get("direct"))
        for v in report["vulnerabilities"]
    }  # fmt: skip
    assert seen == {
        ("package-lock.json", "lodash", True),
        ("package-lock.json", "minimatch", False),
        ("old/package-lock.json", "lodash", None),
    }
    files = {f["path"]: f for f in report["dependency_files"]}
    assert files["package-lock.json"]["package_manager"] == "npm"
    top = files["package-lock.json"]["dependencies"]
    assert [(d["package"]["name"], d.get("direct")) for d in top] == [
        ("lodash", True),
        ("minimatch", False),
    ]
    assert "direct" not in files["old/package-lock.json"]["dependencies"][0]
