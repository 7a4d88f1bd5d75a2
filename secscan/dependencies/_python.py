"""What the Python formats share: PEP 508 requirement strings, PEP 440 pins, TOML positions."""

from __future__ import annotations

import re
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from secscan.dependencies.interface import Declared, Manifests, Problem, mask
from secscan.model.findings import NotAnalyzed

COMMENT = re.compile(r"(^|\s+)#.*$")


def pinned_version(req: Requirement) -> str | None:
    """The one version `req` allows, when it is pinned; None for ranges, wildcards, URLs."""
    if req.url:
        return None
    specs = list(req.specifier)
    exact = [s for s in specs if s.operator in ("==", "===") and not s.version.endswith(".*")]
    if len(exact) != 1:
        return None
    try:
        version = Version(exact[0].version)
    except InvalidVersion:
        return None  # `===foo` (arbitrary equality): not a version any advisory can name
    if not all(s.contains(version, prereleases=True) for s in specs):
        return None
    return str(version)


def valid_version(text: str) -> bool:
    """Whether `text` is a PEP 440 version."""
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def locked(name: str, version: str, rel: str, number: int, source: str, text: str) -> Declared:
    """A package a lock file pins at `version` (a PEP 440 version), as `==version`."""
    return Declared(name, f"=={version}", rel, number, source, text, version=str(Version(version)))


def declared_string(rel: str, number: int | None, item: str, source: str, out: Manifests) -> None:
    """One PEP 508 string from a manifest: declared, not audited (a local path) or a problem."""
    try:
        req = Requirement(item)
    except InvalidRequirement as e:
        out.problems.append(Problem(rel, number, f"invalid requirement {mask(item)!r}: {e}"))
        return
    if req.url and req.url.startswith("file:"):
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: local path requirement {mask(item)!r}: not audited")
        )
        return
    out.declared.append(
        Declared(
            name=req.name,
            specifier=str(req.specifier),
            path=rel,
            line=number or 1,
            source=source,
            text=mask(item),
            version=pinned_version(req),
            url=mask(req.url) if req.url else None,
        )
    )


def table_line(lines: list[str], table: str, name: str) -> int | None:
    """The line of `name = ...` below the `[table]` header (tomllib forgets positions)."""
    header = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    key = re.compile(r"^\s*[\"']?" + re.escape(name) + r"[\"']?\s*=")
    inside = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("["):
            inside = bool(header.match(line))
            continue
        if inside and key.match(line):
            return number
    return None


def table_version(
    rel: str,
    number: int,
    name: str,
    table: dict[str, Any],
    style: str,
    local: bool,
    out: Manifests,
) -> Any:
    """A poetry/Pipfile table entry: its version constraint, or None when the entry was
    recorded here already (a local path: not audited; a git or URL source: declared)."""
    if local:
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
        )
        return None
    ref = table.get("git") or table.get("url") or table.get("file")
    if ref is not None:
        url = mask(str(ref))
        out.declared.append(Declared(name, "", rel, number, style, f"{name} @ {url}", url=url))
        return None
    return table.get("version", "*")


def next_line(
    lines: list[str], needles: tuple[str, ...], cursor: dict[str, int], key: str
) -> int | None:
    """The next line (after the last one found for `key`) holding any of `needles`."""
    start = cursor.get(key, 0)
    for i in range(start, len(lines)):
        if any(n in lines[i] for n in needles):
            cursor[key] = i + 1
            return i + 1
    return None
