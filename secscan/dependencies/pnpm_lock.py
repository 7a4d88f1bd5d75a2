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
        v5 = str(data.get("lockfileVersion")).startswith("5")
        direct = _direct(data, v5)
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


def _direct(data: dict[str, Any], v5: bool) -> set[tuple[str, str]]:
    """(name, version) of what the project (or any workspace importer) depends on itself: the
    version the importer resolved, since other versions of the same name can be transitive."""
    importers = data.get("importers")
    holders = list(importers.values()) if isinstance(importers, dict) else [data]
    pairs: set[tuple[str, str]] = set()
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        for key in ("dependencies", "devDependencies", "optionalDependencies"):
            section = holder.get(key)
            if isinstance(section, dict):
                pairs.update(_resolved(str(n), spec, v5) for n, spec in section.items())
    return pairs


def _resolved(name: str, spec: Any, v5: bool) -> tuple[str, str]:
    """An importer's entry -> the (name, version) of the package it resolved to: `1.0.0`,
    `1.0.0(peer@2)` (6.x, 9.x), `1.0.0_peer@2` (5.x), an alias `other@1.0.0` / `/other/1.0.0`."""
    version = str(spec.get("version", "") if isinstance(spec, dict) else spec)
    base = version.split("_", 1)[0] if v5 else version.split("(", 1)[0]
    if base.startswith("/") or (not v5 and base.find("@", 1) > 0 and ":" not in base):
        return split_key(version, v5)
    return name, base


def _entry(
    rel: str,
    number: int,
    key: str,
    entry: Any,
    how: tuple[set[tuple[str, str]], bool],
    out: Manifests,
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
                 ecosystem=ecosystems.NPM, direct=(name, version) in direct)
    )  # fmt: skip
