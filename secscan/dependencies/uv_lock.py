"""uv.lock: every package uv resolved, with its exact version."""

from __future__ import annotations

from typing import Any

from packaging.utils import canonicalize_name

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies._toml_lock import parse_lock
from secscan.dependencies.interface import Manifests


class UvLockSource(TextSource):
    """uv.lock: the `[[package]]` tables; the project's own entry is left to the code scanners."""

    name = "uv.lock"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 2
    pattern = r"(^|/)uv\.lock$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Each locked package; git/URL sources are declared unpinned, paths not audited."""
        parse_lock(rel, text, self.name, source_kind, out, project_dependencies)


def source_kind(src: dict[str, Any]) -> str:
    """uv's source table: registry, git/url (direct), path/directory, editable/virtual."""
    if "editable" in src or "virtual" in src:
        return "project" if str(src.get("editable", src.get("virtual"))) == "." else "local"
    if "path" in src or "directory" in src:
        return "local"
    if "git" in src or "url" in src:
        return "direct"
    return "registry"


def project_dependencies(packages: list[Any]) -> set[str] | None:
    """What the project's own entries (editable or virtual ".") depend on, every group and
    extra included; None when the lock has no such entry (then it does not say)."""
    names: set[str] = set()
    found = False
    for pkg in packages:
        src = pkg.get("source") if isinstance(pkg, dict) else None
        if not isinstance(src, dict) or source_kind(src) != "project":
            continue
        found = True
        lists = [pkg.get("dependencies") or []]
        for key in ("optional-dependencies", "dev-dependencies"):
            groups = pkg.get(key)
            if isinstance(groups, dict):
                lists += [g for g in groups.values() if isinstance(g, list)]
        for deps in lists:
            names.update(
                canonicalize_name(str(d["name"]))
                for d in deps
                if isinstance(d, dict) and isinstance(d.get("name"), str)
            )
    return names if found else None
