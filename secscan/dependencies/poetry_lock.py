"""poetry.lock: every package poetry resolved, with its exact version."""

from __future__ import annotations

from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies._toml_lock import parse_lock
from secscan.dependencies.interface import Manifests


class PoetryLockSource(TextSource):
    """poetry.lock (any lock-version): the `[[package]]` tables."""

    name = "poetry.lock"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 2
    pattern = r"(^|/)poetry\.lock$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each locked package; git/URL sources are declared unpinned, paths not audited."""
        parse_lock(rel, text, self.name, source_kind, out)


def source_kind(src: dict[str, Any]) -> str:
    """poetry's source.type is git/url/file/directory, or legacy (a private index: audited)."""
    stype = src.get("type")
    if stype in ("directory", "file"):
        return "local"
    if stype in ("git", "url"):
        return "direct"
    return "registry"
