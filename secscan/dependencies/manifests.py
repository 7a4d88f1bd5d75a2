"""Python dependency manifests: requirements files, PEP 621 pyproject.toml, and lock files."""

from __future__ import annotations

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

from secscan.findings import NotAnalyzed

Source = Literal["requirements", "pyproject", "poetry.lock", "uv.lock", "Pipfile.lock"]
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
    if name in LOCK_FILES or name == "pyproject.toml":
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
    strings: list[tuple[str, str]] = []  # (where, requirement)
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
