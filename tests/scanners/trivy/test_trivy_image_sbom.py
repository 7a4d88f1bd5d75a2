"""The real trivy, offline: an image's packages (vulnerable or not) reach the CycloneDX SBOM."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from trivy_helpers import OSV, PYSEC_URLLIB3, debian_files, docker_archive, osv_store_dir

from secscan.model.findings import RunStatus
from secscan.model.results import SavedResults
from secscan.report.formats import FORMATS
from secscan.scan import pipeline
from secscan.scanners.base import ScanRequest
from secscan.settings.config import AdvisoryOptions, Config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "report"))
from integrations import errors  # noqa: E402


@pytest.mark.integration
def test_image_packages_are_sbom_components(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    osv_store_dir(root / "osv", OSV / "Debian", OSV / "Alpine", PYSEC_URLLIB3)
    archive = docker_archive(tmp_path / "app.tar", debian_files(), "registry.example.net/app:1")
    config = Config(scanners=("image",), advisories=AdvisoryOptions(db="osv"), base_dir=root)
    result = pipeline.scan(
        root, config, request=ScanRequest(image_archive=archive), use_cache=False
    )
    (run,) = result.runs
    assert run.status is RunStatus.OK, run.error
    names = {p.name for p in run.components}
    # zlib1g 1.2.11 has advisories; urllib3 (a Python package in the image) is listed too.
    assert {"openssl", "libssl1.1", "zlib1g", "urllib3"} <= names
    saved = SavedResults(result)
    bom = json.loads(FORMATS["cyclonedx"].render(saved, result.finished_at or result.started_at))
    assert errors(bom, "cyclonedx", "bom-1.6.schema.json") == []
    purls = {c["purl"] for c in bom["components"]}
    assert any(p.startswith("pkg:deb/debian/zlib1g@") for p in purls)
    assert any(p.startswith("pkg:pypi/urllib3@1.26.4") for p in purls)
    assert bom["vulnerabilities"]  # the image's findings are its VEX section
