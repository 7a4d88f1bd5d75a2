"""What poetry.lock and uv.lock share: a TOML list of `[[package]]` tables with name and version.

Each entry is one of four kinds, told apart by the format's own `source` table: "registry"
(audit the version), "direct" (URL/VCS: declared, no release to audit), "local" (a path:
not audited) or "project" (the project being scanned: scanned as code, not as a package).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from packaging.utils import canonicalize_name

from secscan.dependencies._documents import load_toml
from secscan.dependencies._python import locked, valid_version
from secscan.dependencies.interface import Declared, Manifests, Problem, mask
from secscan.model.findings import NotAnalyzed

#: A lock format's judgement of one entry's `source` table.
SourceKind = Callable[[dict[str, Any]], str]
_NAME = re.compile(r"name\s*=")


def parse_lock(
    rel: str,
    text: str,
    source: str,
    kind_of: SourceKind,
    out: Manifests,
    direct_of: Callable[[list[Any]], set[str] | None] | None = None,
) -> None:
    """Every `[[package]]` of a poetry or uv lock, at the line of its `name = ...`;
    `direct_of` names the project's own dependencies (PEP 503 keys) when the lock says."""
    data = load_toml(rel, text, out)
    if data is None:
        return
    packages = data.get("package", [])
    if not isinstance(packages, list):
        out.problems.append(Problem(rel, None, "no [[package]] list"))
        return
    numbers = package_lines(text)
    direct = direct_of(packages) if direct_of is not None else None
    for i, pkg in enumerate(packages):
        number = numbers[i] if i < len(numbers) else 1
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            out.problems.append(Problem(rel, number, "[[package]] entry without a name"))
            continue
        _entry(rel, number, source, pkg, kind_of, out)
        if direct is not None and out.declared and out.declared[-1].line == number:
            last = out.declared[-1]
            out.declared[-1] = replace(last, direct=canonicalize_name(last.name) in direct)


def _entry(
    rel: str, number: int, source: str, pkg: dict[str, Any], kind_of: SourceKind, out: Manifests
) -> None:
    name, version = pkg["name"], pkg.get("version")
    raw_src = pkg.get("source")
    src: dict[str, Any] = raw_src if isinstance(raw_src, dict) else {}
    kind = kind_of(src)
    if kind == "project":
        return  # the project being scanned (uv: editable/virtual "."), scanned as code
    if kind == "local":
        out.not_audited.append(
            NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
        )
        return
    if kind == "direct":
        ref = mask(str(src.get("url") or src.get("git") or src.get("reference") or ""))
        out.declared.append(
            Declared(name, "", rel, number, source, f"{name} @ {ref}", url=ref or name)
        )
        return
    if not isinstance(version, str) or not valid_version(version):
        out.problems.append(Problem(rel, number, f"{name}: no valid version ({version!r})"))
        return
    out.declared.append(locked(name, version, rel, number, source, f'{name} = "{version}"'))


def package_lines(text: str) -> list[int]:
    """Line of each [[package]]'s `name = ...` (tomllib forgets positions)."""
    numbers: list[int] = []
    in_package = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_package = stripped == "[[package]]"
            continue
        if in_package and _NAME.match(stripped):
            numbers.append(number)
            in_package = False
    return numbers
