"""Lock files of other ecosystems, read from real projects' published files
(tests/data/lockfiles/SOURCES.md): every package with its version, the line that states it,
direct or transitive, its package URL; first-party entries left out, local paths named."""

from __future__ import annotations

import functools
import json
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from secscan.dependencies import sources
from secscan.dependencies.interface import Manifests, Reader
from secscan.dependencies.pnpm_lock import split_key
from secscan.dependencies.yarn_lock import spec_name

DATA = Path(__file__).resolve().parents[1] / "data" / "lockfiles"
MB = 1 << 20


def _parse(rel: str, root: Path = DATA) -> Manifests:
    source = sources.source_for(rel)
    assert source is not None, rel
    return source.parse(rel, Reader(root, 50 * MB))


@functools.cache
def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _line_of(path: Path, number: int) -> str:
    return _lines(path)[number - 1]


def test_cargo_lock_of_cryptography() -> None:
    rel = "cryptography-42.0.5/Cargo.lock"
    found = _parse(rel)
    data = tomllib.loads((DATA / rel).read_text())
    members = [p for p in data["package"] if "source" not in p]
    expected = Counter((p["name"], p["version"]) for p in data["package"] if "source" in p)
    assert Counter((d.name, d.version) for d in found.declared) == expected
    assert members and not found.problems
    direct = {str(d).split(" ")[0] for m in members for d in m.get("dependencies", [])}
    for d in found.declared:
        assert d.ecosystem == "crates.io" and d.purl == f"pkg:cargo/{d.name}@{d.version}"
        assert _line_of(DATA / rel, d.line) == f'name = "{d.name}"'
        assert d.direct is (d.name in direct)
    assert {d.name for d in found.declared if d.direct} >= {"pyo3", "openssl"}


def _npm_v3_expected(data: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter(
        (entry.get("name") or key.rsplit("node_modules/", 1)[1], entry["version"])
        for key, entry in data["packages"].items()
        if "node_modules/" in key and not entry.get("link")
    )


def test_package_lock_v3_of_panel() -> None:
    rel = "panel-1.4.2/package-lock.json"
    found = _parse(rel)
    data = json.loads((DATA / rel).read_text())
    assert data["lockfileVersion"] == 3
    assert Counter((d.name, d.version) for d in found.declared) == _npm_v3_expected(data)
    root = data["packages"][""]
    direct = {*root.get("dependencies", {}), *root.get("devDependencies", {})}
    assert {d.name for d in found.declared if d.direct} == direct
    for d in found.declared:
        key_line = _line_of(DATA / rel, d.line)
        assert re.match(r'\s*"(.*node_modules/)?' + re.escape(d.name) + '": \\{', key_line), d
        assert d.purl.startswith("pkg:npm/")


def _npm_v1_expected(deps: dict[str, Any]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for name, entry in deps.items():
        out[(name, entry["version"])] += 1
        out.update(_npm_v1_expected(entry.get("dependencies", {})))
    return out


def test_package_lock_v1_of_panel_walks_the_nested_tree() -> None:
    rel = "panel-0.9.7/package-lock.json"
    found = _parse(rel)
    data = json.loads((DATA / rel).read_text())
    assert data["lockfileVersion"] == 1
    assert Counter((d.name, d.version) for d in found.declared) == _npm_v1_expected(
        data["dependencies"]
    )
    for d in found.declared:
        assert _line_of(DATA / rel, d.line).strip().startswith(f'"{d.name}": {{'), d
        assert d.direct is None  # v1 does not say; package.json would


@pytest.mark.parametrize("version", ["3.6.7", "4.1.6"])
def test_yarn_lock_both_generations_of_jupyterlab(version: str) -> None:
    rel = f"jupyterlab-{version}/yarn.lock"
    found = _parse(rel)
    text = (DATA / rel).read_text()
    if version.startswith("4"):  # yarn 3: YAML, read here by the YAML library
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        expected = Counter(
            (spec_name(k.split(",")[0]), str(v["version"]))
            for k, v in data.items()
            if k != "__metadata" and not re.search(r"@(workspace|patch):", v.get("resolution", ""))
        )
    else:  # yarn 1: one `version "x"` line per block
        expected = Counter(
            (spec_name(m[1].split(",")[0]), m[2])
            for m in re.finditer(r'^(\S.*):\n(?:  .*\n)*?  version "([^"]+)"', text, re.M)
        )
    assert not found.problems
    assert Counter((d.name, d.version) for d in found.declared) == expected
    for d in found.declared:
        header = _line_of(DATA / rel, d.line)
        assert not header[0].isspace() and d.name in header


def test_go_mod_of_gin() -> None:
    rel = "gin/go.mod"
    found = _parse(rel)
    text = (DATA / rel).read_text()
    lines = re.findall(r"^\t(\S+) v(\S+)( // indirect)?$", text, re.M)
    assert [(d.name, d.version, d.direct) for d in found.declared] == [
        (name, version, not indirect) for name, version, indirect in lines
    ]
    assert found.declared[0].purl == "pkg:golang/github.com/bytedance/sonic@v1.11.6"
    for d in found.declared:
        assert _line_of(DATA / rel, d.line) == f"\t{d.specifier and d.name} {d.specifier}" + (
            "" if d.direct else " // indirect"
        )


def test_go_mod_replace_directives(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module example.com/app\n\ngo 1.21\n\n"
        "require (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v1.2.0 // indirect\n)\n"
        "require github.com/e/f v0.1.0\n\n"
        "replace github.com/a/b => ../b\n"
        "replace github.com/c/d v1.2.0 => github.com/fork/d v1.2.5\n"
    )
    found = _parse("go.mod", tmp_path)
    assert [(d.name, d.version, d.line, d.direct) for d in found.declared] == [
        ("github.com/fork/d", "1.2.5", 7, False),
        ("github.com/e/f", "0.1.0", 9, True),
    ]
    assert "replaced by the local path '../b'" in found.not_audited[0].reason


@pytest.mark.parametrize(
    ("key", "v5", "expected"),
    [
        ("/lodash/4.17.21", True, ("lodash", "4.17.21")),
        ("/@babel/core/7.0.0_supports-color@5.5.0", True, ("@babel/core", "7.0.0")),
        ("/@types/react@18.2.0(react@18.2.0)", False, ("@types/react", "18.2.0")),
        ("/ms@2.1.2", False, ("ms", "2.1.2")),
        ("@vue/shared@3.4.0", False, ("@vue/shared", "3.4.0")),
    ],
)
def test_pnpm_keys_of_each_lockfile_version(key: str, v5: bool, expected: tuple[str, str]) -> None:
    assert split_key(key, v5) == expected


def test_pnpm_lock_v9_importers_make_direct_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n"
        "      ms:\n        specifier: ^2.1.0\n        version: 2.1.2\n\n"
        "packages:\n\n  ms@2.1.2:\n    resolution: {integrity: sha512-x}\n\n"
        "  debug@4.3.4:\n    resolution: {integrity: sha512-y}\n\n"
        "  local@file:../local:\n    resolution: {directory: ../local, type: directory}\n"
    )
    found = _parse("pnpm-lock.yaml", tmp_path)
    assert [(d.name, d.version, d.line, d.direct) for d in found.declared] == [
        ("ms", "2.1.2", 13, True),
        ("debug", "4.3.4", 16, False),
    ]
    assert len(found.not_audited) == 1


@pytest.mark.parametrize(
    ("version", "header", "importer", "keys"),
    [
        ("5.4", "dependencies:\n  a: 1.0.0_b@2.0.0\n  c: /d/3.0.0\n", None,
         ("/a/1.0.0_b@2.0.0", "/a/0.9.0", "/d/3.0.0")),
        ("6.0", "dependencies:\n  a:\n    specifier: ^1\n    version: 1.0.0(b@2.0.0)\n"
         "  c:\n    specifier: npm:d@3\n    version: /d@3.0.0\n", None,
         ("/a@1.0.0(b@2.0.0)", "/a@0.9.0", "/d@3.0.0")),
        ("9.0", None, "      a:\n        specifier: ^1\n        version: 1.0.0(b@2.0.0)\n"
         "      c:\n        specifier: npm:d@3\n        version: d@3.0.0\n",
         ("a@1.0.0", "a@0.9.0", "d@3.0.0")),
    ],
)  # fmt: skip
def test_pnpm_direct_is_the_version_the_importer_resolved(
    tmp_path: Path, version: str, header: str | None, importer: str | None, keys: tuple[str, ...]
) -> None:
    """Another version of a direct dependency's name, pulled in by something else, is
    transitive (vue's lock has postcss 8.5.23 direct and 8.5.25 transitive); an alias
    (`c: npm:d@3`) makes the aliased package direct."""
    text = f"lockfileVersion: '{version}'\n\n"
    text += header or f"importers:\n\n  .:\n    dependencies:\n{importer}"
    text += "\npackages:\n\n" + "".join(f"  {k}:\n    resolution: {{integrity: x}}\n" for k in keys)
    (tmp_path / "pnpm-lock.yaml").write_text(text)
    found = _parse("pnpm-lock.yaml", tmp_path)
    assert [(d.name, d.version, d.direct) for d in found.declared] == [
        ("a", "1.0.0", True),
        ("a", "0.9.0", False),
        ("d", "3.0.0", True),
    ]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("package-lock.json", "{not json", "not JSON"),
        ("package-lock.json", "[]", "not a package-lock object"),
        ("Cargo.lock", "[[package]\n", "TOML syntax error"),
        ("pnpm-lock.yaml", "packages: [\n", "YAML syntax error"),
        ("pnpm-lock.yaml", "packages: {}\n", "not a pnpm lock file"),
        ("yarn.lock", 'lodash@^4:\n  resolved "x"\n', "lodash: no version"),
        ("go.mod", "module x\nrequire (\n  a.b/c v1.0.0\n", "the require block is never closed"),
        ("go.mod", "module x\nrequire a.b/c\n", "a require without a module path and version"),
        ("go.mod", "module x\n<<<<<<< HEAD\nrequire a.b/c v1.0.0\n", "not a directive"),
        ("Gemfile.lock", "GEM\n  specs:\n    rack 2.0\n", "not `name (version)`"),
        ("Gemfile.lock", "{}\n", "not a Gemfile.lock"),
        ("composer.lock", "{", "not JSON"),
        ("composer.lock", '{"packages": [{"version": "1.0"}]}', "package entry without a name"),
        ("packages.lock.json", "{}", "not a NuGet lock file"),
        ("pom.xml", "<project>", "not a readable pom.xml"),
        ("gradle.lockfile", "garbage line\n", "not group:artifact:version"),
        ("package.json", "{", "not JSON"),
    ],
)
def test_a_lock_file_that_does_not_parse_is_a_named_problem(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    (tmp_path / name).write_text(text)
    found = _parse(name, tmp_path)
    assert found.problems and problem in found.problems[0].message
    assert found.problems[0].path == name
    assert found.problems[0].line is not None or name == "composer.lock"


def test_collect_reads_every_format_of_a_polyglot_tree(tmp_path: Path) -> None:
    for rel in ("cryptography-42.0.5/Cargo.lock", "panel-1.4.2/package-lock.json", "gin/go.mod"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / rel, tmp_path / rel)
    (tmp_path / "requirements.txt").write_text("requests==2.31.0\n")
    found = sources.collect(tmp_path, [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                                       if p.is_file()], 10 * MB)  # fmt: skip
    assert {d.ecosystem for d in found.declared} == {"PyPI", "crates.io", "npm", "Go"}
    assert sorted(found.files) == sorted(
        ["cryptography-42.0.5/Cargo.lock", "panel-1.4.2/package-lock.json", "gin/go.mod",
         "requirements.txt"]
    )  # fmt: skip


def test_composer_gemfile_nuget_gradle_and_pom(tmp_path: Path) -> None:
    files = {
        "php/composer.lock": json.dumps(
            {
                "packages": [
                    {"name": "symfony/http-kernel", "version": "v4.4.0"},
                    {
                        "name": "acme/fork",
                        "version": "dev-main",
                        "source": {"url": "https://u:p@git.example/fork.git"},
                    },
                ],
                "packages-dev": [{"name": "phpunit/phpunit", "version": "9.5.0"}],
            },
            indent=4,
        ),  # fmt: skip
        "rb/Gemfile.lock": "GIT\n  remote: https://github.com/x/y.git\n  revision: abc\n"
        "  specs:\n    y (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n"
        "    rack (2.0.0)\n    nokogiri (1.13.0-x86_64-linux)\n      racc (~> 1.4)\n"
        "    racc (1.6.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  nokogiri\n  rack (= 2.0.0)\n"
        "  y!\n\nBUNDLED WITH\n   2.3.7\n",
        "cs/packages.lock.json": json.dumps(
            {
                "version": 1,
                "dependencies": {
                    "net6.0": {
                        "Newtonsoft.Json": {
                            "type": "Direct",
                            "requested": "[12.0.1, )",
                            "resolved": "12.0.1",
                        },
                        "System.Memory": {"type": "Transitive", "resolved": "4.5.4"},
                        "MyLib": {"type": "Project"},
                    }
                },
            },
            indent=2,
        ),  # fmt: skip
        "jvm/gradle.lockfile": "# comment\norg.apache.logging.log4j:log4j-core:2.14.1="
        "compileClasspath,runtimeClasspath\nempty=annotationProcessor\n",
        "jvm/pom.xml": "<?xml version='1.0'?>\n<project xmlns='http://maven.apache.org/POM/4.0.0'>\n"
        "  <properties><jackson.version>2.9.8</jackson.version></properties>\n"
        "  <dependencies>\n    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n"
        "      <artifactId>jackson-databind</artifactId>\n"
        "      <version>${jackson.version}</version>\n    </dependency>\n"
        "    <dependency>\n      <groupId>org.x</groupId><artifactId>managed</artifactId>\n"
        "    </dependency>\n  </dependencies>\n</project>\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = sources.collect(tmp_path, list(files), 10 * MB)
    got = {(d.ecosystem, d.name, d.version, d.line, d.direct) for d in found.declared}
    assert got == {
        ("Packagist", "symfony/http-kernel", "4.4.0", 4, None),
        ("Packagist", "acme/fork", None, 8, None),
        ("Packagist", "phpunit/phpunit", "9.5.0", 17, None),
        ("RubyGems", "y", None, 5, True),
        ("RubyGems", "rack", "2.0.0", 10, True),
        ("RubyGems", "nokogiri", "1.13.0", 11, True),
        ("RubyGems", "racc", "1.6.0", 13, False),
        ("NuGet", "Newtonsoft.Json", "12.0.1", 5, True),
        ("NuGet", "System.Memory", "4.5.4", 10, False),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", 2, None),
        ("Maven", "com.fasterxml.jackson.core:jackson-databind", "2.9.8", 5, True),
    }
    assert "p@" not in str(found.declared)  # the fork's URL credentials are masked
    assert [n.reason.split(":")[0] for n in found.not_audited] == ["line 10"]
    assert not found.problems


def test_a_pom_with_a_document_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n'
        "<project><dependencies><dependency><groupId>&lol;</groupId></dependency>"
        "</dependencies></project>\n"
    )
    found = _parse("pom.xml", tmp_path)
    assert not found.declared
    assert "document type declaration is not allowed" in found.problems[0].message


def test_uv_lock_says_which_packages_the_project_names_itself(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        'version = 1\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "Requests" }]\n\n'
        '[package.optional-dependencies]\ncli = [{ name = "click" }]\n\n'
        '[[package]]\nname = "requests"\nversion = "2.31.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        'dependencies = [{ name = "idna" }]\n\n'
        '[[package]]\nname = "idna"\nversion = "3.6"\n'
        'source = { registry = "https://pypi.org/simple" }\n\n'
        '[[package]]\nname = "click"\nversion = "8.1.7"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    found = _parse("uv.lock", tmp_path)
    assert [(d.name, d.version, d.direct) for d in found.declared] == [
        ("requests", "2.31.0", True),
        ("idna", "3.6", False),
        ("click", "8.1.7", True),
    ]


# Five more formats from public projects (SOURCES.md), each counted a second way: by the
# format's own parser here, and by trivy's DB-free inventory in the integration test below.


def test_pnpm_lock_v9_of_vue() -> None:
    rel = "vuejs-core/pnpm-lock.yaml"
    found = _parse(rel)
    data = yaml.safe_load((DATA / rel).read_text())
    assert data["lockfileVersion"] == "9.0" and not found.problems
    expected = {split_key(key, False) for key in data["packages"]}
    assert {(d.name, d.version) for d in found.declared} == expected
    assert len(found.declared) == len(expected) == 620
    # direct: what any importer (the workspace's packages) names, at the version it resolved
    named = {
        (name, str(spec["version"]).split("(")[0])
        for importer in data["importers"].values()
        for kind in ("dependencies", "devDependencies", "optionalDependencies")
        for name, spec in (importer.get(kind) or {}).items()
        if not str(spec["version"]).startswith("link:")
    }
    assert {(d.name, d.version) for d in found.declared if d.direct} == named & expected
    for d in found.declared:
        assert (
            _line_of(DATA / rel, d.line)
            .lstrip()
            .startswith((f"{d.name}@{d.version}", f"'{d.name}@{d.version}"))
        ), d


def test_composer_lock_of_composer() -> None:
    rel = "composer/composer.lock"
    found = _parse(rel)
    data = json.loads((DATA / rel).read_text())
    entries = data["packages"] + data["packages-dev"]
    # Packagist tags often carry a "v" (v5.4.47); advisories name the version without it.
    assert Counter((d.name, d.version) for d in found.declared) == Counter(
        (p["name"], p["version"].removeprefix("v")) for p in entries
    )
    assert len(found.declared) == 36 and not found.problems and not found.not_audited
    for d in found.declared:
        assert _line_of(DATA / rel, d.line).strip() == f'"name": "{d.name}",', d
        assert d.purl == f"pkg:composer/{d.name}@{d.version}"


def _gem_specs(text: str) -> Counter[tuple[str, str]]:
    """Every `name (version[-platform])` spec line of the GEM sections."""
    out: Counter[tuple[str, str]] = Counter()
    for section in re.findall(r"^GEM\n(.*?)(?=^\S)", text + "END\n", re.M | re.S):
        for name, version in re.findall(r"^ {4}(\S+) \(([^)]+)\)$", section, re.M):
            out[(name, re.sub(r"-(x86|x64|aarch64|arm|java|universal|mingw|darwin|ruby).*", "",
                              version))] += 1  # fmt: skip
    return out


def test_gemfile_lock_of_rubygems_org() -> None:
    rel = "rubygems.org/Gemfile.lock"
    found = _parse(rel)
    text = (DATA / rel).read_text()
    # One entry per spec line: a gem built for seven platforms is seven lines, one version.
    assert Counter((d.name, d.version) for d in found.declared) == _gem_specs(text)
    assert len(found.declared) == 341 and len({(d.name, d.version) for d in found.declared}) == 298
    deps = re.search(r"^DEPENDENCIES\n((?: {2}.*\n)+)", text, re.M)
    assert deps is not None
    direct = {line.split()[0].rstrip("!") for line in deps[1].splitlines()}
    assert {d.name for d in found.declared if d.direct} == direct & {d.name for d in found.declared}
    for d in found.declared:
        assert _line_of(DATA / rel, d.line).startswith(f"    {d.name} ({d.version}"), d


def test_gems_locked_is_bundlers_lock_of_a_gems_rb(tmp_path: Path) -> None:
    """Bundler writes gems.locked beside a gems.rb: the same format, read the same way."""
    (tmp_path / "app").mkdir()
    shutil.copy(DATA / "rubygems.org" / "Gemfile.lock", tmp_path / "app" / "gems.locked")
    found = _parse("app/gems.locked", tmp_path)
    assert {(d.name, d.version, d.line) for d in found.declared} == {
        (d.name, d.version, d.line) for d in _parse("rubygems.org/Gemfile.lock").declared
    }
    assert sources.source_for("app/gems.rb.lock") is None


def test_pom_of_jsoup_names_what_a_bom_versions() -> None:
    import xml.etree.ElementTree as ET  # noqa: S405 - our own test data, no document type

    rel = "jsoup/pom.xml"
    found = _parse(rel)
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    project = ET.parse(DATA / rel).getroot()  # noqa: S314
    deps = project.findall("m:dependencies/m:dependency", ns) + project.findall(
        "m:dependencyManagement/m:dependencies/m:dependency", ns
    )
    pinned = {
        (f"{d.findtext('m:groupId', '', ns)}:{d.findtext('m:artifactId', '', ns)}",
         d.findtext("m:version", None, ns))
        for d in deps
    }  # fmt: skip
    assert {(d.name, d.version) for d in found.declared} == {p for p in pinned if p[1]}
    # netty-codec-http and netty-handler take their version from the imported netty BOM
    unversioned = sorted(name for name, version in pinned if not version)
    assert unversioned == ["io.netty:netty-codec-http", "io.netty:netty-handler"]
    assert [n.reason.split(" has no version")[0] for n in found.not_audited] == [
        "line 591: io.netty:netty-codec-http",
        "line 598: io.netty:netty-handler",
    ]


def test_nuget_packages_lock_of_qowaiv() -> None:
    rel = "qowaiv/packages.lock.json"
    found = _parse(rel)
    data = json.loads((DATA / rel).read_text())
    expected = {
        (name, entry["resolved"], entry["type"] == "Direct")
        for framework in data["dependencies"].values()
        for name, entry in framework.items()
    }
    assert {(d.name, d.version, d.direct) for d in found.declared} == expected
    assert len(expected) == 6


def _trivy_inventory(folder: Path, tmp_path: Path) -> set[tuple[str, str]]:
    import subprocess
    import sys

    trivy = shutil.which("trivy") or str(Path(sys.executable).parent / "trivy")
    done = subprocess.run(  # noqa: S603 - the real tool on our own test data
        [trivy, "fs", "--scanners", "", "--include-dev-deps", "--format", "cyclonedx",
         "--offline-scan", "--skip-db-update", "--quiet", "--cache-dir", str(tmp_path),
         str(folder)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    components = json.loads(done.stdout).get("components", [])
    return {
        (f"{c['group']}/{c['name']}" if c.get("group") else c["name"], c["version"])
        for c in components
        if c.get("type") == "library"
    }


@pytest.mark.integration
@pytest.mark.parametrize(
    "rel",
    [
        "vuejs-core/pnpm-lock.yaml",
        "composer/composer.lock",
        "rubygems.org/Gemfile.lock",
        "qowaiv/packages.lock.json",
    ],
)
def test_the_same_packages_as_trivys_inventory(rel: str, tmp_path: Path) -> None:
    folder = tmp_path / "tree"
    folder.mkdir()
    shutil.copy(DATA / rel, folder / Path(rel).name)
    theirs = _trivy_inventory(folder, tmp_path / "cache")
    if rel.startswith("composer/"):  # trivy keeps Packagist's "v" prefix
        theirs = {(name, version.removeprefix("v")) for name, version in theirs}
    ours = {(d.name, d.version) for d in _parse(rel).declared}
    assert ours == theirs and len(ours) > 5
