"""Python dependency manifests: requirements files, pyproject.toml (PEP 621 and poetry),
setup.cfg, setup.py (read, never run) and lock files."""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from secscan.model.findings import NotAnalyzed
from secscan.util import pysource as _python

Source = Literal[
    "requirements",
    "pyproject",
    "setup.cfg",
    "setup.py",
    "Pipfile",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
]
LOCK_FILES: dict[str, Source] = {
    "poetry.lock": "poetry.lock",
    "uv.lock": "uv.lock",
    "Pipfile.lock": "Pipfile.lock",
}
#: When one project directory declares a package twice, findings point at the first kind here:
#: the file people edit to pin a version.
PRIORITY: dict[Source, int] = {
    "requirements": 0,
    "pyproject": 1,
    "setup.cfg": 1,
    "setup.py": 1,
    "Pipfile": 1,
    "poetry.lock": 2,
    "uv.lock": 2,
    "Pipfile.lock": 2,
}
MAX_INCLUDE_DEPTH = 20

_COMMENT = re.compile(r"(^|\s+)#.*$")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
#: pip options that change where packages come from or how, but declare no package.
_GLOBAL_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--pre",
    "--trusted-host", "--require-hashes", "--prefer-binary", "--only-binary", "--no-binary",
    "--use-feature", "-Z", "--always-unzip", "--config-settings", "--global-option",
    "--install-option", "--hash",
}  # fmt: skip
_PER_REQUIREMENT_OPTION = re.compile(r"\s+--?[A-Za-z][\w-]*(?:[=\s]|$)")
_ARCHIVE = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")


@dataclass(frozen=True, slots=True)
class Declared:
    """One dependency as a manifest states it, with the line that states it."""

    name: str
    specifier: str
    path: str
    line: int
    source: Source
    #: The line as written, with any URL credentials masked: safe to show in reports.
    text: str
    #: The exact version when the manifest pins one (`==X`, or a lock entry).
    version: str | None = None
    #: Direct reference (URL, VCS) with credentials masked: there is no release to audit.
    url: str | None = None

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    @property
    def directory(self) -> str:
        return str(PurePosixPath(self.path).parent)


@dataclass(frozen=True, slots=True)
class Problem:
    """A manifest secscan could not read completely: its dependencies were not all audited."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


@dataclass
class Manifests:
    declared: list[Declared] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Not third-party packages (local paths, the project itself): said, not audited.
    not_audited: list[NotAnalyzed] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def mask(text: str) -> str:
    """Hide `user:token@` in URLs: requirement lines are shown in reports and logs."""
    return _USERINFO.sub("***@", text)


def is_manifest(path: str) -> bool:
    p = PurePosixPath(path)
    name = p.name
    if name in LOCK_FILES or name in ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile"):
        return True
    if not name.endswith(".txt"):
        return False
    return "requirements" in name.lower() or p.parent.name.lower() == "requirements"


def collect(root: Path, targets: Sequence[str], max_bytes: int) -> Manifests:
    """Parse every manifest among targets (and the files they `-r` include)."""
    out = Manifests()
    seen: set[str] = set()
    for rel in sorted(targets):
        name = PurePosixPath(rel).name
        if name == "pyproject.toml":
            _parse_pyproject(root, rel, max_bytes, out)
        elif name == "setup.cfg":
            _parse_setup_cfg(root, rel, max_bytes, out)
        elif name == "setup.py":
            _parse_setup_py(root, rel, max_bytes, out)
        elif name == "Pipfile":
            _parse_pipfile(root, rel, max_bytes, out)
        elif name in LOCK_FILES:
            _parse_lock(root, rel, LOCK_FILES[name], max_bytes, out)
        elif is_manifest(rel):
            _parse_requirements(root, rel, max_bytes, out, seen, depth=0)
    return out


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


# --- requirements files -------------------------------------------------------------------


def _read(root: Path, rel: str, max_bytes: int, out: Manifests) -> str | None:
    path = root / rel
    try:
        size = path.stat().st_size
        if size > max_bytes:
            out.problems.append(
                Problem(rel, None, f"larger than {max_bytes // (1024 * 1024)} MB: not read")
            )
            return None
        data = path.read_bytes()
    except OSError as e:
        out.problems.append(Problem(rel, None, f"cannot read: {e.strerror or e}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.problems.append(Problem(rel, None, "not UTF-8 text"))
        return None
    out.files.append(rel)
    return text


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Join backslash continuations (pip does), keeping the number of the first line."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        yield start, "".join(parts)
        parts = []
    if parts:
        yield start, "".join(parts)


def _parse_requirements(
    root: Path, rel: str, max_bytes: int, out: Manifests, seen: set[str], depth: int
) -> None:
    if rel in seen:
        return
    seen.add(rel)
    text = _read(root, rel, max_bytes, out)
    if text is None:
        return
    for number, raw in _logical_lines(text):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            _option(root, rel, number, line, max_bytes, out, seen, depth)
            continue
        _requirement(rel, number, line, out)


def _split_option(line: str) -> tuple[str, str]:
    if line.startswith("--"):
        head, _, rest = line.partition(" ")
        if "=" in head:
            opt, _, value = head.partition("=")
            return opt, (value + " " + rest).strip()
        return head, rest.strip()
    # short options may be glued to their value: -rdev.txt
    opt, value = line[:2], line[2:].strip()
    return opt, value.lstrip("=").strip()


def _option(
    root: Path,
    rel: str,
    number: int,
    line: str,
    max_bytes: int,
    out: Manifests,
    seen: set[str],
    depth: int,
) -> None:
    opt, value = _split_option(line)
    if opt in ("-r", "--requirement"):
        _include(root, rel, number, value, max_bytes, out, seen, depth)
    elif opt in ("-c", "--constraint"):
        return  # constraints narrow versions of packages declared elsewhere; they add none
    elif opt in ("-e", "--editable"):
        if "://" in value or value.startswith(("git+", "hg+", "svn+", "bzr+")):
            _requirement(rel, number, value, out, editable=True)
        else:
            out.not_audited.append(
                NotAnalyzed(
                    rel,
                    f"line {number}: editable local project {mask(value)!r} "
                    "is first-party code, not a published package: not audited",
                )
            )
    elif opt in _GLOBAL_OPTIONS:
        return
    else:
        out.problems.append(Problem(rel, number, f"unknown pip option {mask(opt)!r}"))


def _include(
    root: Path,
    rel: str,
    number: int,
    value: str,
    max_bytes: int,
    out: Manifests,
    seen: set[str],
    depth: int,
) -> None:
    if not value:
        out.problems.append(Problem(rel, number, "-r without a file name"))
        return
    if "://" in value:
        out.problems.append(
            Problem(rel, number, f"remote requirements file {mask(value)!r} is not fetched")
        )
        return
    if depth >= MAX_INCLUDE_DEPTH:
        out.problems.append(Problem(rel, number, f"-r nested deeper than {MAX_INCLUDE_DEPTH}"))
        return
    target = (root / rel).parent / value
    try:
        resolved = target.resolve(strict=True)
        child = resolved.relative_to(root.resolve()).as_posix()
    except FileNotFoundError:
        out.problems.append(Problem(rel, number, f"-r {value}: file not found"))
        return
    except (OSError, RuntimeError) as e:
        out.problems.append(Problem(rel, number, f"-r {value}: cannot read ({e})"))
        return
    except ValueError:
        out.problems.append(Problem(rel, number, f"-r {value}: outside the scan root, not read"))
        return
    if not resolved.is_file():
        out.problems.append(Problem(rel, number, f"-r {value}: not a file"))
        return
    _parse_requirements(root, child, max_bytes, out, seen, depth + 1)


def _requirement(
    rel: str, number: int, line: str, out: Manifests, *, editable: bool = False
) -> None:
    cut = _PER_REQUIREMENT_OPTION.search(line)
    spec = line[: cut.start()].strip() if cut else line
    shown = mask(spec)
    if not editable and _is_local_path(spec):
        out.not_audited.append(
            NotAnalyzed(
                rel, f"line {number}: local path {shown!r} is not a published package: not audited"
            )
        )
        return
    if editable or ("://" in spec and "@" not in spec.split("://", 1)[0]):
        # a bare URL or VCS reference: the project name is in #egg= if anywhere
        egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", spec)
        name = egg.group(1) if egg else spec.rsplit("/", 1)[-1].split("#", 1)[0] or spec
        out.declared.append(Declared(name, "", rel, number, "requirements", shown, url=mask(spec)))
        return
    try:
        req = Requirement(spec)
    except InvalidRequirement as e:
        out.problems.append(Problem(rel, number, f"invalid requirement {shown!r}: {e}"))
        return
    out.declared.append(
        Declared(
            name=req.name,
            specifier=str(req.specifier),
            path=rel,
            line=number,
            source="requirements",
            text=shown,
            version=pinned_version(req),
            url=mask(req.url) if req.url else None,
        )
    )


def _is_local_path(spec: str) -> bool:
    if "://" in spec:
        return spec.startswith("file:")
    return spec.startswith((".", "/", "~")) or spec.endswith(_ARCHIVE)


# --- pyproject.toml (PEP 621, PEP 735) ----------------------------------------------------


def _parse_pyproject(root: Path, rel: str, max_bytes: int, out: Manifests) -> None:
    text = _read(root, rel, max_bytes, out)
    if text is None:
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        out.problems.append(Problem(rel, _toml_line(e), f"TOML syntax error: {e}"))
        return
    project = data.get("project")
    strings: list[tuple[str, object]] = []  # (where, requirement: any TOML value)
    if isinstance(project, dict):
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
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        _parse_poetry(rel, text, poetry, out)
    groups = data.get("dependency-groups", {})
    if isinstance(groups, dict):
        for group, items in sorted(groups.items()):
            if isinstance(items, list):
                strings += [(f"dependency-groups.{group}", d) for d in items if isinstance(d, str)]
    lines = text.splitlines()
    cursor: dict[str, int] = {}
    for where, item in strings:
        if not isinstance(item, str):
            out.problems.append(Problem(rel, None, f"{where}: not a requirement string: {item!r}"))
            continue
        number = _find_line(lines, item, cursor)
        try:
            req = Requirement(item)
        except InvalidRequirement as e:
            out.problems.append(Problem(rel, number, f"invalid requirement {mask(item)!r}: {e}"))
            continue
        if req.url and req.url.startswith("file:"):
            out.not_audited.append(
                NotAnalyzed(
                    rel, f"line {number}: local path requirement {mask(item)!r}: not audited"
                )
            )
            continue
        out.declared.append(
            Declared(
                name=req.name,
                specifier=str(req.specifier),
                path=rel,
                line=number or 1,
                source="pyproject",
                text=mask(item),
                version=pinned_version(req),
                url=mask(req.url) if req.url else None,
            )
        )


def _find_line(lines: list[str], item: str, cursor: dict[str, int]) -> int | None:
    """The line holding the quoted requirement; repeated strings get successive lines."""
    start = cursor.get(item, 0)
    for i in range(start, len(lines)):
        if f'"{item}"' in lines[i] or f"'{item}'" in lines[i]:
            cursor[item] = i + 1
            return i + 1
    return None


def _toml_line(e: tomllib.TOMLDecodeError) -> int | None:
    m = re.search(r"line (\d+)", str(e))
    return int(m.group(1)) if m else None


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
            number = _poetry_line(lines, where, name) or 1
            _poetry_dependency(rel, number, name, constraint, out)


def _table_version(
    rel: str,
    number: int,
    name: str,
    table: dict[str, Any],
    style: Source,
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


def _poetry_dependency(rel: str, number: int, name: str, constraint: Any, out: Manifests) -> None:
    if isinstance(constraint, list):  # multiple constraints (per Python version or marker)
        specs = [c.get("version") if isinstance(c, dict) else c for c in constraint]
        shown = " || ".join(str(c) for c in specs if c is not None)
        declared = Declared(name, shown, rel, number, "pyproject", f"{name} = [{shown}]")
        out.declared.append(declared)
        return
    if isinstance(constraint, dict):
        local = "path" in constraint
        constraint = _table_version(rel, number, name, constraint, "pyproject", local, out)
        if constraint is None:
            return
    if not isinstance(constraint, str):
        out.problems.append(Problem(rel, number, f"{name}: not a poetry version constraint"))
        return
    spec = constraint.strip()
    exact = spec[2:].strip() if spec.startswith("==") else spec
    version = str(Version(exact)) if _valid_version(exact) else None  # poetry: bare = exact
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


def _poetry_line(lines: list[str], table: str, name: str) -> int | None:
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


# --- Pipfile -------------------------------------------------------------------------------


def _parse_pipfile(root: Path, rel: str, max_bytes: int, out: Manifests) -> None:
    """[packages] and [dev-packages]: PEP 440 specifiers (`"*"`, `"==1.0"`) or tables."""
    text = _read(root, rel, max_bytes, out)
    if text is None:
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        out.problems.append(Problem(rel, _toml_line(e), f"TOML syntax error: {e}"))
        return
    lines = text.splitlines()
    for section in ("packages", "dev-packages"):
        table = data.get(section, {})
        if not isinstance(table, dict):
            out.problems.append(Problem(rel, None, f"[{section}] is not a table"))
            continue
        for name, value in table.items():
            number = _poetry_line(lines, section, name) or 1
            if isinstance(value, dict):
                local = "path" in value or "file" in value and "://" not in str(value["file"])
                value = _table_version(rel, number, name, value, "Pipfile", local, out)
                if value is None:
                    continue
            if not isinstance(value, str):
                out.problems.append(Problem(rel, number, f"{name}: not a version specifier"))
                continue
            spec = "" if value.strip() == "*" else value.strip()
            _declared_string(rel, number, f"{name}{spec}", "Pipfile", out)


# --- setup.cfg and setup.py ---------------------------------------------------------------


def _parse_setup_cfg(root: Path, rel: str, max_bytes: int, out: Manifests) -> None:
    text = _read(root, rel, max_bytes, out)
    if text is None:
        return
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text, source=rel)
    except configparser.Error as e:
        line = getattr(e, "lineno", None)
        out.problems.append(Problem(rel, line, f"setup.cfg syntax error: {e.message}"))
        return
    values: list[tuple[str, str]] = []
    if parser.has_option("options", "install_requires"):
        values.append(("options", parser.get("options", "install_requires")))
    if parser.has_section("options.extras_require"):
        values += [("options.extras_require", v) for _, v in parser.items("options.extras_require")]
    lines = text.splitlines()
    cursor: dict[str, int] = {}
    for section, value in values:
        if value.strip().startswith(("file:", "attr:")):
            out.not_audited.append(
                NotAnalyzed(
                    rel,
                    f"[{section}] requirements come from {mask(value.strip())!r}, resolved at "
                    "build time: not analyzed (audit them through a requirements or lock file)",
                )
            )
            continue
        # setuptools' list-semi: a dangling list is one requirement per line (a `;` there
        # starts an environment marker); only a one-line value is split at `;`.
        parts = value.strip().splitlines() if "\n" in value.strip() else value.split(";")
        for item in (ln.strip() for ln in parts):
            item = _COMMENT.sub("", item).strip()
            if item:
                _declared_string(rel, _plain_line(lines, item, cursor), item, "setup.cfg", out)


def _plain_line(lines: list[str], item: str, cursor: dict[str, int]) -> int | None:
    start = cursor.get(item, 0)
    for i in range(start, len(lines)):
        if item in lines[i]:
            cursor[item] = i + 1
            return i + 1
    return None


def _parse_setup_py(root: Path, rel: str, max_bytes: int, out: Manifests) -> None:
    """The literal install_requires/extras_require of setup(); the file is parsed, never run."""
    text = _read(root, rel, max_bytes, out)
    if text is None:
        return
    try:
        tree = _python.parse(text, filename=rel)
    except _python.PARSE_ERRORS as e:
        out.not_audited.append(
            NotAnalyzed(rel, f"does not parse as Python ({type(e).__name__}): not analyzed")
        )
        return
    literals = _module_literals(tree)
    calls = _setup_calls(tree)
    if not calls:
        out.not_audited.append(
            NotAnalyzed(
                rel,
                "no setup(...) call found (renamed or built at run time): its requirements "
                "were not analyzed (audit them through a requirements or lock file)",
            )
        )
    for call in calls:
        for kw in call.keywords:
            if kw.arg is None:
                out.not_audited.append(
                    NotAnalyzed(
                        rel,
                        f"line {call.lineno}: setup(**...) arguments are computed: "
                        "not analyzed (audit them through a requirements or lock file)",
                    )
                )
            elif kw.arg in ("install_requires", "extras_require"):
                _setup_requirements(rel, kw.arg, kw.value, literals, out)


def _setup_calls(tree: ast.Module) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "setup")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "setup")
        )
    ]


def _module_literals(tree: ast.Module) -> dict[str, ast.expr]:
    """Names bound exactly once at module level (`REQUIRES = [...]`), to what."""
    bound: dict[str, list[ast.expr | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            # `REQUIRES += [...]` or an annotation: not one literal any more.
            bound.setdefault(node.target.id, []).extend([None, None])
    return {name: v[0] for name, v in bound.items() if len(v) == 1 and v[0] is not None}


def _setup_requirements(
    rel: str, arg: str, value: ast.expr, literals: dict[str, ast.expr], out: Manifests
) -> None:
    def resolve(node: ast.expr) -> ast.expr:
        return literals.get(node.id, node) if isinstance(node, ast.Name) else node

    value = resolve(value)
    groups: list[ast.expr] | None = None
    if arg == "install_requires":
        groups = [value]
    elif isinstance(value, ast.Dict) and all(k is not None for k in value.keys):
        groups = [resolve(v) for v in value.values]
    strings = [_string_list(g) for g in groups or []]
    if groups is None or any(s is None for s in strings):
        out.not_audited.append(
            NotAnalyzed(
                rel,
                f"line {value.lineno}: setup({arg}=...) is not a literal list: not analyzed "
                "(audit it through a requirements or lock file)",
            )
        )
        return
    for items in strings:
        for number, item in items or ():
            _declared_string(rel, number, item, "setup.py", out)


def _string_list(node: ast.expr) -> list[tuple[int, str]] | None:
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    out = []
    for e in node.elts:
        if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
            return None
        out.append((e.lineno, e.value))
    return out


def _declared_string(
    rel: str, number: int | None, item: str, source: Source, out: Manifests
) -> None:
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


# --- lock files ---------------------------------------------------------------------------


def _parse_lock(root: Path, rel: str, source: Source, max_bytes: int, out: Manifests) -> None:
    text = _read(root, rel, max_bytes, out)
    if text is None:
        return
    if source == "Pipfile.lock":
        _parse_pipfile_lock(rel, text, out)
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        out.problems.append(Problem(rel, _toml_line(e), f"TOML syntax error: {e}"))
        return
    packages = data.get("package", [])
    if not isinstance(packages, list):
        out.problems.append(Problem(rel, None, "no [[package]] list"))
        return
    numbers = _package_lines(text)
    for i, pkg in enumerate(packages):
        number = numbers[i] if i < len(numbers) else 1
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            out.problems.append(Problem(rel, number, "[[package]] entry without a name"))
            continue
        name, version = pkg["name"], pkg.get("version")
        raw_src = pkg.get("source")
        src: dict[str, Any] = raw_src if isinstance(raw_src, dict) else {}
        kind = _lock_source_kind(source, src)
        if kind == "project":
            continue  # the project being scanned (uv: editable/virtual "."), scanned as code
        if kind == "local":
            out.not_audited.append(
                NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
            )
            continue
        if kind == "direct":
            ref = mask(str(src.get("url") or src.get("git") or src.get("reference") or ""))
            out.declared.append(
                Declared(name, "", rel, number, source, f"{name} @ {ref}", url=ref or name)
            )
            continue
        if not isinstance(version, str) or not _valid_version(version):
            out.problems.append(Problem(rel, number, f"{name}: no valid version ({version!r})"))
            continue
        out.declared.append(
            Declared(
                name,
                f"=={version}",
                rel,
                number,
                source,
                f'{name} = "{version}"',
                version=str(Version(version)),
            )
        )


def _lock_source_kind(source: Source, src: dict[str, Any]) -> str:
    """ "registry" (audit), "direct" (URL/VCS), "local" (a path) or "project" (uv's own)."""
    if source == "uv.lock":
        if "editable" in src or "virtual" in src:
            return "project" if str(src.get("editable", src.get("virtual"))) == "." else "local"
        if "path" in src or "directory" in src:
            return "local"
        if "git" in src or "url" in src:
            return "direct"
        return "registry"
    # poetry: source.type is git/url/file/directory, or legacy (a private index: still audited)
    stype = src.get("type")
    if stype in ("directory", "file"):
        return "local"
    if stype in ("git", "url"):
        return "direct"
    return "registry"


def _package_lines(text: str) -> list[int]:
    """Line of each [[package]]'s `name = ...` (tomllib forgets positions)."""
    numbers: list[int] = []
    in_package = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_package = stripped == "[[package]]"
            continue
        if in_package and re.match(r"name\s*=", stripped):
            numbers.append(number)
            in_package = False
    return numbers


def _parse_pipfile_lock(rel: str, text: str, out: Manifests) -> None:
    try:
        data = json.loads(text)
    except ValueError as e:
        out.problems.append(Problem(rel, getattr(e, "lineno", None), f"not JSON: {e}"))
        return
    if not isinstance(data, dict):
        out.problems.append(Problem(rel, 1, "not a Pipfile.lock object"))
        return
    lines = text.splitlines()
    for section in ("default", "develop"):
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            continue
        section_start = next(
            (i for i, ln in enumerate(lines) if ln.strip().startswith(f'"{section}"')), 0
        )
        for name, entry in entries.items():
            number = next(
                (
                    i + 1
                    for i in range(section_start, len(lines))
                    if lines[i].strip().startswith(json.dumps(name) + ":")
                ),
                1,
            )
            if not isinstance(entry, dict):
                out.problems.append(Problem(rel, number, f"{name}: not an object"))
                continue
            if "path" in entry or "file" in entry and "://" not in str(entry["file"]):
                out.not_audited.append(
                    NotAnalyzed(rel, f"line {number}: {name} comes from a local path: not audited")
                )
                continue
            if "git" in entry or "file" in entry:
                ref = mask(str(entry.get("git") or entry.get("file")))
                out.declared.append(
                    Declared(name, "", rel, number, "Pipfile.lock", f"{name} @ {ref}", url=ref)
                )
                continue
            spec = entry.get("version")
            version = spec[2:] if isinstance(spec, str) and spec.startswith("==") else None
            if version is None or not _valid_version(version):
                out.problems.append(Problem(rel, number, f"{name}: no pinned version ({spec!r})"))
                continue
            out.declared.append(
                Declared(
                    name,
                    f"=={version}",
                    rel,
                    number,
                    "Pipfile.lock",
                    f'"{name}": "{spec}"',
                    version=str(Version(version)),
                )
            )


def _valid_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True
