"""Import reachability of Python dependency findings: imported, not imported (static), unknown."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from secscan.model import results
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    Package,
    Reach,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.scan.reachability import label_runs

OSV = Path(__file__).resolve().parent / "data" / "osv"


def _finding(name: str, version: str) -> Finding:
    return Finding(
        scanner="pip-audit",
        rule_id="PYSEC-X",
        title=f"{name} {version}",
        message="m",
        severity=Severity.HIGH,
        kind=FindingKind.DEPENDENCY,
        location=Location("requirements.txt", 1),
        package=Package(name, version, "PyPI"),
        fingerprint=f"fp-{name}",
    )


def _tree(tmp_path: Path, files: dict[str, str]) -> tuple[Path, list[str]]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path, sorted(files)


def _labels(tmp_path: Path, files: dict[str, str], *names: str) -> dict[str, Any]:
    root, rels = _tree(tmp_path, files)
    run = ScannerRun(
        "pip-audit",
        FindingKind.DEPENDENCY,
        RunStatus.OK,
        findings=tuple(_finding(n, "1.0") for n in names),
    )
    (out,) = label_runs([run], root, rels)
    return {f.package.name: f.reachability for f in out.findings if f.package}


def test_pinned_but_never_imported_is_not_imported_with_a_suggestion(tmp_path: Path) -> None:
    got = _labels(tmp_path, {"app/main.py": "import json\nprint(json.dumps({}))\n"}, "jinja2")
    assert got["jinja2"].label is Reach.NOT_IMPORTED
    assert "vulnerable_code_not_in_execute_path" in got["jinja2"].reason


def test_imported_through_a_helper_module(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": "from app import helpers\nhelpers.load()\n",
        "app/helpers.py": "def load():\n    import yaml\n    return yaml.safe_load('a: 1')\n",
    }
    got = _labels(tmp_path, files, "PyYAML", "jinja2")
    # the distribution PyYAML provides the module `yaml`: found through the metadata
    assert got["PyYAML"].label is Reach.IMPORTED
    assert "app/helpers.py imports yaml" in got["PyYAML"].reason
    assert got["jinja2"].label is Reach.NOT_IMPORTED


def test_imported_through_a_distribution_that_requires_it(tmp_path: Path) -> None:
    got = _labels(tmp_path, {"cli.py": "import requests\n"}, "urllib3")
    assert got["urllib3"].label is Reach.IMPORTED
    assert "cli.py imports requests" in got["urllib3"].reason
    assert "requires urllib3" in got["urllib3"].reason


def test_import_module_of_a_variable_is_unknown(tmp_path: Path) -> None:
    files = {
        "plugins.py": "import importlib\n\n"
        "def load(name):\n    return importlib.import_module(name)\n"
    }
    got = _labels(tmp_path, files, "jinja2")
    assert got["jinja2"].label is Reach.UNKNOWN
    assert "plugins.py" in got["jinja2"].reason
    # a literal name is a plain import
    literal = {"p.py": "import importlib\nimportlib.import_module('jinja2.sandbox')\n"}
    assert _labels(tmp_path / "l", literal, "jinja2")["jinja2"].label is Reach.IMPORTED


def test_unparsable_source_or_unknown_imported_distribution_is_unknown(tmp_path: Path) -> None:
    got = _labels(tmp_path, {"bad.py": "def (:\n"}, "jinja2")
    assert got["jinja2"].label is Reach.UNKNOWN and "not parsed: bad.py" in got["jinja2"].reason
    # a module no installed distribution provides: its requirements could name anything
    other = _labels(tmp_path / "o", {"x.py": "import notinstalledpkg_zz\n"}, "jinja2")
    assert other["jinja2"].label is Reach.UNKNOWN
    assert "notinstalledpkg_zz" in other["jinja2"].reason


def test_own_modules_are_not_distributions(tmp_path: Path) -> None:
    # `import helpers` names the project's own module, not an unknown distribution
    files = {"svc/main.py": "import helpers\n", "svc/helpers.py": "x = 1\n"}
    assert _labels(tmp_path, files, "jinja2")["jinja2"].label is Reach.NOT_IMPORTED


def test_codec_writes_the_label_only_when_assessed(tmp_path: Path) -> None:
    labelled = _labels(tmp_path, {"a.py": "import jinja2\n"}, "jinja2")["jinja2"]
    plain = _finding("jinja2", "1.0")

    def saved(f: Finding) -> str:
        run = ScannerRun("pip-audit", FindingKind.DEPENDENCY, RunStatus.OK, findings=(f,))
        return results.dumps(ScanResult("/r", datetime(2026, 1, 1, tzinfo=UTC), "0", runs=(run,)))

    assert '"reachability"' not in saved(plain)
    text = saved(replace(plain, reachability=labelled))
    assert '"label": "imported"' in text
    back = results.loads(text).result.runs[0].findings[0]
    assert back.reachability == labelled


@pytest.mark.integration
def test_fix_suggests_vex_a_person_imports_with_owner_and_expiry(
    tmp_path: Path, run_cli: Any
) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "requirements.txt").write_text("jinja2==2.10\npyyaml==5.3\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("from app import util\n")
    (root / "app" / "util.py").write_text("import yaml\n")
    out = tmp_path / "out"
    scan = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(OSV),
                   "--output-dir", str(out), "--format", "json", "--no-cache")  # fmt: skip
    assert scan.code == 1
    saved = results.loads((out / "secscan-results.json").read_text())
    labels = {f.package.name: f.reachability for f in saved.result.findings if f.package}
    assert labels["jinja2"] is not None and labels["jinja2"].label is Reach.NOT_IMPORTED
    assert labels["pyyaml"] is not None and labels["pyyaml"].label is Reach.IMPORTED
    vex = tmp_path / "suggested.openvex.json"
    res = run_cli("fix", str(root), "--advisory-db", str(OSV), "--suggest-vex", str(vex))
    assert res.code == 0, res.err
    doc = json.loads(vex.read_text())
    assert {s["products"][0]["@id"] for s in doc["statements"]} == {"pkg:pypi/jinja2@2.10"}
    assert all(
        s["justification"] == "vulnerable_code_not_in_execute_path" for s in doc["statements"]
    )
    # nothing is waived until a person imports it, with an owner and an expiry
    waivers = tmp_path / "waivers.yaml"
    args = ("waivers", "import-vex", str(vex), "--results", str(out / "secscan-results.json"),
            "--waivers", str(waivers))  # fmt: skip
    assert run_cli(*args).code == 2
    done = run_cli(*args, "--owner", "appsec@example.com", "--expires", "2027-01-31")
    assert done.code == 0, done.out + done.err
    written = waivers.read_text()
    assert "appsec@example.com" in written and "2027-01-31" in written
    assert all(st["vulnerability"]["name"] in written for st in doc["statements"])
    assert "pyyaml" not in written.lower()
