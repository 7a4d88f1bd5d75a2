"""The plugin registry of one process: scanners, report formats, compliance frameworks and
dependency sources, built once at the top and handed down as the part each layer needs.

`Registry.load()` reads the built-ins and the installed entry-point plugins
(`secscan.scanners`, `secscan.formats`; see pyproject.toml). Lower layers never build it:
the pipeline takes `registry.scanners`, settings resolution `registry.scanners` (whose
config schema checks `formats:` against `registry.formats`' names), the CLI's `--format`
choices and report writing `registry.formats`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from secscan import scanners as _scanners
from secscan.dependencies import sources as dependency_sources
from secscan.dependencies.interface import DependencySource
from secscan.policy.loader import builtin_dir
from secscan.report.formats import Formats
from secscan.scanners.registry import ScannerRegistry
from secscan.settings.config import Config


@dataclass(frozen=True)
class Frameworks:
    """The compliance frameworks a policy can judge: the shipped library's `frameworks/`
    (a user's policy directory adds its own on top, `policy.loader.load_policy`)."""

    library: Path

    def ids(self) -> tuple[str, ...]:
        """The ids of the shipped frameworks (their file names)."""
        folder = self.library / "frameworks"
        return tuple(sorted(p.stem for p in folder.glob("*.y*ml")))


@dataclass(frozen=True)
class Registry:
    """Everything pluggable, loaded once."""

    scanners: ScannerRegistry
    formats: Formats
    frameworks: Frameworks
    #: The dependency formats (`secscan/dependencies/sources.py`: the built-in table, then the
    #: `secscan.dependency_sources` entry points), read once; the dependency scanners, scopes
    #: and the deps hook's file pattern read the same tuple.
    dependency_sources: tuple[DependencySource, ...]

    @classmethod
    def load(cls, *, plugins: bool = True) -> Registry:
        """Built-ins plus installed plugins (`plugins=False`: built-ins only)."""
        formats = Formats.load(group=None if not plugins else "secscan.formats")
        found = _scanners.installed() if plugins else ScannerRegistry.load(group=None)
        # The config's `formats:` names are checked against this registry's scan formats.
        return cls(
            scanners=replace(found, formats=tuple(formats.scan)),
            formats=formats,
            frameworks=Frameworks(builtin_dir()),
            dependency_sources=dependency_sources.installed()
            if plugins
            else dependency_sources.BUILTIN_SOURCES,
        )

    def load_config(self, root: Path, explicit: Path | None = None) -> Config:
        """The config for a scan root, validated against every registered plugin."""
        return self.scanners.load_config(root, explicit)


@cache
def installed() -> Registry:
    """The registry of this process, built once (what the CLI commands hand down).

    `installed.cache_clear()` (with `secscan.scanners.installed.cache_clear()`) forgets it,
    for a test that installs a plugin.
    """
    return Registry.load()
