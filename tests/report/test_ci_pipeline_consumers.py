"""The CI-pipeline scanners' findings in the reports their consumers read: a real `secscan ci`
over real-world-shaped GitHub workflows and a GitLab pipeline, its SARIF accepted by the
SARIF multitool with GitHub's rules and by sarif-tools, its GitLab SAST and Code Quality
reports by GitLab's schema and documented rules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import consumer_tools as ct
import gitlab_rules as gl
import pytest
from integrations import errors

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "ci_pipeline"
GITLAB = """\
build:
  image: python:3.12
  script:
    - eval "echo $CI_COMMIT_MESSAGE"
"""

pytestmark = pytest.mark.integration  # the real zizmor, the real consumers


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cipipe")
    tree = base / "repo"
    shutil.copytree(DATA / "github", tree)
    (tree / ".gitlab-ci.yml").write_text(GITLAB)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "ci"]):
        subprocess.run(
            ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
            cwd=tree,
            check=True,
            capture_output=True,
        )
    (base / "config.yaml").write_text("version: 1\nscanners: [github-actions, gitlab-ci]\n")
    out = base / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "secscan", "ci", str(tree), "--config", str(base / "config.yaml")]
        + ["--output-dir", str(out), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    return out, tree


def test_sarif_is_accepted_and_carries_the_ci_rules(
    reports: tuple[Path, Path], tmp_path: Path
) -> None:
    out, _ = reports
    sarif = out / "secscan.sarif"
    assert ct.sarif_multitool(sarif, tmp_path) == []
    assert ct.sarif_tools(sarif, tmp_path) == []
    data = ct.load(sarif)
    runs = {r["tool"]["driver"]["name"]: r for r in data["runs"]}
    rules = {rule["id"] for run in data["runs"] for rule in run["tool"]["driver"].get("rules", [])}
    assert {"template-injection", "secscan-untrusted-checkout", "untrusted-variable-eval"} <= rules
    results = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for run in runs.values()
        for r in run["results"]
    ]
    assert ("template-injection", ".github/workflows/issue-triage.yml") in results
    assert ("untrusted-variable-eval", ".gitlab-ci.yml") in results


def test_gitlab_sast_and_code_quality_accept_the_ci_findings(reports: tuple[Path, Path]) -> None:
    out, repository = reports
    sast = ct.load(out / "gl-sast-report.json")
    assert errors(sast, "gitlab", "15.0.7", "sast-report-format.json") == []
    assert gl.gl1_unique_ids(sast) == []
    assert gl.gl2_primary_identifiers_listed(sast) == []
    files = [v["location"]["file"] for v in sast["vulnerabilities"] if "file" in v["location"]]
    assert ".github/workflows/pr-preview.yml" in files and ".gitlab-ci.yml" in files
    assert gl.gl4_repository_paths(files, repository) == []
    issues = ct.load(out / "gl-code-quality-report.json")
    assert gl.gl5_codequality_fields(issues) == []
    assert gl.gl6_codequality_unique_fingerprints(issues) == []
