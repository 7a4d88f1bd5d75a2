"""The dependency-source plugin family: the built-in table, the protocol every source
implements (documented), package URLs per ecosystem, and third parties through entry points."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packageurl import PackageURL

from secscan.dependencies import ecosystems, interface, sources
from secscan.dependencies.interface import DependencySource, Reader

PLUGIN = '''
from secscan.dependencies.interface import Declared, Manifests, PatternSource, Reader


class GlobSource(PatternSource):
    """glob.lock: one `name version` per line."""

    name = "glob.lock"
    ecosystem = "npm"
    package_manager = "glob"
    priority = 2
    pattern = r"(^|/)glob\\.lock$"

    def parse(self, rel: str, reader: Reader) -> Manifests:
        """Each line."""
        out = Manifests()
        text = reader.read(rel, out) or ""
        for n, line in enumerate(text.splitlines(), start=1):
            name, version = line.split()
            out.declared.append(
                Declared(name, "==" + version, rel, n, self.name, line, version, ecosystem="npm")
            )
        return out


class Hijack(GlobSource):
    """Claims a built-in's name."""

    name = "requirements"
'''


def test_every_builtin_implements_the_protocol_with_a_unique_name() -> None:
    names = [s.name for s in sources.BUILTIN_SOURCES]
    assert len(names) == len(set(names))
    for s in sources.BUILTIN_SOURCES:
        assert isinstance(s, DependencySource), s
        assert s.ecosystem in ecosystems.ECOSYSTEMS, s.name
        assert s.package_manager and isinstance(s.priority, int)


def test_the_interface_and_every_source_document_their_public_members() -> None:
    owners: list[type] = [
        interface.DependencySource,
        interface.PatternSource,
        interface.Reader,
        interface.Declared,
        interface.Manifests,
        *(type(s) for s in sources.BUILTIN_SOURCES),
    ]
    for owner in owners:
        assert inspect.getdoc(owner), owner
        for name, member in vars(owner).items():
            if name.startswith("_") or not (
                inspect.isfunction(member) or isinstance(member, property)
            ):
                continue
            assert inspect.getdoc(member), f"{owner.__name__}.{name}"


def test_patterns_claim_what_the_parsers_read() -> None:
    claimed = {
        "requirements.txt": "requirements",
        "a/dev-requirements.txt": "requirements",
        "REQUIREMENTS/Base.txt": "requirements",
        "pkg/pyproject.toml": "pyproject",
        "setup.cfg": "setup.cfg",
        "setup.py": "setup.py",
        "Pipfile": "Pipfile",
        "Pipfile.lock": "Pipfile.lock",
        "poetry.lock": "poetry.lock",
        "sub/uv.lock": "uv.lock",
    }
    for path, name in claimed.items():
        found = sources.source_for(path)
        assert found is not None and found.name == name, path
    for path in ("requirements.in", "constraints.txt", "mypyproject.toml", "Pipfile.bak"):
        assert sources.source_for(path) is None, path


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "purl"),
    [
        ("PyPI", "Zope_Interface", "5.0", "pkg:pypi/zope-interface@5.0"),
        ("PyPI", "requests", None, "pkg:pypi/requests"),
        ("npm", "@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0"),
        ("npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
        ("Go", "github.com/gin-gonic/gin", "1.6.0", "pkg:golang/github.com/gin-gonic/gin@v1.6.0"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1",
         "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
        ("crates.io", "smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0"),
        ("Packagist", "symfony/http-kernel", "4.4.0", "pkg:composer/symfony/http-kernel@4.4.0"),
        ("RubyGems", "rack", "2.0.0", "pkg:gem/rack@2.0.0"),
        ("NuGet", "Newtonsoft.Json", "12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1"),
        ("Unknown", "x", "1", "pkg:generic/x@1"),
    ],
)  # fmt: skip
def test_package_urls_follow_each_ecosystems_type(
    ecosystem: str, name: str, version: str | None, purl: str
) -> None:
    assert ecosystems.purl(ecosystem, name, version) == purl
    PackageURL.from_string(purl)  # and it is a package URL the library reads back


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "globsource.py").write_text(PLUGIN)
    info = site / "secscan_globsource-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: secscan-globsource\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        f"[{sources.ENTRY_POINT_GROUP}]\n"
        "glob = globsource:GlobSource\n"
        "hijack = globsource:Hijack\n"
        "broken = globsource:DoesNotExist\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield tmp_path
    sys.modules.pop("globsource", None)


def test_a_third_party_source_loads_and_a_builtin_name_cannot_be_taken(
    plugin: Path, caplog: pytest.LogCaptureFixture
) -> None:
    found = sources.plugin_sources()
    assert [s.name for s in found] == ["glob.lock"]
    assert "the name belongs to a built-in" in caplog.text
    assert "cannot load dependency source 'broken'" in caplog.text
    every = sources.all_sources()
    assert every[: len(sources.BUILTIN_SOURCES)] == sources.BUILTIN_SOURCES
    (plugin / "app").mkdir()
    (plugin / "app" / "glob.lock").write_text("left-pad 1.0.0\n")
    got = sources.collect(plugin, ["app/glob.lock", "app/other.txt"], 1 << 20, every)
    assert [(d.name, d.version, d.line, d.purl) for d in got.declared] == [
        ("left-pad", "1.0.0", 1, "pkg:npm/left-pad@1.0.0")
    ]
    assert got.files == ["app/glob.lock"]


def test_the_reader_names_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 2048)
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    reader = Reader(tmp_path, 1024)
    out = interface.Manifests()
    assert reader.read("big.txt", out) is None
    assert reader.read("latin1.txt", out) is None
    assert reader.read("missing.txt", out) is None
    assert [p.message.split(":")[0] for p in out.problems] == [
        "larger than 0 MB", "not UTF-8 text", "cannot read"
    ]  # fmt: skip
    assert out.files == []


@pytest.mark.parametrize(
    ("path", "ecosystem", "manager"),
    [
        ("requirements.txt", "PyPI", "pip"),
        ("web/yarn.lock", "npm", "yarn"),
        ("web/pnpm-lock.yaml", "npm", "pnpm"),
        ("web/package-lock.json", "npm", "npm"),
        ("svc/go.mod", "Go", "go"),
        ("Cargo.lock", "crates.io", "cargo"),
        ("jvm/gradle.lockfile", "Maven", "gradle"),
        ("image:app", "PyPI", "pip"),  # no source claims it: the ecosystem's first source
        ("mix.lock", "Hex", "hex"),  # no source at all: the ecosystem's own name
    ],
)
def test_gitlab_package_manager_comes_from_the_files_source(
    path: str, ecosystem: str, manager: str
) -> None:
    assert sources.package_manager(path, ecosystem) == manager
