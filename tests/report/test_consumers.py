"""Every output accepted by the tool that consumes it, run for real: on the bundled example
and on scans of real third-party projects (pinned sdists) in which one scanner failed
(semgrep, out of time), one was skipped (no image, no IaC) and one was partial (bandit: one
file of the project it could not parse, added to the copy we scan).

The consumers are installed by scripts/install-consumers.sh (`.ci/run` runs it); without
them these tests skip, naming what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import consumer_tools as ct
import gitlab_rules as gl
import pytest
from integrations import errors, example

from secscan.app.output import write_reports
from secscan.report.formats import CI_FORMATS

REPO = Path(__file__).resolve().parents[2]
OSV = REPO / "tests" / "data" / "osv" / "PyPI"
PROJECTS = tuple(
    line.strip()
    for line in (REPO / "tests" / "consumers" / "projects.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
SOURCES = ("example", *PROJECTS)
#: A config outside the scanned tree: semgrep gets no time, so it fails.
CONFIG = "version: 1\ntimeouts:\n  semgrep: 0.01\n"
BROKEN = "def broken(:\n"

_scans: dict[str, tuple[Path, Path]] = {}


def _sdist(requirement: str) -> Path:
    name, version = requirement.split("==")
    want = f"{name}-{version}.tar.gz".lower().replace("_", "-")
    found = [
        p
        for p in (ct.PROJECTS.glob("*.tar.gz") if ct.PROJECTS.is_dir() else [])
        if p.name.lower().replace("_", "-") == want
    ]
    if not found:
        pytest.skip(f"the sdist of {requirement} is not downloaded: {ct.INSTALL}")
    return found[0]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _scan_project(requirement: str, base: Path) -> tuple[Path, Path]:
    """Unpack, add one unparsable file, commit, and run `secscan ci` as a user would."""
    with tarfile.open(_sdist(requirement)) as tf:
        tf.extractall(base / "src", filter="data")
    (tree,) = (base / "src").iterdir()
    inits = sorted(tree.rglob("__init__.py"))
    package = next(p.parent for p in inits if "test" not in p.relative_to(tree).as_posix())
    (package / "_secscan_unparsable.py").write_text(BROKEN)
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-q", "-m", "sdist")
    # The dependency audit runs offline against a mirror of the repository's OSV snapshot.
    db = base / "advisory-db"
    shutil.copytree(OSV, db / "PyPI")
    (base / "config.yaml").write_text(CONFIG + f"advisories:\n  db: {json.dumps(str(db))}\n")
    out = base / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "secscan", "ci", str(tree), "--config", str(base / "config.yaml")]
        + ["--output-dir", str(out), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"},
    )
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]  # a scanner failed
    runs = {r["scanner"]: r for r in ct.load(out / "secscan-results.json")["result"]["runs"]}
    assert runs["semgrep"]["status"] == "error"
    assert runs["image"]["status"] == "skipped"
    assert runs["bandit"]["status"] == "ok" and runs["bandit"]["not_analyzed"]
    return out, tree


def reports(source: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(folder of every report `secscan ci` writes, the repository the paths are relative to)."""
    if source not in _scans:
        base = tmp_path_factory.mktemp(source.replace("==", "-"))
        if source == "example":
            saved = example()
            now = saved.result.finished_at or saved.result.started_at
            write_reports(saved, base, CI_FORMATS, now)
            _scans[source] = (base, REPO)
        else:
            _scans[source] = _scan_project(source, base)
    return _scans[source]


#: Every consumer is a real external program (and the projects are scanned by the real tools).
pytestmark = pytest.mark.integration


@pytest.fixture(params=SOURCES)
def scanned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return reports(request.param, tmp_path_factory)


def _failed(out: Path) -> bool:
    runs = ct.load(out / "secscan-results.json")["result"]["runs"]
    return any(r["status"] == "error" for r in runs)


def test_sarif_multitool_with_githubs_rules(scanned: Any, tmp_path: Path) -> None:
    out, _ = scanned
    assert ct.sarif_multitool(out / "secscan.sarif", tmp_path) == []


def test_sarif_tools_summary_info_csv_html(scanned: Any, tmp_path: Path) -> None:
    out, _ = scanned
    assert ct.sarif_tools(out / "secscan.sarif", tmp_path) == []
    data = ct.load(out / "secscan.sarif")
    # Every run has results; a failed scanner has no run of its own (its alerts stay open).
    assert all(isinstance(r["results"], list) for r in data["runs"])
    if _failed(out):
        names = {r["tool"]["driver"]["name"] for r in data["runs"]}
        assert "semgrep" not in names and "secscan" in names


def test_compliance_trestle_imports_and_validates_the_oscal(scanned: Any, tmp_path: Path) -> None:
    out, _ = scanned
    assert ct.trestle(out / "secscan-oscal.json", tmp_path) == []


def test_cyclonedx_python_and_npm_validators(scanned: Any, tmp_path: Path) -> None:
    out, _ = scanned
    bom = out / "secscan-sbom.cdx.json"
    assert ct.cyclonedx_python(bom) == []
    assert ct.cyclonedx_npm(bom, tmp_path) == []


def test_openvex_read_by_vexipy_or_not_written(scanned: Any, tmp_path: Path) -> None:
    out, _ = scanned
    vex = out / "secscan.openvex.json"
    if not vex.exists():
        # Nothing to state: no dependency or image vulnerability in the scan (and no file).
        assert not ct.load(out / "secscan-sbom.cdx.json").get("vulnerabilities")
        return
    problems, count = ct.python_consumer("openvex", vex, tmp_path)
    assert problems == []
    assert int(count) == len(ct.load(vex)["statements"]) >= 1
    assert errors(ct.load(vex), "openvex", "openvex_json_schema.json") == []


def test_junitparser_reads_the_junit_report(scanned: Any, tmp_path: Path) -> None:
    out, _ = scanned
    problems, count = ct.python_consumer("junit", out / "secscan-junit.xml", tmp_path)
    assert problems == [] and int(count) > 0


GITLAB = {
    "gl-sast-report.json": "sast-report-format.json",
    "gl-dependency-scanning-report.json": "dependency-scanning-report-format.json",
    "gl-container-scanning-report.json": "container-scanning-report-format.json",
    "gl-secret-detection-report.json": "secret-detection-report-format.json",
}


def test_gitlab_reports_schemas_and_documented_rules(scanned: Any) -> None:
    out, repository = scanned
    failed = _failed(out)
    for name, schema in GITLAB.items():
        report = ct.load(out / name)
        assert errors(report, "gitlab", "15.0.7", schema) == [], name
        assert gl.gl1_unique_ids(report) == [], name
        assert gl.gl2_primary_identifiers_listed(report) == [], name
        files = [
            v["location"]["file"] for v in report["vulnerabilities"] if "file" in v["location"]
        ]
        assert gl.gl4_repository_paths(files, repository) == [], name
    sast = ct.load(out / "gl-sast-report.json")
    assert gl.gl3_failure_when_a_scanner_failed(sast, failed) == []
    issues = ct.load(out / "gl-code-quality-report.json")
    assert gl.gl5_codequality_fields(issues) == []
    assert gl.gl6_codequality_unique_fingerprints(issues) == []
    assert gl.gl4_repository_paths([i["location"]["path"] for i in issues], repository) == []


def test_defectdojo_has_no_file_for_a_failed_or_skipped_scanner(scanned: Any) -> None:
    out, repository = scanned
    runs = ct.load(out / "secscan-results.json")["result"]["runs"]
    files = {p.name for p in out.glob("secscan-defectdojo-*.json")}
    assert files == {f"secscan-defectdojo-{r['scanner']}.json" for r in runs if r["status"] == "ok"}
    paths = [f["file_path"] for name in files for f in ct.load(out / name)["findings"]]
    assert gl.gl4_repository_paths(paths, repository) == []
