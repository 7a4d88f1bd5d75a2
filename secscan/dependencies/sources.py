"""The dependency sources secscan knows: the built-in table, third-party plugins under the
`secscan.dependency_sources` entry-point group, and parsing a scan's manifests with them.

Adding a format is one module implementing `interface.DependencySource` and one line in
`BUILTIN_SOURCES`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from secscan.dependencies import ecosystems
from secscan.dependencies.cargo_lock import CargoLockSource
from secscan.dependencies.composer_lock import ComposerLockSource
from secscan.dependencies.gemfile_lock import GemfileLockSource
from secscan.dependencies.go_mod import GoModSource
from secscan.dependencies.gradle_lock import GradleLockSource
from secscan.dependencies.interface import Declared, DependencySource, Manifests, Reader
from secscan.dependencies.maven_pom import MavenPomSource
from secscan.dependencies.npm_lock import NpmLockSource
from secscan.dependencies.nuget_lock import NugetLockSource
from secscan.dependencies.package_json import PackageJsonSource
from secscan.dependencies.pipfile import PipfileSource
from secscan.dependencies.pipfile_lock import PipfileLockSource
from secscan.dependencies.pnpm_lock import PnpmLockSource
from secscan.dependencies.poetry_lock import PoetryLockSource
from secscan.dependencies.pyproject import PyprojectSource
from secscan.dependencies.requirements import RequirementsSource
from secscan.dependencies.setup_cfg import SetupCfgSource
from secscan.dependencies.setup_py import SetupPySource
from secscan.dependencies.uv_lock import UvLockSource
from secscan.dependencies.yarn_lock import YarnLockSource

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "secscan.dependency_sources"

#: One line per format. The first source claiming a file reads it.
BUILTIN_SOURCES: tuple[DependencySource, ...] = (
    RequirementsSource(),
    PyprojectSource(),
    SetupCfgSource(),
    SetupPySource(),
    PipfileSource(),
    PoetryLockSource(),
    UvLockSource(),
    PipfileLockSource(),
    NpmLockSource(),
    YarnLockSource(),
    PnpmLockSource(),
    PackageJsonSource(),
    GoModSource(),
    CargoLockSource(),
    ComposerLockSource(),
    GemfileLockSource(),
    NugetLockSource(),
    MavenPomSource(),
    GradleLockSource(),
)


def plugin_sources() -> tuple[DependencySource, ...]:
    """Third-party sources registered under ENTRY_POINT_GROUP; built-ins win on a name clash,
    and a plugin that fails to load is left out with a warning (never takes the built-ins down)."""
    builtin = {s.name for s in BUILTIN_SOURCES}
    found: list[DependencySource] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
            source = loaded() if isinstance(loaded, type) else loaded
        except Exception as e:  # noqa: BLE001 - a broken plugin must not take down the built-ins
            log.warning("cannot load dependency source %r (%s): %s", ep.name, ep.value, e)
            continue
        if not isinstance(source, DependencySource):
            log.warning("ignoring dependency source %r: not a DependencySource", ep.name)
        elif source.name in builtin:
            log.warning("ignoring dependency source %r: the name belongs to a built-in", ep.name)
        else:
            found.append(source)
    return tuple(found)


def all_sources() -> tuple[DependencySource, ...]:
    """Built-ins first, then plugins."""
    return (*BUILTIN_SOURCES, *plugin_sources())


@cache
def installed() -> tuple[DependencySource, ...]:
    """The sources of this process (built-ins, then installed plugins), read once: what the
    registry holds and the dependency scanners read. `installed.cache_clear()` forgets them
    (a test that installs a plugin)."""
    return all_sources()


def python_sources() -> tuple[DependencySource, ...]:
    """The registered Python manifest and lock-file formats (built-ins and plugins): what
    pip-audit, the licence scanner and `secscan fix` read."""
    return of_ecosystem(ecosystems.PYPI, installed())


def other_sources() -> tuple[DependencySource, ...]:
    """The registered formats of every other ecosystem: what the osv scanner reads."""
    return tuple(s for s in installed() if s.ecosystem != ecosystems.PYPI)


def preferred(places: Sequence[Declared]) -> Declared:
    """Of the places one package is declared, the one a finding points at: the format of the
    lowest `priority` (the lock file people regenerate), then the first path and line."""
    rank = {s.name: s.priority for s in installed()}
    return min(places, key=lambda d: (rank.get(d.source, 9), d.path, d.line))


def source_for(
    path: str, sources: Sequence[DependencySource] = BUILTIN_SOURCES
) -> DependencySource | None:
    """The source that reads the file at `path`, if any."""
    return next((s for s in sources if s.claims(path)), None)


def by_name(name: str, sources: Sequence[DependencySource] = BUILTIN_SOURCES) -> DependencySource:
    """The source called `name` (KeyError when none is)."""
    for s in sources:
        if s.name == name:
            return s
    raise KeyError(name)


def of_ecosystem(
    ecosystem: str, sources: Sequence[DependencySource] = BUILTIN_SOURCES
) -> tuple[DependencySource, ...]:
    """The sources whose packages belong to `ecosystem`."""
    return tuple(s for s in sources if s.ecosystem == ecosystem)


def files_pattern(sources: Iterable[DependencySource] = BUILTIN_SOURCES) -> str:
    """One regular expression claiming every file any of `sources` reads (the `files:` of the
    dependency pre-commit hook)."""
    return "|".join(f"(?:{s.pattern})" for s in sources)


def collect(
    root: Path,
    targets: Sequence[str],
    max_bytes: int,
    sources: Sequence[DependencySource] = BUILTIN_SOURCES,
) -> Manifests:
    """Parse every target some source claims (and the files they include), in path order."""
    out = Manifests()
    reader = Reader(root, max_bytes)
    for rel in sorted(targets):
        source = source_for(rel, sources)
        if source is not None:
            out.extend(source.parse(rel, reader))
    return out


def package_manager(
    path: str, ecosystem: str, sources: Sequence[DependencySource] = BUILTIN_SOURCES
) -> str:
    """What GitLab calls the installer of the file at `path`: its source's, else the first
    source of the package's ecosystem, else the ecosystem's own name."""
    source = source_for(path, sources)
    if source is None:
        same = [s for s in sources if s.ecosystem.lower() == ecosystem.lower()]
        source = same[0] if same else None
    return source.package_manager if source is not None else (ecosystem.lower() or "unknown")
