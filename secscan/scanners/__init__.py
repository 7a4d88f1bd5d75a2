"""Scanners: one module per tool, the small protocols they implement, and their registry.

`base.py` holds the protocols (running, describing, options, caching and file-local
capabilities) and the `ToolScanner` base for a scanner that is one command; `builtin.py`
the built-in scanners by name; `registry.py` the `ScannerRegistry` that loads them and the
`secscan.scanners` entry-point plugins. May import settings, workspace, dependencies and
advisories; never scan/, policy/ or anything above.
"""

from __future__ import annotations

from functools import cache

from secscan.scanners.registry import ENTRY_POINT_GROUP, ScannerRegistry

__all__ = ["ENTRY_POINT_GROUP", "ScannerRegistry", "installed"]


@cache
def installed() -> ScannerRegistry:
    """The scanners installed in this process (built-ins and plugins), loaded once.

    For the layers not yet handed the registry the application built: the pipeline, policy
    and report modules fall back to it when no `registry=` is given. It knows no report
    format names (`ScannerRegistry.formats` is None); the application's `Registry` does.
    `installed.cache_clear()` forgets it (a test that installs a plugin).
    """
    return ScannerRegistry.load()
