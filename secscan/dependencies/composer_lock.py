"""composer.lock: PHP packages Composer installed (`packages`, `packages-dev`)."""

from __future__ import annotations

import json
from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import JsonSource
from secscan.dependencies._lines import Cursor
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    Problem,
    mask,
)


class ComposerLockSource(JsonSource):
    """composer.lock: each package's `name` and `version` (a leading `v` dropped)."""

    name = "composer.lock"
    ecosystem = ecosystems.PACKAGIST
    package_manager = "composer"
    priority = 2
    pattern = r"(^|/)composer\.lock$"
    document = "composer.lock"

    def walk(self, rel: str, text: str, data: Any, out: Manifests) -> None:
        """Every package of both lists, at the line of its `"name"`."""
        cursor = Cursor(text)
        for section in ("packages", "packages-dev"):
            for pkg in data.get(section) or []:
                _entry(rel, cursor, pkg, out)


def _entry(rel: str, cursor: Cursor, pkg: Any, out: Manifests) -> None:
    if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
        out.problems.append(Problem(rel, None, "package entry without a name"))
        return
    name = pkg["name"]
    number = cursor.find(f'"name": {json.dumps(name)}') or 1
    version = str(pkg.get("version") or "")
    if not version or version.startswith("dev-"):
        ref = mask(str((pkg.get("source") or {}).get("url") or version or name))
        out.declared.append(
            Declared(name, "", rel, number, "composer.lock", f"{name} @ {ref}", url=ref,
                     ecosystem=ecosystems.PACKAGIST)
        )  # fmt: skip
        return
    plain = version[1:] if version[:1] in "vV" and version[1:2].isdigit() else version
    out.declared.append(
        Declared(name, version, rel, number, "composer.lock", f'"{name}": "{version}"',
                 version=plain, ecosystem=ecosystems.PACKAGIST)
    )  # fmt: skip
