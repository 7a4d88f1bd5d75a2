"""Cargo.lock: every crate of the build; the workspace's own crates are first-party."""

from __future__ import annotations

from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TomlSource
from secscan.dependencies._toml_lock import package_lines
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    Problem,
    mask,
)


class CargoLockSource(TomlSource):
    """Cargo.lock (versions 1 to 4): `[[package]]` tables with name, version and source."""

    name = "Cargo.lock"
    ecosystem = ecosystems.CARGO
    package_manager = "cargo"
    priority = 2
    pattern = r"(^|/)Cargo\.lock$"

    def walk(self, rel: str, text: str, data: dict[str, Any], out: Manifests) -> None:
        """Each registry or git crate; a crate the workspace's own crates name is direct."""
        packages = data.get("package", [])
        if not isinstance(packages, list):
            out.problems.append(Problem(rel, None, "no [[package]] list"))
            return
        numbers = package_lines(text)
        direct = _direct(packages)
        for i, pkg in enumerate(packages):
            number = numbers[i] if i < len(numbers) else 1
            _entry(rel, number, pkg, direct, out)


def _direct(packages: list[Any]) -> set[str]:
    """Crates a workspace member (an entry without `source`) depends on."""
    names: set[str] = set()
    for pkg in packages:
        if isinstance(pkg, dict) and "source" not in pkg:
            names.update(str(d).split(" ", 1)[0] for d in pkg.get("dependencies") or [])
    return names


def _entry(rel: str, number: int, pkg: Any, direct: set[str], out: Manifests) -> None:
    if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
        out.problems.append(Problem(rel, number, "[[package]] entry without a name"))
        return
    name, version, source = pkg["name"], pkg.get("version"), pkg.get("source")
    if source is None:
        return  # a workspace member: the project's own code, scanned as code
    if not isinstance(version, str) or not version:
        out.problems.append(Problem(rel, number, f"{name}: no version"))
        return
    if str(source).startswith("git+"):
        ref = mask(str(source))
        out.declared.append(
            Declared(name, "", rel, number, "Cargo.lock", f"{name} @ {ref}", url=ref,
                     ecosystem=ecosystems.CARGO, direct=name in direct)
        )  # fmt: skip
        return
    out.declared.append(
        Declared(name, version, rel, number, "Cargo.lock", f'{name} = "{version}"',
                 version=version, ecosystem=ecosystems.CARGO, direct=name in direct)
    )  # fmt: skip
