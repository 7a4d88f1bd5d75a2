"""The all-ecosystem dependency scanner: real lock files against real OSV records, offline.

Expected findings are computed here from the records by the second implementation of
tests/advisories/test_matcher_ecosystems.py, never copied from the scanner's output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from secscan.advisories.importer import import_records
from secscan.dependencies import sources
from secscan.errors import ScannerError
from secscan.scanners.base import ScanContext, ScanRequest
from secscan.scanners.osv_deps import OsvDepsScanner
from secscan.settings.config import Config
from tests.advisories.test_matcher_ecosystems import DATA as RECORDS
from tests.advisories.test_matcher_ecosystems import _second_opinion

LOCKS = Path(__file__).resolve().parents[1] / "data" / "lockfiles"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("osv") / "db"
    import_records(RECORDS, out)
    return out


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def _scan(root: Path, db: Path | None) -> tuple[OsvDepsScanner, object]:
    scanner = OsvDepsScanner()
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    ctx = ScanContext(
        root=root,
        targets=tuple(f for f in files if scanner.applies_to(f)),
        config=Config(),
        timeout=60,
        request=ScanRequest(advisory_db=db),
    )
    return scanner, scanner.scan(ctx)


def _expected(root: Path) -> set[tuple[str, str, str]]:
    """(package, version, record id) every record's affected entries say, by the second
    implementation; records that alias each other count once, under any of their ids."""
    declared = sources.collect(root, [p.relative_to(root).as_posix() for p in root.rglob("*")
                                      if p.is_file()], 1 << 26).declared  # fmt: skip
    found = set()
    for raw_path in sorted(RECORDS.rglob("*.json")):
        raw = json.loads(raw_path.read_text())
        if raw.get("withdrawn"):
            continue
        for d in declared:
            if d.version is None or d.ecosystem == "PyPI":
                continue
            for entry in raw["affected"]:
                pkg = entry["package"]
                if (pkg["ecosystem"], pkg["name"]) == (d.ecosystem, d.name) and _second_opinion(
                    entry, d.ecosystem, d.version
                ):
                    found.add((d.name, d.version, raw["id"]))
    return found


def test_npm_go_and_cargo_findings_match_the_records(tmp_path: Path, db: Path) -> None:
    root = _project(
        tmp_path,
        {
            "web/package-lock.json": json.dumps(
                {
                    "lockfileVersion": 3,
                    "packages": {
                        "": {"dependencies": {"lodash": "^4", "ws": "^7"}},
                        "node_modules/lodash": {"version": "4.17.15"},
                        "node_modules/ws": {"version": "7.4.5"},
                        "node_modules/a/node_modules/minimatch": {"version": "3.0.4"},
                        "node_modules/left-pad": {"version": "1.3.0"},
                    },
                },
                indent=2,
            ),
            "svc/go.mod": "module x\n\ngo 1.21\n\nrequire (\n"
            "\tgolang.org/x/net v0.10.0 // indirect\n"
            "\tgoogle.golang.org/protobuf v1.28.0\n)\n",
        },
    )
    shutil.copy(LOCKS / "cryptography-42.0.5" / "Cargo.lock", root / "Cargo.lock")
    _, outcome = _scan(root, db)
    findings = outcome.findings  # type: ignore[attr-defined]
    vulns = [f for f in findings if f.rule_id != "SECSCAN-DEP-UNPINNED"]
    expected = _expected(root)
    got_ids = {
        (f.package.name, f.package.version, i) for f in vulns for i in (f.rule_id, *f.aliases)
    }
    assert expected <= got_ids  # every record the second implementation matches is reported
    assert {(f.package.name, f.package.version, f.rule_id) for f in vulns} <= expected
    # aliases merged: one finding per package version and vulnerability
    keys = [(f.package.name, f.package.version, f.rule_id) for f in vulns]
    assert len(keys) == len(set(keys))
    protobuf = [f for f in vulns if f.package.name == "google.golang.org/protobuf"]
    assert [f.rule_id for f in protobuf] == ["GO-2024-2611"]
    assert "GHSA-8r3f-844c-mc37" in protobuf[0].aliases
    assert protobuf[0].package.purl == "pkg:golang/google.golang.org/protobuf@v1.28.0"
    assert protobuf[0].remediation == "Upgrade google.golang.org/protobuf to 1.33.0 or later."
    lodash = next(f for f in vulns if f.package.name == "lodash")
    assert (lodash.location.path, lodash.location.start_line) == ("web/package-lock.json", 10)
    assert "direct" in lodash.tags
    minimatch = next(f for f in vulns if f.package.name == "minimatch")
    assert "transitive" in minimatch.tags
    assert {c.ecosystem for c in outcome.components} == {"npm", "Go", "crates.io"}  # type: ignore[attr-defined]


def test_an_ecosystem_without_records_is_not_assessed_never_clean(tmp_path: Path, db: Path) -> None:
    root = _project(tmp_path, {"go.mod": "module x\n\nrequire github.com/a/b v1.0.0\n"})
    only_npm = tmp_path / "npm-only"
    import_records(RECORDS / "npm", only_npm)
    _, outcome = _scan(root, only_npm)
    assert outcome.findings == ()  # type: ignore[attr-defined]
    reasons = [n.reason for n in outcome.not_analyzed]  # type: ignore[attr-defined]
    assert reasons == ["not assessed: no advisories for Go in the mirror (1 packages)"]


def test_a_broken_lock_file_is_named_and_the_others_keep_their_results(
    tmp_path: Path, db: Path
) -> None:
    root = _project(
        tmp_path,
        {
            "a/package-lock.json": "{broken",
            "b/package-lock.json": json.dumps(
                {"lockfileVersion": 2, "packages": {"node_modules/lodash": {"version": "4.17.15"}}}
            ),
        },
    )
    _, outcome = _scan(root, db)
    assert {f.package.name for f in outcome.findings} == {"lodash"}  # type: ignore[attr-defined]
    bad = [n for n in outcome.not_analyzed if n.path == "a/package-lock.json"]  # type: ignore[attr-defined]
    assert bad and "not JSON" in bad[0].reason


def test_without_a_local_mirror_the_scan_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path, {"go.mod": "module x\n\nrequire github.com/a/b v1.0.0\n"})
    with pytest.raises(ScannerError, match="Go dependencies were NOT assessed"):
        _scan(root, None)


def test_a_git_dependency_is_an_unpinned_finding(tmp_path: Path, db: Path) -> None:
    root = _project(
        tmp_path,
        {
            "Cargo.lock": 'version = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n'
            'dependencies = ["dep"]\n\n[[package]]\nname = "dep"\nversion = "0.2.0"\n'
            'source = "git+https://user:tok@example.com/dep.git#abc"\n'
        },
    )
    _, outcome = _scan(root, db)
    (f,) = outcome.findings  # type: ignore[attr-defined]
    assert f.rule_id == "SECSCAN-DEP-UNPINNED" and f.location.start_line == 9
    assert "tok" not in (f.location.snippet or "")


def test_maven_packagist_rubygems_and_nuget_findings_match_the_records(
    tmp_path: Path, db: Path
) -> None:
    root = _project(
        tmp_path,
        {
            "jvm/gradle.lockfile": "org.apache.logging.log4j:log4j-core:2.14.1=runtimeClasspath\n"
            "junit:junit:4.12=testRuntimeClasspath\nlog4j:log4j:1.2.17=runtimeClasspath\n",
            "php/composer.lock": json.dumps(
                {"packages": [{"name": "guzzlehttp/guzzle", "version": "6.5.5"}]}
            ),
            "rb/Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n"
            "    rack (2.0.8)\n    loofah (2.3.0)\n\nDEPENDENCIES\n  rack\n",
            "cs/packages.lock.json": json.dumps(
                {
                    "version": 1,
                    "dependencies": {
                        "net8.0": {"System.Text.Json": {"type": "Direct", "resolved": "8.0.1"}}
                    },
                }
            ),  # fmt: skip
        },
    )
    _, outcome = _scan(root, db)
    vulns = [f for f in outcome.findings if f.rule_id != "SECSCAN-DEP-UNPINNED"]  # type: ignore[attr-defined]
    expected = _expected(root)
    got_ids = {
        (f.package.name, f.package.version, i) for f in vulns for i in (f.rule_id, *f.aliases)
    }
    assert expected <= got_ids
    assert {(f.package.name, f.package.version, f.rule_id) for f in vulns} <= expected
    assert {f.package.ecosystem for f in vulns} == {"Maven", "Packagist", "RubyGems", "NuGet"}
    log4j1 = [f for f in vulns if f.package.name == "log4j:log4j"]
    assert log4j1 and all(f.package.fixed_versions == () for f in log4j1)  # last_affected only


def _not_assessed(outcome: object, path: str) -> list[str]:
    return [n.reason for n in outcome.not_analyzed if n.path == path]  # type: ignore[attr-defined]


def test_package_json_without_a_lock_names_the_ranges_it_could_not_assess(
    tmp_path: Path, db: Path
) -> None:
    manifest = {
        "name": "app",
        "dependencies": {"lodash": "4.17.15", "ws": "^7.4.0", "shared": "workspace:*"},
        "devDependencies": {"minimatch": "~3.0.4", "local-tool": "file:../tool"},
    }
    root = _project(tmp_path, {"app/package.json": json.dumps(manifest, indent=2)})
    _, outcome = _scan(root, db)
    findings = outcome.findings  # type: ignore[attr-defined]
    # the exact version is what gets installed: audited like a lock entry, at its line
    lodash = [f for f in findings if f.package.name == "lodash"]
    assert lodash and {(f.location.path, f.location.start_line) for f in lodash} == {
        ("app/package.json", 4)
    }
    assert {(n, v, i) for n, v, i in _expected(root)} <= {
        (f.package.name, f.package.version, i) for f in findings for i in (f.rule_id, *f.aliases)
    }
    reasons = _not_assessed(outcome, "app/package.json")
    assert any("2 dependencies no lock file" in r and "ws ^7.4.0, minimatch ~3.0.4" in r
               for r in reasons), reasons  # fmt: skip
    assert any("local-tool comes from a local path" in r for r in reasons)
    assert not any("shared" in r for r in reasons)  # a workspace member is first-party


def test_a_lock_in_a_folder_above_covers_a_workspace_package_per_package(
    tmp_path: Path, db: Path
) -> None:
    """npm workspaces: the root lock pins lodash for packages/app; ws is pinned nowhere. A
    lock that pins nothing (anyone can commit one) covers nothing."""
    lock = {
        "lockfileVersion": 3,
        "packages": {"": {}, "node_modules/lodash": {"version": "4.17.21"}},
    }
    app = {"dependencies": {"lodash": "^4.17.0", "ws": "^7.4.0"}}
    root = _project(
        tmp_path / "a",
        {
            "package-lock.json": json.dumps(lock, indent=2),
            "packages/app/package.json": json.dumps(app, indent=2),
        },
    )
    _, outcome = _scan(root, db)
    assert _not_assessed(outcome, "packages/app/package.json") == [
        "not assessed: 1 dependency no lock file here or in a folder above pins (ws ^7.4.0): "
        "the installed versions, and what they pull in, are unknown; commit the lock file"
    ]
    empty = _project(
        tmp_path / "b",
        {
            "package-lock.json": json.dumps({"lockfileVersion": 3, "packages": {"": {}}}),
            "package.json": json.dumps({"dependencies": {"lodash": "^4.17.0"}}),
        },
    )
    _, outcome = _scan(empty, db)
    assert any("(lodash ^4.17.0)" in r for r in _not_assessed(outcome, "package.json"))
