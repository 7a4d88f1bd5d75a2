"""Pipfile: `[packages]` and `[dev-packages]`, PEP 440 specifiers (`"*"`, `"==1.0"`) or tables."""

from __future__ import annotations

from typing import Any

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TomlSource
from secscan.dependencies._python import declared_string, table_line, table_version
from secscan.dependencies.interface import Manifests, Problem


class PipfileSource(TomlSource):
    """pipenv's Pipfile (its lock is `pipfile_lock.PipfileLockSource`)."""

    name = "Pipfile"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 1
    pattern = r"(^|/)Pipfile$"

    def walk(self, rel: str, text: str, data: dict[str, Any], out: Manifests) -> None:
        """Each entry of `[packages]` and `[dev-packages]`, at the line that names it."""
        lines = text.splitlines()
        for section in ("packages", "dev-packages"):
            table = data.get(section, {})
            if not isinstance(table, dict):
                out.problems.append(Problem(rel, None, f"[{section}] is not a table"))
                continue
            for name, value in table.items():
                _entry(rel, table_line(lines, section, name) or 1, name, value, out)


def _entry(rel: str, number: int, name: str, value: Any, out: Manifests) -> None:
    if isinstance(value, dict):
        local = "path" in value or "file" in value and "://" not in str(value["file"])
        value = table_version(rel, number, name, value, "Pipfile", local, out)
        if value is None:
            return
    if not isinstance(value, str):
        out.problems.append(Problem(rel, number, f"{name}: not a version specifier"))
        return
    spec = "" if value.strip() == "*" else value.strip()
    declared_string(rel, number, f"{name}{spec}", "Pipfile", out)
