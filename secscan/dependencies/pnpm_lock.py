"""pnpm-lock.yaml (lockfile 5.x, 6.x and 9.x)."""

from __future__ import annotations

from typing import Any

import yaml

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies._lines import key_lines
from secscan.dependencies.interface import Declared, Manifests, Problem
from secscan.model.findings import NotAnalyzed


class PnpmLockSource(TextSource):
    """pnpm's lock: `packages` keys name each installed version; importers the direct ones."""

    name = "pnpm-lock.yaml"
    ecosystem = ecosystems.NPM
    package_manager = "pnpm"
    priority = 2
    pattern = r"(^|/)pnpm-lock\.yaml$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Every package of `packages:`, at the line of its key."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            out.problems.append(Problem(rel, line, f"YAML syntax error: {str(e).splitlines()[0]}"))
            return
        if not isinstance(data, dict) or "lockfileVersion" not in data:
            out.problems.append(Problem(rel, 1, "no lockfileVersion: not a pnpm lock file"))
            return
        packages = data.get("packages") or {}
        if not isinstance(packages, dict):
            out.problems.append(Problem(rel, None, "`packages` is not a mapping"))
            return
        lines = key_lines(text, r"^  '?\"?(/?[^\s'\":]+(?:\([^\n]*\))?)'?\"?:\s*$")
        direct = _direct(data)
        v5 = str(data.get("lockfileVersion")).startswith("5")
        for key, entry in packages.items():
            _entry(rel, lines.get(str(key), 1), str(key), entry, (direct, v5), out)


def split_key(key: str, v5: bool) -> tuple[str, str]:
    """A `packages` key -> (name, version): `/@s/a/1.0.0_peer+x@2` in lockfile 5.x (peers
    after `_`, their slashes written `+`), `/@s/a@1.0.0(peer@2)` in 6.x, `@s/a@1.0.0` in 9.x."""
    key = key.lstrip("/")
    if v5:
        name, _, version = key.rpartition("/")
        return name, version.split("_", 1)[0]
    key = key.split("(", 1)[0]
    at = key.find("@", 1)
    return (key[:at], key[at + 1 :]) if at > 0 else (key, "")


def _direct(data: dict[str, Any]) -> set[str]:
    """Names the project (or any workspace importer) depends on itself."""
    importers = data.get("importers")
    holders = list(importers.values()) if isinstance(importers, dict) else [data]
    names: set[str] = set()
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        for key in ("dependencies", "devDependencies", "optionalDependencies"):
            section = holder.get(key)
            if isinstance(section, dict):
                names.update(str(n) for n in section)
    return names


def _entry(
    rel: str, number: int, key: str, entry: Any, how: tuple[set[str], bool], out: Manifests
) -> None:
    direct, v5 = how
    entry = entry if isinstance(entry, dict) else {}
    resolution = entry.get("resolution") if isinstance(entry.get("resolution"), dict) else {}
    if key.startswith(("file:", "link:")) or "directory" in (resolution or {}):
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {key} comes from a local path: not audited")
        )
        return
    name, version = split_key(key, v5)
    name = str(entry.get("name") or name)
    version = str(entry.get("version") or version)
    if not version or not name:
        out.problems.append(Problem(rel, number, f"{key}: no name and version"))
        return
    out.declared.append(
        Declared(name, version, rel, number, "pnpm-lock.yaml", f"{key}:", version=version,
                 ecosystem=ecosystems.NPM, direct=name in direct)
    )  # fmt: skip
