"""The licence scanner on real installed distributions, real licence texts and a real lock file."""

from __future__ import annotations

import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from secscan.app.registry import installed
from secscan.dependencies import license_policy as lp
from secscan.dependencies import licenses as lic
from secscan.errors import ConfigError, ScannerError
from secscan.model.findings import FindingKind, Severity
from secscan.scanners import licenses as scanner_module
from secscan.scanners.base import ScanContext, ScanOutcome, ScanRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "licenses"
ENV = FIXTURES / "env"
TODAY = date(2026, 12, 7)


def by_name(items: list[lic.Licensed]) -> dict[str, lic.Licensed]:
    return {i.name: i for i in items}


def test_installed_distributions_are_read_by_their_strongest_statement() -> None:
    got = by_name(lic.installed(ENV))
    # PEP 639 License-Expression
    assert (got["semgrep"].expression, got["semgrep"].source) == (
        "LGPL-2.1-or-later",
        "License-Expression",
    )
    # a `License:` field that is a valid SPDX expression
    assert (got["pylint"].expression, got["pylint"].source) == ("GPL-2.0-or-later", "License")
    assert (got["certifi"].expression, got["certifi"].source) == ("MPL-2.0", "License")
    # free text in `License:`, no classifier: the licence file's text decides (protobuf's
    # LICENSE has the no-endorsement clause: BSD-3-Clause)
    assert got["protobuf"].expression == "BSD-3-Clause"
    assert got["protobuf"].source == "license file"
    assert "3-Clause BSD License" in got["protobuf"].declared
    # only a License-File under licenses/: its text decides
    assert (got["face"].expression, got["face"].source) == ("BSD-3-Clause", "license file")
    assert got["face"].purl == "pkg:pypi/face@26.0.1"


@pytest.mark.parametrize(
    ("dist", "spdx"),
    [
        ("pylint-3.3.1.dist-info/LICENSE", "GPL-2.0-only"),
        ("protobuf-6.33.6.dist-info/LICENSE", "BSD-3-Clause"),
        ("face-26.0.1.dist-info/licenses/LICENSE", "BSD-3-Clause"),
    ],
)
def test_real_licence_texts_are_recognised_by_their_header(dist: str, spdx: str) -> None:
    text = (ENV / "lib/python3.11/site-packages" / dist).read_text(encoding="utf-8")
    assert lic.from_license_text(text[: lic.LICENSE_FILE_HEAD]) == spdx


def test_the_running_environment_is_read(tmp_path: Path) -> None:
    """secscan's own environment: real, installed by pip from PyPI."""
    got = by_name(lic.installed(Path(sys.prefix)))
    assert got["license-expression"].expression == "Apache-2.0"
    assert got["semgrep"].expression is not None
    assert "LGPL" in got["semgrep"].expression
    assert got["click"].expression == "BSD-3-Clause"


def test_classifiers_map_exactly_or_to_a_family() -> None:
    spdx, category, said = lic.from_classifiers(
        ["License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)"]
    )
    assert (spdx, category) == ("LGPL-3.0-or-later", None) and said
    spdx, category, _ = lic.from_classifiers(["License :: OSI Approved :: BSD License"])
    assert (spdx, category) == (None, "Permissive")
    # an unknown classifier is not guessed
    spdx, category, said = lic.from_classifiers(["License :: Made Up :: Whatever"])
    assert (spdx, category) == (None, None) and said
    assert lic.from_classifiers(["License :: OSI Approved"]) == (None, None, "")


def test_expressions_are_spdx_normalised_and_unknown_ids_refused() -> None:
    assert lic.normalize("mit or apache-2.0") == "MIT OR Apache-2.0"
    assert lic.normalize("GPL-2.0+") == "GPL-2.0-or-later"
    assert lic.normalize("Apache-2.0 WITH LLVM-exception") == "Apache-2.0 WITH LLVM-exception"
    assert lic.normalize("3-Clause BSD License") is None
    assert lic.normalize("Foo-1.0") is None
    assert lic.normalize("x" * 1000) is None


def test_a_real_npm_lock_file_records_licences() -> None:
    text = (FIXTURES / "npm" / "package-lock.json").read_text(encoding="utf-8")
    got = by_name(lic.from_lock_file("package-lock.json", text))
    assert got["jszip"].expression == "MIT OR GPL-3.0-or-later"
    assert got["pako"].expression == "MIT AND Zlib"
    assert got["left-pad"].expression == "WTFPL"
    assert got["json-schema"].expression is None and got["json-schema"].declared == ""
    assert got["jszip"].line is not None and got["jszip"].purl == "pkg:npm/jszip@3.10.1"


def judge(item: lic.Licensed, policy: lp.Policy | None = None) -> lp.Judged:
    return lp.judge(policy or lp.load(), item, TODAY)


def test_the_default_policy_judges_by_category_and_logic() -> None:
    env = by_name(lic.installed(ENV))
    assert judge(env["pylint"]).verdict is lp.Verdict.FORBIDDEN
    assert judge(env["pylint"]).severity is Severity.HIGH
    assert judge(env["semgrep"]).verdict is lp.Verdict.REVIEW
    assert judge(env["face"]).verdict is lp.Verdict.ALLOWED
    npm = by_name(
        lic.from_lock_file(
            "package-lock.json", (FIXTURES / "npm" / "package-lock.json").read_text("utf-8")
        )
    )
    # OR: the licensee may take MIT
    assert judge(npm["jszip"]).verdict is lp.Verdict.ALLOWED
    assert judge(npm["pako"]).verdict is lp.Verdict.ALLOWED
    unknown = judge(npm["json-schema"])
    assert unknown.verdict is lp.Verdict.UNKNOWN and unknown.severity is Severity.MEDIUM


def write_policy(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "licence-policy.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_exceptions_apply_until_they_expire(tmp_path: Path) -> None:
    pylint = by_name(lic.installed(ENV))["pylint"]
    base = (Path(lp.default_path())).read_text(encoding="utf-8").replace("exceptions: []", "")
    for expires, verdict in ((TODAY + timedelta(days=1), "allowed"), (TODAY, "allowed")):
        policy = lp.load(
            write_policy(
                tmp_path,
                base + "exceptions:\n  - package: PyLint\n    license: GPL-2.0+\n"
                "    reason: dev tool only\n    owner: legal@example.com\n"
                f"    expires: {expires}\n",
            )
        )
        assert judge(pylint, policy).verdict.value == verdict
    policy = lp.load(
        write_policy(
            tmp_path,
            base + "exceptions:\n  - package: pylint\n    reason: r\n    owner: o@example.com\n"
            f"    expires: {TODAY - timedelta(days=1)}\n",
        )
    )
    judged = judge(pylint, policy)
    assert judged.verdict is lp.Verdict.FORBIDDEN and judged.expired
    assert "expired" in judged.reason and "o@example.com" in judged.reason
    # an exception for another licence does not apply
    policy = lp.load(
        write_policy(
            tmp_path,
            base + "exceptions:\n  - package: pylint\n    license: MIT\n    reason: r\n"
            f"    owner: o@example.com\n    expires: {TODAY}\n",
        )
    )
    assert judge(pylint, policy).verdict is lp.Verdict.FORBIDDEN


def test_ort_classifications_are_imported(tmp_path: Path) -> None:
    # The layout of ORT's documented license-classifications.yml
    (tmp_path / "license-classifications.yml").write_text(
        "categories:\n- name: copyleft\n- name: permissive\n  description: fine\n"
        "- name: include-in-notice-file\n"
        "categorizations:\n"
        '- id: "MPL-2.0"\n  categories: [permissive, include-in-notice-file]\n'
        '- id: "MIT"\n  categories: [copyleft]\n',
        encoding="utf-8",
    )
    policy_file = write_policy(
        tmp_path,
        "version: 1\ncategories:\n  Permissive: allowed\n  Copyleft Limited: review\n"
        "ort_verdicts:\n  copyleft: forbidden\n  permissive: allowed\n",
    )
    policy = lp.load(policy_file, tmp_path / "license-classifications.yml")
    env = by_name(lic.installed(ENV))
    assert judge(env["certifi"], policy).verdict is lp.Verdict.ALLOWED  # MPL-2.0 via ORT
    assert "ORT" in judge(env["certifi"], policy).reason
    assert judge(env["semgrep"], policy).verdict is lp.Verdict.REVIEW  # ScanCode category
    mit = lic.Licensed("x", "1", "npm", "MIT", "MIT", "package-lock.json", "p")
    assert judge(mit, policy).verdict is lp.Verdict.FORBIDDEN
    bad = write_policy(tmp_path, "version: 1\nort_verdicts:\n  strong-copyleft: forbidden\n")
    with pytest.raises(ConfigError, match="strong-copyleft"):
        lp.load(bad, tmp_path / "license-classifications.yml")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("version: 1\ncategories:\n  Permisive: allowed\n", "Permisive"),
        ("version: 1\nlicenses:\n  NotALicence-9: allowed\n", "NotALicence-9"),
        ("version: 1\ncategories:\n  Permissive: maybe\n", "categories"),
        (
            "version: 1\nexceptions:\n  - package: x\n    reason: r\n    expires: 2027-01-01\n",
            "owner",
        ),
    ],
)
def test_a_broken_policy_is_refused_naming_the_key(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError) as caught:
        lp.load(write_policy(tmp_path, text))
    assert match in caught.value.diagnostics()
    assert caught.value.diagnostics().startswith(str(tmp_path / "licence-policy.yaml") + ":")


def scan(tmp_path: Path, files: dict[str, str], **license_opts: object) -> ScanOutcome:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    config = installed().scanners.make_config(license=license_opts, base_dir=tmp_path)
    s = scanner_module.LicenseScanner()
    targets = s.select(sorted(files), ScanRequest())
    return s.scan(ScanContext(tmp_path, targets, config, timeout=60))


def test_the_scanner_names_package_and_licence_of_a_forbidden_dependency(tmp_path: Path) -> None:
    env = tmp_path / "env"
    shutil.copytree(ENV, env)
    outcome = scan(
        tmp_path,
        {"requirements.txt": "pylint==3.3.1\nsemgrep\nface\nnot-installed==1.0\n"},
        environments=["env"],
    )
    findings = {f.package.name: f for f in outcome.findings if f.package}
    forbidden = findings["pylint"]
    assert forbidden.rule_id == "LICENSE-FORBIDDEN" and forbidden.severity is Severity.HIGH
    assert forbidden.kind is FindingKind.LICENSE
    assert "pylint 3.3.1" in forbidden.message and "GPL-2.0-or-later" in forbidden.message
    assert (forbidden.location.path, forbidden.location.start_line) == ("requirements.txt", 1)
    assert findings["semgrep"].rule_id == "LICENSE-REVIEW"
    assert findings["semgrep"].severity is Severity.LOW
    unknown = findings["not-installed"]
    assert unknown.rule_id == "LICENSE-UNKNOWN" and "not installed" in unknown.message
    assert "face" not in findings
    # every package read is a component with its licence, allowed or not
    components = {p.name: p.license for p in outcome.components}
    assert components["face"] == "BSD-3-Clause"
    assert components["pylint"] == "GPL-2.0-or-later"
    # an installed distribution no manifest declares is placed at its METADATA file
    assert findings["certifi"].location.path.startswith("env/lib/python3.11/site-packages/")
    assert outcome.analyzed == frozenset({"requirements.txt"})


def test_without_an_environment_python_manifests_are_outside_coverage(tmp_path: Path) -> None:
    lock = (FIXTURES / "npm" / "package-lock.json").read_text(encoding="utf-8")
    outcome = scan(tmp_path, {"requirements.txt": "pylint==3.3.1\n", "web/package-lock.json": lock})
    assert [(n.path, n.uncovered) for n in outcome.not_analyzed] == [("requirements.txt", True)]
    rules = {f.package.name: f.rule_id for f in outcome.findings}
    assert rules == {"json-schema": "LICENSE-UNKNOWN"}
    assert outcome.analyzed == frozenset({"web/package-lock.json"})


def test_a_hostile_lock_file_is_not_analyzed_not_a_crash(tmp_path: Path) -> None:
    outcome = scan(
        tmp_path,
        {
            "a/package-lock.json": "[" * 100_000,
            "b/package-lock.json": '{"packages": []}',
            "c/composer.lock": "not json",
        },
    )
    assert sorted(n.path for n in outcome.not_analyzed) == [
        "a/package-lock.json",
        "b/package-lock.json",
        "c/composer.lock",
    ]
    assert not any(n.uncovered for n in outcome.not_analyzed)


def test_a_named_environment_that_is_none_is_a_scanner_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScannerError, match="no Python environment"):
        scan(tmp_path, {"requirements.txt": "x\n"}, environments=["empty"])
