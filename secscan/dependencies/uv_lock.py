"""uv.lock: every package uv resolved, with its exact version."""

from __future__ import annotations

from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._toml_lock import parse_lock
from secscan.dependencies.interface import Manifests, PatternSource, Reader


class UvLockSource(PatternSource):
    """uv.lock: the `[[package]]` tables; the project's own entry is left to the code scanners."""

    name = "uv.lock"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 2
    pattern = r"(^|/)uv\.lock$"

    def parse(self, rel: str, reader: Reader) -> Manifests:
        """Each locked package; git/URL sources are declared unpinned, paths not audited."""
        out = Manifests()
        text = reader.read(rel, out)
        if text is not None:
            parse_lock(rel, text, self.name, source_kind, out)
        return out


def source_kind(src: dict[str, Any]) -> str:
    """uv's source table: registry, git/url (direct), path/directory, editable/virtual."""
    if "editable" in src or "virtual" in src:
        return "project" if str(src.get("editable", src.get("virtual"))) == "." else "local"
    if "path" in src or "directory" in src:
        return "local"
    if "git" in src or "url" in src:
        return "direct"
    return "registry"
