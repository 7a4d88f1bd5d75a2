"""package-lock.json (lockfileVersion 1, 2 and 3) and npm-shrinkwrap.json."""

from __future__ import annotations

import json
import re
from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import JsonSource
from secscan.dependencies._lines import Cursor, key_lines
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    Problem,
    mask,
)
from secscan.model.findings import NotAnalyzed

_PACKAGE_KEY = r'^\s*"([^"]*node_modules/[^"]+)"\s*:\s*\{'
_LOCAL = ("file:", "link:")
_DIRECT_REF = ("git", "http:", "https:", "github:")


class NpmLockSource(JsonSource):
    """npm's lock: `packages` (v2, v3), else the nested `dependencies` tree (v1)."""

    name = "package-lock.json"
    ecosystem = ecosystems.NPM
    package_manager = "npm"
    priority = 2
    pattern = r"(^|/)(package-lock|npm-shrinkwrap)\.json$"
    document = "package-lock"

    def walk(self, rel: str, text: str, data: Any, out: Manifests) -> None:
        """Every installed package with its version; the root's own deps are the direct ones."""
        packages = data.get("packages")
        if isinstance(packages, dict):
            _packages(rel, text, packages, out)
        elif isinstance(data.get("dependencies"), dict):
            _tree(rel, Cursor(text), data["dependencies"], out)
        elif data.get("lockfileVersion") is None:
            out.problems.append(Problem(rel, 1, "no lockfileVersion: not an npm lock file"))


def package_name(path: str) -> str:
    """`node_modules/a/node_modules/@s/b` -> `@s/b`."""
    return path.rsplit("node_modules/", 1)[-1]


def _packages(rel: str, text: str, packages: dict[str, Any], out: Manifests) -> None:
    """v2/v3: one entry per installed path; "" is the project itself."""
    root = packages.get("", {})
    direct: set[str] = set()
    if isinstance(root, dict):
        for key in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            section = root.get(key)
            if isinstance(section, dict):
                direct.update(section)
    lines = key_lines(text, _PACKAGE_KEY)
    for path, entry in packages.items():
        if "node_modules/" not in path:
            continue  # the project or a workspace member: first-party code, scanned as code
        number = lines.get(path, 1)
        name = entry.get("name") if isinstance(entry, dict) else None
        name = name if isinstance(name, str) and name else package_name(path)
        top = path == f"node_modules/{package_name(path)}"
        _entry(rel, number, name, entry, out, top and package_name(path) in direct)


def _tree(rel: str, cursor: Cursor, deps: dict[str, Any], out: Manifests) -> None:
    """v1: `dependencies` nested as installed; walked in document order for the lines."""
    for name, entry in deps.items():
        number = cursor.find(f"{json.dumps(name)}: {{") or cursor.find(json.dumps(name)) or 1
        _entry(rel, number, name, entry, out, None)
        if isinstance(entry, dict) and isinstance(entry.get("dependencies"), dict):
            _tree(rel, cursor, entry["dependencies"], out)


def _entry(
    rel: str, number: int, name: str, entry: Any, out: Manifests, direct: bool | None
) -> None:
    if not isinstance(entry, dict):
        out.problems.append(Problem(rel, number, f"{name}: not an object"))
        return
    version = entry.get("version")
    resolved = str(entry.get("resolved") or "")
    if entry.get("link") or resolved.startswith(_LOCAL) or str(version).startswith(_LOCAL):
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
        )
        return
    if not isinstance(version, str) or not version:
        if entry.get("extraneous") or entry.get("peer"):
            return  # listed but not installed
        out.problems.append(Problem(rel, number, f"{name}: no version"))
        return
    if version.startswith(_DIRECT_REF) or re.match(r"^[\w.-]+/[\w.-]+#", version):
        ref = mask(version)
        out.declared.append(
            Declared(name, "", rel, number, "package-lock.json", f"{name} @ {ref}", url=ref,
                     ecosystem=ecosystems.NPM, direct=direct)
        )  # fmt: skip
        return
    out.declared.append(
        Declared(
            name,
            version,
            rel,
            number,
            "package-lock.json",
            f'"{name}": "{version}"',
            version=version,
            ecosystem=ecosystems.NPM,
            direct=direct,
        )
    )
