"""The real pip-audit, offline: every pinned requirement reaches the CycloneDX SBOM, vulnerable
or not, and the BOM validates against the CycloneDX 1.6 schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_pip_audit import OSV_DATA, _offline, _project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from integrations import errors  # noqa: E402


@pytest.mark.integration
def test_the_sbom_lists_every_pin_and_the_vulnerable_ones_in_its_vex(tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "advisory-db"
    shutil.copytree(OSV_DATA, db / "PyPI")
    # requests 2.19.0 has advisories in the bundled OSV data; idna 3.7 has none.
    root = _project(tmp_path, "requests==2.19.0\nidna==3.7\n")
    out = tmp_path / "out"
    argv, env = _offline(
        [sys.executable, "-m", "secscan", "scan", str(root), "--scanner", "pip-audit",
         "--advisory-db", str(db), "--output-dir", str(out), "--no-cache",
         "--format", "json", "--format", "cyclonedx"]
    )  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    bom = json.loads((out / "secscan-sbom.cdx.json").read_text(encoding="utf-8"))
    assert errors(bom, "cyclonedx", "bom-1.6.schema.json") == []
    purls = {c["purl"] for c in bom["components"]}
    assert {"pkg:pypi/requests@2.19.0", "pkg:pypi/idna@3.7"} <= purls
    affected = {a["ref"] for v in bom["vulnerabilities"] for a in v["affects"]}
    assert "pkg:pypi/requests@2.19.0" in affected
    assert "pkg:pypi/idna@3.7" not in affected
    assert {v["analysis"]["state"] for v in bom["vulnerabilities"]} == {"exploitable"}
