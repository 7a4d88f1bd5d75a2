"""pyproject.toml: PEP 621 `[project]` dependencies and extras, PEP 735 dependency groups, and
poetry's `[tool.poetry]` tables."""

from __future__ import annotations

from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TomlSource
from secscan.dependencies._python import (
    declared_string,
    next_line,
    table_line,
    table_version,
    valid_version,
)
from secscan.dependencies.interface import (
    Declared,
    Manifests,
    Problem,
    mask,
)
from secscan.model.findings import NotAnalyzed

#: (where in the file, the requirement string as written)
_Strings = list[tuple[str, Any]]


class PyprojectSource(TomlSource):
    """pyproject.toml, whichever of PEP 621, PEP 735 and poetry it uses."""

    name = "pyproject"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 1
    pattern = r"(^|/)pyproject\.toml$"

    def walk(self, rel: str, text: str, data: dict[str, Any], out: Manifests) -> None:
        """The requirement strings of `[project]` and `[dependency-groups]`, then poetry's."""
        strings = _project_strings(rel, data.get("project"), out)
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        if isinstance(poetry, dict):
            _parse_poetry(rel, text, poetry, out)
        strings += _group_strings(data.get("dependency-groups", {}))
        lines = text.splitlines()
        cursor: dict[str, int] = {}
        for where, item in strings:
            _requirement(rel, lines, cursor, where, item, out)


def _project_strings(rel: str, project: Any, out: Manifests) -> _Strings:
    if not isinstance(project, dict):
        return []
    strings: _Strings = []
    deps = project.get("dependencies", [])
    if isinstance(deps, list):
        strings += [("dependencies", d) for d in deps]
    else:
        out.problems.append(Problem(rel, None, "[project].dependencies is not a list"))
    extras = project.get("optional-dependencies", {})
    if isinstance(extras, dict):
        for extra, items in sorted(extras.items()):
            if isinstance(items, list):
                strings += [(f"optional-dependencies.{extra}", d) for d in items]
    if "dependencies" in project.get("dynamic", []) and not deps:
        out.not_audited.append(
            NotAnalyzed(
                rel,
                "[project].dependencies are dynamic (set by the build backend): "
                "audit them through a requirements or lock file",
            )
        )
    return strings


def _group_strings(groups: Any) -> _Strings:
    if not isinstance(groups, dict):
        return []
    strings: _Strings = []
    for group, items in sorted(groups.items()):
        if isinstance(items, list):
            strings += [(f"dependency-groups.{group}", d) for d in items if isinstance(d, str)]
    return strings


def _requirement(
    rel: str, lines: list[str], cursor: dict[str, int], where: str, item: Any, out: Manifests
) -> None:
    if not isinstance(item, str):
        out.problems.append(Problem(rel, None, f"{where}: not a requirement string: {item!r}"))
        return
    # The line holding the quoted requirement; repeated strings get successive lines.
    number = next_line(lines, (f'"{item}"', f"'{item}'"), cursor, item)
    declared_string(rel, number, item, "pyproject", out)


# --- [tool.poetry] ------------------------------------------------------------------------


def _parse_poetry(rel: str, text: str, poetry: dict[str, Any], out: Manifests) -> None:
    """`[tool.poetry.dependencies]`, the legacy dev-dependencies and every group."""
    tables: list[tuple[str, Any]] = [
        ("tool.poetry.dependencies", poetry.get("dependencies")),
        ("tool.poetry.dev-dependencies", poetry.get("dev-dependencies")),
    ]
    groups = poetry.get("group")
    if isinstance(groups, dict):
        tables += [
            (f"tool.poetry.group.{g}.dependencies", t.get("dependencies"))
            for g, t in sorted(groups.items())
            if isinstance(t, dict)
        ]
    lines = text.splitlines()
    for where, table in tables:
        if table is None:
            continue
        if not isinstance(table, dict):
            out.problems.append(Problem(rel, None, f"[{where}] is not a table"))
            continue
        for name, constraint in table.items():
            if canonicalize_name(name) == "python":
                continue  # the interpreter, not a package
            number = table_line(lines, where, name) or 1
            _poetry_dependency(rel, number, name, constraint, out)


def _poetry_dependency(rel: str, number: int, name: str, constraint: Any, out: Manifests) -> None:
    if isinstance(constraint, list):  # multiple constraints (per Python version or marker)
        specs = [c.get("version") if isinstance(c, dict) else c for c in constraint]
        shown = " || ".join(str(c) for c in specs if c is not None)
        declared = Declared(name, shown, rel, number, "pyproject", f"{name} = [{shown}]")
        out.declared.append(declared)
        return
    if isinstance(constraint, dict):
        local = "path" in constraint
        constraint = table_version(rel, number, name, constraint, "pyproject", local, out)
        if constraint is None:
            return
    if not isinstance(constraint, str):
        out.problems.append(Problem(rel, number, f"{name}: not a poetry version constraint"))
        return
    spec = constraint.strip()
    exact = spec[2:].strip() if spec.startswith("==") else spec
    version = str(Version(exact)) if valid_version(exact) else None  # poetry: bare = exact
    out.declared.append(
        Declared(
            name,
            f"=={version}" if version else spec,
            rel,
            number,
            "pyproject",
            f'{name} = "{mask(spec)}"',
            version=version,
        )
    )
