"""Import reachability of Python dependency findings, honestly labelled.

Whether the project's own source imports the vulnerable distribution: directly (any of its
top-level modules in an `import`, a `from … import`, or a literal `import_module`/
`__import__`), or through another distribution the code imports that requires it. Labels:

* `imported`: a file imports one of its modules, or a distribution the code imports
  requires it (named in the reason);
* `not imported (static)`: no file imports any of its modules, every file parsed, no
  dynamic import, and every imported distribution's requirements are known and reach it not;
* `unknown (dynamic imports)`: anything that cannot be ruled out (an `import_module(name)`
  with a computed name, a file that does not parse, an imported distribution whose
  requirements are not known here). It gates like `imported`.

A distribution's modules come from `importlib.metadata` where secscan runs (its RECORD /
top_level.txt) and, for one not installed there, from a short table of names that differ
(pillow → PIL) or else its normalised name: the reason says which. A label never waives a
finding; `not imported` only suggests a VEX statement (`not_affected`,
`vulnerable_code_not_in_execute_path`) a person approves with `secscan waivers import-vex`.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from secscan.model.findings import Finding, FindingKind, Reach, Reachability, ScannerRun
from secscan.util import files as _files
from secscan.util import pysource as _python

#: Files bigger than this are not parsed: their imports are unknown.
MAX_PARSE_BYTES = 2 * 1024 * 1024
_DYNAMIC_CALLS = {"import_module", "__import__"}
_PY = (".py", ".pyw")
#: Distributions whose import names differ from their names (well known, not exhaustive).
KNOWN_MODULES: dict[str, tuple[str, ...]] = {
    "pillow": ("PIL",),
    "pyyaml": ("yaml",),
    "beautifulsoup4": ("bs4",),
    "scikit-learn": ("sklearn",),
    "python-dateutil": ("dateutil",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "pyjwt": ("jwt",),
    "pycryptodome": ("Crypto",),
    "pycryptodomex": ("Cryptodome",),
    "protobuf": ("google",),
    "python-jose": ("jose",),
    "attrs": ("attr", "attrs"),
    "setuptools": ("setuptools", "pkg_resources", "_distutils_hack"),
    "pyopenssl": ("OpenSSL",),
    "msgpack-python": ("msgpack",),
    "python-multipart": ("multipart", "python_multipart"),
    "markdown": ("markdown",),
    "pymysql": ("pymysql",),
    "psycopg2-binary": ("psycopg2",),
    "djangorestframework": ("rest_framework",),
}
VEX_SUGGESTION = "not_affected: vulnerable_code_not_in_execute_path"


@dataclass
class Imports:
    """What the project's code imports: top-level module -> the first file importing it."""

    modules: dict[str, str] = field(default_factory=dict)
    #: Files with an `import_module`/`__import__` of a computed name.
    dynamic: list[str] = field(default_factory=list)
    #: Python files that could not be read or parsed.
    unreadable: list[str] = field(default_factory=list)


def project_imports(
    root: Path, files: Iterable[str], scripts: frozenset[str] = frozenset()
) -> Imports:
    """Every absolute top-level name the project's Python files (and scripts whose shebang
    names Python) import, its own modules too."""
    out = Imports()
    for rel in sorted(files):
        if not rel.endswith(_PY) and rel not in scripts:
            continue
        tree = _parse(root / rel)
        if tree is None:
            out.unreadable.append(rel)
            continue
        for name, dynamic in _imports(tree):
            if dynamic:
                out.dynamic.append(rel)
            elif name:
                out.modules.setdefault(name, rel)
    return out


def _parse(path: Path) -> ast.AST | None:
    try:
        with _files.open_regular(path) as fh:
            data = fh.read(MAX_PARSE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_PARSE_BYTES:
        return None
    try:
        return _python.parse(data)
    except _python.PARSE_ERRORS:
        return None


def _imports(tree: ast.AST) -> Iterable[tuple[str, bool]]:
    """(top-level name, False) per import; ("", True) per computed dynamic import."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], False
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module.split(".")[0], False
        elif isinstance(node, ast.Call) and _call_name(node.func) in _DYNAMIC_CALLS:
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if not arg.value.startswith("."):
                    yield arg.value.split(".")[0], False
            else:
                yield "", True


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def own_modules(files: Iterable[str]) -> frozenset[str]:
    """Top-level names the project itself provides (from any folder a script may run in)."""
    out: set[str] = set()
    for rel in files:
        p = PurePosixPath(rel)
        if p.suffix in _PY:
            out.add(p.stem)
            out.update(p.parts[:-1])
    return frozenset(out)


# --- distributions -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _installed() -> dict[str, tuple[str, ...]]:
    """Top-level modules of each distribution installed where secscan runs."""
    out: dict[str, set[str]] = {}
    for module, dists in md.packages_distributions().items():
        for d in dists:
            out.setdefault(canonicalize_name(d), set()).add(module)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def modules_of(dist: str) -> tuple[tuple[str, ...], str]:
    """(top-level modules, where that came from)."""
    key = canonicalize_name(dist)
    found = _installed().get(key)
    if found:
        return found, "installed metadata"
    if key in KNOWN_MODULES:
        return KNOWN_MODULES[key], "secscan's table of differing names"
    return (re.sub(r"[-.]", "_", key),), "its normalised name (not installed here)"


@lru_cache(maxsize=1024)
def requires_of(dist: str) -> tuple[str, ...] | None:
    """Canonical names a distribution requires (markers ignored: any may apply); None when
    its metadata is not installed where secscan runs."""
    try:
        reqs = md.requires(dist)
    except md.PackageNotFoundError:
        return None
    out = []
    for text in reqs or ():
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is not None and "extra" in str(req.marker):
            continue  # an optional extra is not installed by default
        out.append(canonicalize_name(req.name))
    return tuple(out)


def _dist_of_module(module: str) -> tuple[str, ...]:
    return tuple(d for d, mods in _installed().items() if module in mods)


# --- labelling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    imports: Imports
    own: frozenset[str]

    @property
    def third_party(self) -> dict[str, str]:
        return {m: f for m, f in self.imports.modules.items() if m not in self.own}


def label(dist: str, project: Project) -> Reachability:
    modules, basis = modules_of(dist)
    third = project.third_party
    for m in modules:
        if m in third:
            return Reachability(Reach.IMPORTED, f"{third[m]} imports {m} ({basis})", modules)
    via = _required_through(canonicalize_name(dist), third)
    if via is not None:
        return Reachability(Reach.IMPORTED, via, modules)
    doubt = _doubt(project, third, modules, basis)
    if doubt:
        return Reachability(Reach.UNKNOWN, doubt, modules)
    return Reachability(
        Reach.NOT_IMPORTED,
        f"no file imports {', '.join(modules)} ({basis}), and no distribution the code "
        f"imports requires it; suggested VEX: {VEX_SUGGESTION}",
        modules,
    )


def _required_through(key: str, third: dict[str, str]) -> str | None:
    """`f imports m, whose distribution d requires … key`, breadth first over installed
    metadata; None when no chain is known."""
    seen: set[str] = set()
    queue: list[tuple[str, str]] = []
    for m, f in sorted(third.items()):
        for d in _dist_of_module(m):
            queue.append((d, f"{f} imports {m} ({d})"))
    while queue:
        d, how = queue.pop(0)
        if d in seen:
            continue
        seen.add(d)
        if d == key:
            return how
        for r in requires_of(d) or ():
            queue.append((r, f"{how}, which requires {r}"))
    return None


def _doubt(project: Project, third: dict[str, str], modules: Sequence[str], basis: str) -> str:
    if project.imports.dynamic:
        return f"dynamic imports of computed names in {', '.join(project.imports.dynamic[:3])}"
    if project.imports.unreadable:
        return f"not parsed: {', '.join(project.imports.unreadable[:3])}"
    unknown = sorted(m for m in third if not _dist_of_module(m) and m not in _STDLIB)
    if unknown:
        return (
            f"the code imports {', '.join(unknown[:5])}, whose distributions' requirements "
            f"are not known here (looked for {', '.join(modules)}, {basis})"
        )
    return ""


_STDLIB = frozenset(__import__("sys").stdlib_module_names)


def label_runs(
    runs: Sequence[ScannerRun],
    root: Path,
    files: Sequence[str],
    scripts: Iterable[str] = (),
) -> tuple[ScannerRun, ...]:
    """Every PyPI dependency finding labelled; the source is read only when there is one."""
    if not any(_labelled(f) for r in runs for f in r.findings):
        return tuple(runs)
    project = Project(project_imports(root, files, frozenset(scripts)), own_modules(files))
    cache: dict[str, Reachability] = {}

    def one(f: Finding) -> Finding:
        if not _labelled(f) or f.package is None:
            return f
        key = canonicalize_name(f.package.name)
        if key not in cache:
            cache[key] = label(f.package.name, project)
        return replace(f, reachability=cache[key])

    return tuple(replace(r, findings=tuple(one(f) for f in r.findings)) for r in runs)


def _labelled(f: Finding) -> bool:
    return (
        f.kind is FindingKind.DEPENDENCY
        and f.package is not None
        and f.package.ecosystem.lower() == "pypi"
    )
