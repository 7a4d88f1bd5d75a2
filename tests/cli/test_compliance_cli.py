"""`secscan compliance`: the evidence document from saved results, per framework."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "samples" / "secscan-results.json"


def test_every_judged_framework_by_default(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    r = run_cli("compliance", "--from", str(SAMPLE), "--output-dir", str(tmp_path))
    assert r.code == 0, r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compliance-eu-cra.html",
        "compliance-gdpr.html",
        "compliance-iso27001-2022.html",
        "compliance-nis2.html",
        "compliance-nist-ssdf-1.1.html",
        "compliance-pci-dss-4.0.html",
        "compliance-soc2-tsc.html",
    ]


def test_one_framework_as_json_to_stdout(run_cli: Callable[..., Any]) -> None:
    r = run_cli(
        "compliance",
        "--from",
        str(SAMPLE),
        "--framework",
        "iso27001-2022",
        "--format",
        "json",
        "-o",
        "-",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["framework"]["id"] == "iso27001-2022"
    states = ("fail", "pass", "waived", "below_threshold", "not_assessed")
    assert all(c["state"] in states for c in doc["controls"])


def test_unknown_framework_and_bad_usage_exit_2(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    r = run_cli("compliance", "--from", str(SAMPLE), "--framework", "pci-dss", "-o", "-")
    assert r.code == 2 and "judged: " in r.err
    assert run_cli("compliance", str(tmp_path), "--from", str(SAMPLE)).code == 2
    r = run_cli("compliance", "--from", str(SAMPLE), "-o", str(tmp_path / "x.html"))
    assert r.code == 2  # -o with two frameworks


@pytest.mark.integration
@pytest.mark.parametrize("where", ["path", "current-directory"])
def test_scan_path_then_document(
    run_cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """PATH mode runs the real scan and judge, and exits like `secscan scan` would; with
    neither PATH nor --from it scans the current directory (as the README shows both
    optional)."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    (project / "app.py").write_text(
        "import subprocess\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    out = tmp_path / "doc.json"
    if where == "current-directory":
        monkeypatch.chdir(project)
    r = run_cli(
        "compliance",
        *([str(project)] if where == "path" else []),
        "--framework",
        "iso27001-2022",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert r.code == 1, r.err  # the gate failed on the shell=True finding
    doc = json.loads(out.read_text())
    assert Path(doc["scope"]["root"]).name == "proj"  # the scanned directory
    runs = {s["scanner"]: s for s in doc["scanners"]}
    assert runs["bandit"]["status"] == "ok" and runs["bandit"]["tool_version"]
    states = {c["id"]: c["state"] for c in doc["controls"]}
    assert states["A.8.28"] == "fail"
    # Only bandit ran: what needs a dependency or iac scanner is a gap, not a pass.
    assert states["A.8.8"] == "not_assessed"
