"""Recipe "add a dependency format" (docs/architecture.md), done as it says: one module with a
`DependencySource` (`dependencies/interface.py`: the files it claims, their ecosystem, a parse
into `Declared` packages) and one registration line, an entry point under
`secscan.dependency_sources`. Nothing in `secscan/` is edited.

Written against the interface of the `depsrc` branch (issue 25 item 4); until that branch is
merged, `secscan.dependencies.sources` does not exist here and this test is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from recipekit import install

#: The new module: Bundler's Gemfile.lock, the gems under `specs:` with their versions.
MODULE = '''
    """Gemfile.lock: the gems Bundler resolved (a recipe's example dependency format)."""

    from __future__ import annotations

    import re

    from secscan.dependencies.interface import Declared, Manifests, PatternSource, Reader

    _SPEC = re.compile(r"^    ([A-Za-z0-9_.-]+) \\(([^)\\s]+)\\)$")


    class GemfileLockSource(PatternSource):
        """Every resolved gem at its line (four spaces deep under a `specs:` block)."""

        name = "Gemfile.lock"
        ecosystem = "RubyGems"
        package_manager = "bundler"
        priority = 2
        pattern = r"(^|/)Gemfile\\.lock$"

        def parse(self, rel: str, reader: Reader) -> Manifests:
            """Each `name (version)` spec line."""
            out = Manifests()
            text = reader.read(rel, out)
            for number, line in enumerate((text or "").splitlines(), start=1):
                m = _SPEC.match(line)
                if m:
                    out.declared.append(Declared(
                        name=m[1], specifier=f"=={m[2]}", path=rel, line=number,
                        source=self.name, text=line.strip(), version=m[2],
                        ecosystem=self.ecosystem,
                    ))
            return out
'''
#: The one registration line.
REGISTRATION = "[secscan.dependency_sources]\ngemfile-lock = gemfilelock:GemfileLockSource\n"

LOCK = """\
GEM
  remote: https://rubygems.org/
  specs:
    rack (2.0.0)
    rails (5.2.0)
      rack (~> 2.0)

PLATFORMS
  ruby
"""

COLLECT = """
import json, sys
from pathlib import Path
from secscan.dependencies import sources
every = sources.all_sources()
got = sources.collect(Path(sys.argv[1]), ["app/Gemfile.lock"], 1 << 20, every)
print(json.dumps({
    "declared": [[d.name, d.version, d.line, d.purl, d.source] for d in got.declared],
    "claimed": sources.source_for("app/Gemfile.lock", every) is not None,
    "hook_pattern": sources.files_pattern(every),
}))
"""


def test_a_new_dependency_format_is_one_module_and_one_entry_point(tmp_path: Path) -> None:
    pytest.importorskip("secscan.dependencies.sources", reason="the depsrc branch is not merged")
    plugin = install(tmp_path, "secscan-gemfile", "gemfilelock", MODULE, REGISTRATION)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Gemfile.lock").write_text(LOCK)

    ran = plugin.python("-c", COLLECT, str(tmp_path), cwd=tmp_path)

    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["declared"] == [
        ["rack", "2.0.0", 4, "pkg:gem/rack@2.0.0", "Gemfile.lock"],
        ["rails", "5.2.0", 5, "pkg:gem/rails@5.2.0", "Gemfile.lock"],
    ]
    assert out["claimed"] and "Gemfile" in out["hook_pattern"]
