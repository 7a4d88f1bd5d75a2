"""Pipfile.lock: pipenv's JSON lock, `default` and `develop` sections."""

from __future__ import annotations

import json
from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import JsonSource
from secscan.dependencies._python import locked, valid_version
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    Problem,
    mask,
)
from secscan.model.findings import NotAnalyzed


class PipfileLockSource(JsonSource):
    """pipenv's Pipfile.lock: each entry pins `"version": "==X"`."""

    name = "Pipfile.lock"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 2
    pattern = r"(^|/)Pipfile\.lock$"
    document = "Pipfile.lock"

    def walk(self, rel: str, text: str, data: Any, out: Manifests) -> None:
        """Each locked package of both sections, at the line that names it."""
        lines = text.splitlines()
        for section in ("default", "develop"):
            entries = data.get(section, {})
            if not isinstance(entries, dict):
                continue
            start = next(
                (i for i, ln in enumerate(lines) if ln.strip().startswith(f'"{section}"')), 0
            )
            for name, entry in entries.items():
                _entry(rel, _line(lines, start, name), name, entry, out)


def _line(lines: list[str], start: int, name: str) -> int:
    key = json.dumps(name) + ":"
    return next((i + 1 for i in range(start, len(lines)) if lines[i].strip().startswith(key)), 1)


def _entry(rel: str, number: int, name: str, entry: Any, out: Manifests) -> None:
    if not isinstance(entry, dict):
        out.problems.append(Problem(rel, number, f"{name}: not an object"))
        return
    if "path" in entry or "file" in entry and "://" not in str(entry["file"]):
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
        )
        return
    if "git" in entry or "file" in entry:
        ref = mask(str(entry.get("git") or entry.get("file")))
        out.declared.append(
            Declared(name, "", rel, number, "Pipfile.lock", f"{name} @ {ref}", url=ref)
        )
        return
    spec = entry.get("version")
    version = spec[2:] if isinstance(spec, str) and spec.startswith("==") else None
    if version is None or not valid_version(version):
        out.problems.append(Problem(rel, number, f"{name}: no pinned version ({spec!r})"))
        return
    out.declared.append(locked(name, version, rel, number, "Pipfile.lock", f'"{name}": "{spec}"'))
