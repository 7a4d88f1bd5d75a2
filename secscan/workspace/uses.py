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

Why `ast` and not an import-graph library: grimp (3.20) builds the graph of importable
packages named up front, and fast (Django 5.1.4's `django` package: 0.49 s, 879 modules), but
it sees neither scripts and test folders outside a package, nor literal
`import_module`/`run_path` calls, nor links, and it needs the tree's top-level packages on
`sys.path`; the question here is exactly about the files outside the product's packages.
`ast.parse` is not thread-safe in CPython 3.11: every parse goes through `_python`.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from secscan.util import files as _files
from secscan.util import pysource as _python

#: Python files are parsed only up to this size (a bigger one is the size limit's business).
MAX_PARSE_BYTES = 2 * 1024 * 1024
_CALLS_BY_NAME = {"import_module", "__import__", "run_module"}
_PY = (".py", ".pyw", ".pyi")
#: Text that may load code by a call or a path in an expression (see `_Tree.targets`): a
#: call by name, or `py` right after a dot in any spelling a literal could hide it in.
_LOADS = re.compile(rb"import_module|__import__|run_module|run_path|py[w'\"\\]|py$", re.M)
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def used(
    root: Path,
    files: Iterable[str],
    is_source: Callable[[str], bool],
    follows: Callable[[str], bool] | None = None,
) -> frozenset[str]:
    """The `.py` files (relative to root) that source files use, directly or through each
    other, and that are not source files themselves (with the `__init__.py` of every package
    a source file is in). `follows`: which non-source files use can make source (the others
    are neither reported nor read).

    Only a source file whose text could name a way to a non-source file is parsed: reaching
    `F` from a folder `R` both are under, an import (or a path) spells the first name under
    `R` on the way to `F` and `F`'s own name (its package's for an `__init__.py`). Links are
    ways too. On Django 5.1.4 that leaves 41 of its 879 source files to parse.
    """
    root = root.resolve()
    files = list(files)
    wanted = _Wanted(is_source, follows)
    py = [f for f in files if f.endswith(_PY)]
    sources = [f for f in py if is_source(f)]
    nonsource = [f for f in py if wanted.non_source(f)]
    if not nonsource:
        return frozenset()
    ways, links = _ways(root, nonsource, files)
    tree = _Tree(root, files, links)
    # A module's packages run before it: their __init__ is used.
    out = {init for f in sources for init in _package_inits(f) if wanted.follows(init, tree)}
    return frozenset(_follow(root, tree, ways, wanted, sources, out))


def _follow(
    root: Path, tree: _Tree, ways: _Ways, wanted: _Wanted, sources: list[str], out: set[str]
) -> set[str]:
    """`out` with every wanted file the sources (and `out`'s files) use, through each other.

    A source file is read only when its text could name a way to a non-source file; a
    wanted file found is always read.
    """
    todo = [(f, True) for f in sorted(out)] + [(f, False) for f in sources]
    seen = set(sources) | out
    while todo:
        rel, always = todo.pop()
        here = posixpath.dirname(rel)
        data = _read(root / rel)
        if data is None or (not always and not _may_name(data, here, ways)):
            continue
        for target in tree.targets(data, here):
            if target in seen:
                continue
            seen.add(target)
            if wanted.non_source(target):
                out.add(target)
                todo.append((target, True))
    return out


class _Wanted:
    """Which files `used` reports: non-source files that `follows` lets use make source."""

    def __init__(
        self, is_source: Callable[[str], bool], follows: Callable[[str], bool] | None
    ) -> None:
        self.is_source = is_source
        self.follows_ = follows

    def non_source(self, rel: str) -> bool:
        if self.is_source(rel):
            return False
        return self.follows_ is None or self.follows_(rel)

    def follows(self, init: str, tree: _Tree) -> bool:
        """A package `__init__.py` that is a discovered file and a wanted non-source file."""
        return init in tree.files and self.non_source(init)


def _package_inits(rel: str) -> Iterator[str]:
    """The `__init__.py` of every folder above `rel`, innermost first."""
    folder = posixpath.dirname(rel)
    while folder:
        yield f"{folder}/__init__.py"
        folder = posixpath.dirname(folder)


#: Folder -> first name under it on a way to a non-source file (or link) -> the last names.
_Ways = dict[str, dict[str, set[str]]]


def _ways(root: Path, nonsource: Iterable[str], files: Iterable[str]) -> tuple[_Ways, bool]:
    """The ways to non-source files, and whether the tree holds any link."""
    ways: _Ways = {}

    def add(path: str) -> None:
        parts = path.split("/")
        last = parts[-1].split(".")[0]
        if last == "__init__" and len(parts) > 1:
            last = parts[-2]
        for i in range(len(parts)):
            folder = "/".join(parts[:i])
            first = parts[i].split(".")[0] if i == len(parts) - 1 else parts[i]
            ways.setdefault(folder, {}).setdefault(first, set()).add(last)

    for f in nonsource:
        add(f)
    # Links inside the tree lead wherever they point (the discovered files never hold one).
    folders = {posixpath.dirname(f) for f in files}
    for f in list(folders):
        while f:
            f = posixpath.dirname(f)
            folders.add(f)
    any_link = False
    for folder in folders:
        try:
            with os.scandir(root / folder) as entries:
                links = [e.name for e in entries if e.is_symlink()]
        except OSError:
            continue
        for name in links:
            any_link = True
            add(_join(folder, name))
    return ways, any_link


def _may_name(data: bytes, here: str, ways: _Ways) -> bool:
    words = {w.decode("ascii", "replace") for w in _WORD.findall(data)}
    for folder in _roots(here):
        for first, lasts in ways.get(folder, {}).items():
            if first in words and not words.isdisjoint(lasts):
                return True
    return False


def _read(path: Path) -> bytes | None:
    """A regular file's bytes up to the parse bound (never through a link, a FIFO or a
    device: `_files.open_regular`); None when it cannot be read or is bigger."""
    try:
        with _files.open_regular(path) as fh:
            data = fh.read(MAX_PARSE_BYTES + 1)
    except OSError:
        return None
    return None if len(data) > MAX_PARSE_BYTES else data


def _parse(data: bytes) -> ast.AST | None:
    try:
        return _python.parse(data)
    except _python.PARSE_ERRORS:
        return None


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement, in every body (functions, classes, if/try/with/match branches)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            sub = getattr(node, name, None)
            if isinstance(sub, list):
                stack.extend(n for n in sub if isinstance(n, ast.AST))


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _roots(here: str) -> list[str]:
    """Where an absolute name is looked up from a file in `here`: its folder and every one
    above it, and `src`."""
    out = [here]
    while here:
        here = posixpath.dirname(here)
        out.append(here)
    out.append("src")
    return out


class _Tree:
    """Names to files: the discovered files in memory, the file system only through links."""

    def __init__(self, root: Path, files: Iterable[str], links: bool) -> None:
        self.root = root
        self.files = frozenset(files)
        dirs: set[str] = set()
        for f in self.files:
            d = posixpath.dirname(f)
            while d and d not in dirs:
                dirs.add(d)
                d = posixpath.dirname(d)
        self.dirs = frozenset(dirs)
        self.links = links
        self._modules: dict[tuple[str, str, bool], frozenset[str]] = {}

    def targets(self, data: bytes, here: str) -> set[str]:
        tree = _parse(data)
        if tree is None:
            return set()
        # Import statements sit in statement bodies; calls and string literals anywhere in
        # expressions, so the whole tree is walked only when the text could hold one.
        nodes = ast.walk(tree) if _LOADS.search(data) else _statements(tree)
        found: set[str] = set()
        for node in nodes:
            found |= self.loaded(node, here)
        return found

    def loaded(self, node: ast.AST, here: str) -> set[str] | frozenset[str]:
        """The files one node loads: an import, a call by name, a literal path."""
        if isinstance(node, ast.Import):
            return set[str]().union(*(self.module(here, alias.name) for alias in node.names))
        if isinstance(node, ast.ImportFrom):
            return self.imported_from(node, here)
        if isinstance(node, ast.Call) and _call_name(node.func) in _CALLS_BY_NAME:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return self.module(here, first.value.lstrip("."))
            return set()
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text.endswith((".py", ".pyw")) and len(text) < 4096 and "\0" not in text:
                return self.path(here, text)
        return set()

    def imported_from(self, node: ast.ImportFrom, here: str) -> set[str]:
        """`from .x import y` (relative to `here`'s package) or `from a.b import c`."""
        if node.level:
            base = here
            for _ in range(node.level - 1):
                base = posixpath.dirname(base)
            return self.relative(base, node.module or "", node.names)
        if not node.module:
            return set()
        found = set(self.module(here, node.module))
        for alias in node.names:
            found |= self.module(here, f"{node.module}.{alias.name}", quiet=True)
        return found

    def module(self, here: str, name: str, *, quiet: bool = False) -> frozenset[str]:
        key = (here, name, quiet)
        if key not in self._modules:
            parts = [p for p in name.split(".") if p]
            found: set[str] = set()
            if parts and all(p.isidentifier() for p in parts):
                for base in _roots(here):
                    found |= self.dotted(base, parts, quiet=quiet)
            self._modules[key] = frozenset(found)
        return self._modules[key]

    def relative(self, base: str, module: str, names: Iterable[ast.alias]) -> set[str]:
        parts = [p for p in module.split(".") if p]
        found = self.dotted(base, parts) if parts else self.present(_join(base, "__init__.py"))
        for alias in names:
            found |= self.dotted(base, [*parts, alias.name], quiet=True)
        return found

    def dotted(self, base: str, parts: list[str], *, quiet: bool = False) -> set[str]:
        """The files `import a.b.c` runs from `base`: each package's __init__ and the module."""
        found: set[str] = set()
        where = base
        for n, part in enumerate(parts):
            parent, where = where, _join(where, part)
            init = self.present(_join(where, "__init__.py"))
            found |= init
            if n == len(parts) - 1:
                module = self.present(_join(parent, part + ".py"))
                found |= module
                if not module and not init and quiet:
                    return found
            elif not init and not self.is_dir(where):
                return found
        return found

    def path(self, here: str, text: str) -> set[str]:
        if text.startswith("/"):
            return set()
        return self.present(text) | self.present(_join(here, text))

    def is_dir(self, rel: str) -> bool:
        return rel in self.dirs or (self.links and os.path.isdir(self.root / rel))

    def present(self, rel: str) -> set[str]:
        """{the file `rel` names, through links, relative to root}, or {} (absent, outside)."""
        rel = posixpath.normpath(rel)
        if rel.startswith("../") or rel in ("..", "."):
            return set()
        if rel in self.files:
            return {rel}
        if not self.links:
            return set()
        path = self.root / rel
        if not os.path.isfile(path):
            return set()
        try:
            real = Path(os.path.realpath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return set()
        return {real} if real in self.files else set()
