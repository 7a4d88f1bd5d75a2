"""Recipe "add a dependency format" (docs/architecture.md), done as it says: one module with a
`DependencySource` (`dependencies/interface.py`: the files it claims, their ecosystem, a parse
into `Declared` packages) and one registration line, an entry point under
`secscan.dependency_sources`. Nothing in `secscan/` is edited.

The example is Dart's `pubspec.lock`, a format secscan does not ship, so what the test sees
can only come from the plugin: the registry holds it, the dependency scanner claims and
reads its files, and the deps hook's file pattern names them.
"""

from __future__ import annotations

import json
from pathlib import Path

from recipekit import install

#: The new module: pub's pubspec.lock, each package under `packages:` with its version.
MODULE = '''
    """pubspec.lock: the packages Dart's pub resolved (a recipe's example dependency format)."""

    from __future__ import annotations

    import re

    from secscan.dependencies.interface import Declared, Manifests, PatternSource, Reader

    _PACKAGE = re.compile(r"^  ([a-z0-9_]+):$")
    _VERSION = re.compile(r'^    version: "([^"]+)"$')


    class PubspecLockSource(PatternSource):
        """Every resolved package at the line of its version."""

        name = "pubspec.lock"
        ecosystem = "Pub"
        package_manager = "pub"
        priority = 2
        pattern = r"(^|/)pubspec\\.lock$"

        def parse(self, rel: str, reader: Reader) -> Manifests:
            """Each package's `version:` line."""
            out = Manifests()
            name = None
            for number, line in enumerate((reader.read(rel, out) or "").splitlines(), start=1):
                if m := _PACKAGE.match(line):
                    name = m[1]
                elif (m := _VERSION.match(line)) and name is not None:
                    out.declared.append(Declared(
                        name=name, specifier=f"=={m[1]}", path=rel, line=number,
                        source=self.name, text=line.strip(), version=m[1],
                        ecosystem=self.ecosystem,
                    ))
            return out
'''
#: The one registration line.
REGISTRATION = "[secscan.dependency_sources]\npubspec-lock = pubspeclock:PubspecLockSource\n"

LOCK = """\
packages:
  http:
    dependency: "direct main"
    source: hosted
    version: "0.13.5"
  path:
    dependency: transitive
    source: hosted
    version: "1.8.3"
sdks:
  dart: ">=2.19.0 <3.0.0"
"""

COLLECT = """
import json, sys
from pathlib import Path
from secscan.app.registry import installed
from secscan.dependencies import sources
from secscan.scanners.osv_deps import OsvDepsScanner
from secscan.scanners.base import ScanRequest
every = installed().dependency_sources
got = sources.collect(Path(sys.argv[1]), ["app/pubspec.lock"], 1 << 20, every)
print(json.dumps({
    "declared": [[d.name, d.version, d.line, d.purl, d.source] for d in got.declared],
    "registered": [s.name for s in every if s.ecosystem == "Pub"],
    "scanner_claims": list(OsvDepsScanner().select(["app/pubspec.lock", "a.txt"], ScanRequest())),
    "hook_pattern": sources.files_pattern(every),
}))
"""


def test_a_new_dependency_format_is_one_module_and_one_entry_point(tmp_path: Path) -> None:
    plugin = install(tmp_path, "secscan-pubspec", "pubspeclock", MODULE, REGISTRATION)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pubspec.lock").write_text(LOCK)

    ran = plugin.python("-c", COLLECT, str(tmp_path), cwd=tmp_path)

    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["declared"] == [
        ["http", "0.13.5", 5, "pkg:pub/http@0.13.5", "pubspec.lock"],
        ["path", "1.8.3", 9, "pkg:pub/path@1.8.3", "pubspec.lock"],
    ]
    assert out["registered"] == ["pubspec.lock"]
    assert out["scanner_claims"] == ["app/pubspec.lock"]
    assert "pubspec" in out["hook_pattern"]


def test_without_the_plugin_no_source_claims_the_file(tmp_path: Path) -> None:
    """The control: the same lock file with nothing installed is claimed by nobody."""
    from secscan.dependencies import sources

    assert sources.source_for("app/pubspec.lock", sources.BUILTIN_SOURCES) is None
