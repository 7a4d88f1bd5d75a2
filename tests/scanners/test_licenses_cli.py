"""The licence scanner through `secscan scan`: the release gate, the NOTICE file, the SBOM.

No external tool runs: the licence scanner reads metadata in-process.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.conftest import CliRun

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "licenses"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "env", root / "env")
    (root / "web").mkdir(parents=True)
    shutil.copy(FIXTURES / "npm" / "package-lock.json", root / "web" / "package-lock.json")
    (root / "requirements.txt").write_text("pylint==3.3.1\nface\nsemgrep\n", encoding="utf-8")
    (root / ".secscan.yaml").write_text(
        "version: 1\nscanners: [license]\nexclude: [env]\nlicense:\n  environments: [env]\n",
        encoding="utf-8",
    )
    return root


def test_a_forbidden_licence_fails_release_naming_package_and_licence(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    root = project(tmp_path)
    out = tmp_path / "out"
    ran = run_cli(
        "scan",
        str(root),
        "--profile",
        "release",
        "--no-cache",
        "--format",
        "notice",
        "--format",
        "cyclonedx",
        "--output-dir",
        str(out),
    )
    assert ran.code == 1, ran.out + ran.err
    assert "pylint 3.3.1" in ran.out and "GPL-2.0-or-later" in ran.out
    assert "LICENSE-FORBIDDEN" in ran.out
    results = json.loads((out / "secscan-results.json").read_text(encoding="utf-8"))
    runs = {r["scanner"]: r for r in results["result"]["runs"]}
    rules = {f["package"]["name"]: f["rule_id"] for f in runs["license"]["findings"]}
    assert rules["pylint"] == "LICENSE-FORBIDDEN"
    assert rules["json-schema"] == "LICENSE-UNKNOWN"  # reported, never silently allowed
    assert rules["semgrep"] == "LICENSE-REVIEW"
    assert "face" not in rules
    failing = {f["rule_id"] for f in runs["license"]["findings"] if f["severity"] == "high"}
    assert failing == {"LICENSE-FORBIDDEN"}
    # mapped to ISO A.5.32 and OpenChain 5230
    controls = {c for f in runs["license"]["findings"] for c in f["controls"]}
    assert {"iso27001-2022:A.5.32", "openchain-5230:3.3.2"} <= controls

    # the NOTICE file lists every licence read, and the unknown one apart
    notice = (out / "secscan-third-party-notices.txt").read_text(encoding="utf-8")
    components = {c["name"]: c.get("license") for c in runs["license"]["components"]}
    for name in ("pylint", "face", "semgrep", "jszip", "pako", "left-pad", "json-schema"):
        assert f"  - {name} " in notice, name
    for spdx in ("GPL-2.0-or-later", "BSD-3-Clause", "LGPL-2.1-or-later", "WTFPL", "Zlib"):
        assert f"https://spdx.org/licenses/{spdx}.html" in notice, spdx
    assert notice.index("Licence unknown") > notice.index("MIT OR GPL-3.0-or-later")
    assert components["json-schema"] is None

    # the SBOM carries each component's licence and is valid CycloneDX 1.6
    sbom_text = (out / "secscan-sbom.cdx.json").read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sbom_text) is None
    sbom = {c["name"]: c.get("licenses") for c in json.loads(sbom_text)["components"]}
    assert sbom["face"] == [{"license": {"id": "BSD-3-Clause"}}]
    assert sbom["jszip"] == [{"expression": "MIT OR GPL-3.0-or-later"}]
    assert sbom["json-schema"] is None


def test_exceptions_in_a_named_policy_let_release_pass(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    root = project(tmp_path)
    policy = (FIXTURES.parents[2] / "policies" / "licenses" / "default.yaml").read_text("utf-8")
    policy = policy.replace("exceptions: []", "") + (
        "exceptions:\n"
        "  - package: pylint\n    reason: lint tool, never shipped\n"
        "    owner: legal@example.com\n    expires: 2999-01-01\n"
        "  - package: json-schema\n    ecosystem: npm\n    license: ''\n    verdict: review\n"
        "    reason: AFL-2.1 OR BSD-3-Clause per its repository\n"
        "    owner: legal@example.com\n    expires: 2999-01-01\n"
    )
    (root / "licence-policy.yaml").write_text(policy, encoding="utf-8")
    config = (root / ".secscan.yaml").read_text(encoding="utf-8")
    (root / ".secscan.yaml").write_text(config + "  policy: licence-policy.yaml\n", "utf-8")
    ran = run_cli(
        "scan", str(root), "--profile", "release", "--no-cache", "--output-dir", str(tmp_path / "o")
    )
    assert ran.code == 0, ran.out + ran.err
    assert "LICENSE-FORBIDDEN" not in ran.out
