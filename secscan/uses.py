"""Which Python files source code uses: scope follows use, not only a file's name or folder.

A module that production code imports runs in production, whatever folder it sits in or
whatever it is called (`app/test_helpers.py`, `conftest.py`, a link into `tests/`). This
module reads the source files with `ast` and follows what they load:

* `import a.b.c` and `from a.b import c` (every package `__init__` on the way runs too),
  relative imports (`from . import c`, `from ..x import y`);
* literal `importlib.import_module("a.b")`, `__import__("a.b")`, `runpy.run_module("a.b")`;
* any string literal naming a `.py` file of the tree (`runpy.run_path("tools/x.py")`,
  `spec_from_file_location(..., "x.py")`, `exec(open("x.py").read())`).

Absolute names are looked up from the tree root, `src/`, and each directory from the
importing file up to the root (a script's own folder is on `sys.path`): looking in more
places than Python would only ever makes more code source, never less. Paths resolve
through symbolic links that stay inside the tree, so a link `app/runner.py -> ../tests/x.py`
makes `tests/x.py` used.

Why `ast` and not an import-graph library: grimp (3.19) builds its graph for installed,
importable packages named up front; it sees neither scripts and test folders outside a
package nor literal `import_module`/`run_path` calls, and on Django 5.1.4's sdist it took
longer than this module to answer (measured in docs/security.md's case table notes).
`ast.parse` is not thread-safe in CPython 3.11: every parse here holds one lock.
"""

from __future__ import annotations

import ast
import os
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

#: Python files are parsed only up to this size (a bigger one is the size limit's business).
MAX_PARSE_BYTES = 2 * 1024 * 1024
_PARSE_LOCK = threading.Lock()
_CALLS_BY_NAME = {"import_module", "__import__", "run_module"}
_PY = (".py", ".pyw", ".pyi")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def used(root: Path, files: Iterable[str], is_source: Callable[[str], bool]) -> frozenset[str]:
    """The `.py` files (relative to root) that source files use, directly or through each
    other, and that are not source files themselves (with the `__init__.py` of every package
    a source file is in).

    Only a source file whose text could name a way to a non-source file is parsed: reaching
    `F` from a folder `R` both are under, an import (or a path) spells the first name under
    `R` on the way to `F` and `F`'s own name (its package's for an `__init__.py`). Links are
    ways too. On Django 5.1.4 that leaves few of its 879 source files to parse.
    """
    root = root.resolve()
    py = [f for f in files if f.endswith(_PY)]
    sources = [f for f in py if is_source(f)]
    out: set[str] = set()
    for f in sources:  # a module's packages run before it: their __init__ is used
        parent = PurePosixPath(f).parent
        for folder in (parent, *parent.parents):
            init = (folder / "__init__.py").as_posix()
            if folder != PurePosixPath(".") and os.path.isfile(root / init) and not is_source(init):
                out.add(init)
    ways = _ways(root, [f for f in py if not is_source(f)], files)
    todo = [(f, False) for f in sorted(out)] + [(f, False) for f in sources]
    seen = set(sources) | out
    while todo:
        rel, always = todo.pop()
        here = PurePosixPath(rel).parent
        data = _read(root / rel)
        if data is None or (not always and not _may_name(data, here, ways)):
            continue
        for target in _targets(data, here, root):
            if target in seen:
                continue
            seen.add(target)
            if not is_source(target):
                out.add(target)
            todo.append((target, True))
    return frozenset(out)


#: Folder -> first name under it on a way to a non-source file (or link) -> the last names.
_Ways = dict[str, dict[str, set[str]]]


def _ways(root: Path, nonsource: Iterable[str], files: Iterable[str]) -> _Ways:
    ways: _Ways = {}

    def add(path: str) -> None:
        parts = path.split("/")
        last = parts[-1].split(".")[0]
        if last == "__init__" and len(parts) > 1:
            last = parts[-2]
        for i in range(len(parts)):
            folder = "/".join(parts[:i]) or "."
            first = parts[i].split(".")[0] if i == len(parts) - 1 else parts[i]
            ways.setdefault(folder, {}).setdefault(first, set()).add(last)

    for f in nonsource:
        add(f)
    # Links inside the tree lead wherever they point (the discovered files never hold one).
    folders = {str(PurePosixPath(f).parent) for f in files}
    folders |= {str(p) for f in list(folders) for p in PurePosixPath(f).parents}
    for folder in folders:
        try:
            with os.scandir(root / folder) as entries:
                links = [e.name for e in entries if e.is_symlink()]
        except OSError:
            continue
        for name in links:
            add(name if folder == "." else f"{folder}/{name}")
    return ways


def _may_name(data: bytes, here: PurePosixPath, ways: _Ways) -> bool:
    words = {w.decode("ascii", "replace") for w in _WORD.findall(data)}
    for folder in _roots(here):
        for first, lasts in ways.get(str(folder), {}).items():
            if first in words and not words.isdisjoint(lasts):
                return True
    return False


def _read(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_PARSE_BYTES + 1)
    except OSError:
        return None
    return None if len(data) > MAX_PARSE_BYTES else data


def _targets(data: bytes, here: PurePosixPath, root: Path) -> set[str]:
    tree = _parse(data)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _module(root, here, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.parent
                found |= _relative(root, base, node.module or "", node.names)
            elif node.module:
                found |= _module(root, here, node.module)
                for alias in node.names:
                    found |= _module(root, here, f"{node.module}.{alias.name}", quiet=True)
        elif isinstance(node, ast.Call) and _call_name(node.func) in _CALLS_BY_NAME:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found |= _module(root, here, first.value.lstrip("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text.endswith((".py", ".pyw")) and len(text) < 4096 and "\0" not in text:
                found |= _file(root, here, text)
    return found


def _parse(data: bytes) -> ast.AST | None:
    try:
        with _PARSE_LOCK:
            return ast.parse(data)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _roots(here: PurePosixPath) -> list[PurePosixPath]:
    out = [here, *here.parents]
    out.append(PurePosixPath("src"))
    return out


def _module(root: Path, here: PurePosixPath, name: str, *, quiet: bool = False) -> set[str]:
    parts = [p for p in name.split(".") if p]
    if not parts or any(not p.isidentifier() for p in parts):
        return set()
    found: set[str] = set()
    for base in _roots(here):
        found |= _dotted(root, base, parts, quiet=quiet)
    return found


def _relative(root: Path, base: PurePosixPath, module: str, names: Iterable[ast.alias]) -> set[str]:
    parts = [p for p in module.split(".") if p]
    found = _dotted(root, base, parts) if parts else _package(root, base)
    for alias in names:
        found |= _dotted(root, base, [*parts, alias.name], quiet=True)
    return found


def _dotted(root: Path, base: PurePosixPath, parts: list[str], *, quiet: bool = False) -> set[str]:
    """The files `import a.b.c` runs from `base`: each package's __init__ and the module."""
    found: set[str] = set()
    where = base
    for n, part in enumerate(parts):
        where = where / part
        last = n == len(parts) - 1
        init = _inside(root, where / "__init__.py")
        if init is not None:
            found.add(init)
        if last:
            module = _inside(root, where.with_name(part + ".py"))
            if module is not None:
                found.add(module)
            elif init is None and quiet:
                return found
        elif init is None and not _is_dir(root, where):
            return found
    return found


def _package(root: Path, base: PurePosixPath) -> set[str]:
    init = _inside(root, base / "__init__.py")
    return {init} if init is not None else set()


def _file(root: Path, here: PurePosixPath, text: str) -> set[str]:
    p = PurePosixPath(text)
    if p.is_absolute():
        return set()
    found = set()
    for base in (PurePosixPath("."), here):
        hit = _inside(root, base / p)
        if hit is not None:
            found.add(hit)
    return found


def _is_dir(root: Path, rel: PurePosixPath) -> bool:
    return os.path.isdir(root / rel)


def _inside(root: Path, rel: PurePosixPath) -> str | None:
    """The file `rel` names, through links, relative to root; None when absent or outside."""
    path = root / rel
    if not os.path.isfile(path):
        return None
    real = Path(os.path.realpath(path))
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        return None
