"""packages.lock.json: NuGet's lock, per target framework."""

from __future__ import annotations

import json
from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import JsonSource
from secscan.dependencies._lines import Cursor
from secscan.dependencies.interface import Declared, Manifests, Problem


class NugetLockSource(JsonSource):
    """packages.lock.json: `dependencies.<framework>.<package>.resolved`."""

    name = "packages.lock.json"
    ecosystem = ecosystems.NUGET
    package_manager = "nuget"
    priority = 2
    pattern = r"(^|/)packages\.lock\.json$"

    def walk(self, rel: str, text: str, data: Any, out: Manifests) -> None:
        """Each resolved package of each framework; `Direct` entries are the direct ones,
        `Project` entries the solution's own projects (first-party, left to the code scanners)."""
        frameworks = data.get("dependencies") if isinstance(data, dict) else None
        if not isinstance(frameworks, dict):
            out.problems.append(Problem(rel, 1, "no `dependencies` object: not a NuGet lock file"))
            return
        cursor = Cursor(text)
        for packages in frameworks.values():
            for name, entry in (packages or {}).items():
                number = cursor.find(f"{json.dumps(name)}: {{") or 1
                _entry(rel, number, name, entry, out)


def _entry(rel: str, number: int, name: str, entry: Any, out: Manifests) -> None:
    if not isinstance(entry, dict):
        out.problems.append(Problem(rel, number, f"{name}: not an object"))
        return
    kind = str(entry.get("type") or "")
    if kind == "Project":
        return
    version = entry.get("resolved")
    if not isinstance(version, str) or not version:
        out.problems.append(Problem(rel, number, f"{name}: no resolved version"))
        return
    out.declared.append(
        Declared(name, version, rel, number, "packages.lock.json", f'"{name}": "{version}"',
                 version=version, ecosystem=ecosystems.NUGET, direct=kind == "Direct")
    )  # fmt: skip
