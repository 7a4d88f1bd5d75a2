"""Mis-attributed advisories: a Couchbase Server record that names the `couchbase` Python SDK.

The record is the real PYSEC-2023-235 (tests/data/osv-misattributed/SOURCES.md); the
requirements are those of a project using the SDK, as feast's optional extras pin it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from secscan.advisories import attribution, matcher
from secscan.advisories.osv import parse_advisory
from secscan.advisories.store import AdvisoryStore

DATA = Path(__file__).resolve().parents[1] / "data"
RECORD = DATA / "osv-misattributed" / "PyPI" / "PYSEC-2023-235.json"


def test_the_record_really_matches_the_sdk_by_exact_name_and_range() -> None:
    """Matching is exact and right: the record itself names PyPI couchbase, every version."""
    advisory = parse_advisory(json.loads(RECORD.read_text()))
    assert matcher.is_affected(advisory, "PyPI", "couchbase", "4.3.6")
    assert not matcher.is_affected(advisory, "PyPI", "couchbase-columnar", "1.0.0")
    assert not matcher.is_affected(advisory, "npm", "couchbase", "4.3.6")


def test_the_table_corrects_only_its_records_for_exactly_its_package() -> None:
    row = attribution.misattributed("PYSEC-2023-235", ["CVE-2023-45875"], "PyPI", "Couchbase")
    assert row is not None and "Couchbase Server" in row.product
    # by alias too (a finding keyed by another database's id for the same CVE)
    assert attribution.misattributed("GHSA-xxxx", ["CVE-2023-45875"], "PyPI", "couchbase")
    # exact ecosystem and name: npm's couchbase SDK, a look-alike name, another record
    assert attribution.misattributed("PYSEC-2023-235", [], "npm", "couchbase") is None
    assert attribution.misattributed("PYSEC-2023-235", [], "PyPI", "couchbase-server") is None
    assert attribution.misattributed("PYSEC-2023-235", [], "PyPI", "couchbasex") is None
    assert (
        attribution.misattributed("PYSEC-2021-108", ["CVE-2021-33503"], "PyPI", "couchbase") is None
    )
    assert attribution.misattributed("PYSEC-2023-235", [], "Unknown-eco", "couchbase") is None


@pytest.fixture
def osv_db(tmp_path: Path) -> Path:
    db = tmp_path / "advisory-db"
    shutil.copytree(DATA / "osv" / "PyPI", db / "PyPI")
    shutil.copy(RECORD, db / "PyPI" / RECORD.name)
    AdvisoryStore.open(db)
    return db


def _findings(out: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((out / "secscan-results.json").read_text())
    run = next(r for r in data["result"]["runs"] if r["scanner"] == "pip-audit")
    assert run["status"] == "ok", run["error"]
    return {f"{f['package']['name']} {f['rule_id']}": f for f in run["findings"]}


@pytest.mark.integration
def test_pip_audit_match_of_a_server_advisory_is_info_and_passes_the_gate(
    tmp_path: Path, osv_db: Path, run_cli: Any
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("couchbase==4.1.9\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(osv_db),
                  "--output-dir", str(out), "--no-cache")  # fmt: skip
    found = _findings(out)
    server = found["couchbase PYSEC-2023-235"]  # still reported: nothing is hidden
    assert server["severity"] == "info"
    assert "Couchbase Server" in server["message"] and "does not affect" in server["message"]
    assert res.code == 0, res.out + res.err


@pytest.mark.integration
def test_a_correctly_attributed_advisory_next_to_it_keeps_its_rating(
    tmp_path: Path, osv_db: Path, run_cli: Any
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("couchbase==4.1.9\nurllib3==1.26.16\n")
    out = tmp_path / "out"
    res = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(osv_db),
                  "--output-dir", str(out), "--no-cache")  # fmt: skip
    found = _findings(out)
    assert found["urllib3 PYSEC-2023-192"]["severity"] == "high"
    assert "secscan's table" not in found["urllib3 PYSEC-2023-192"]["message"]
    assert found["couchbase PYSEC-2023-235"]["severity"] == "info"
    assert res.code == 1
