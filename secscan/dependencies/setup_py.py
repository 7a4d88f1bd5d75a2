"""setup.py: the literal `install_requires`/`extras_require` of `setup()`, parsed, never run."""

from __future__ import annotations

import ast

from secscan.dependencies import ecosystems
from secscan.dependencies._documents import TextSource
from secscan.dependencies._python import declared_string
from secscan.dependencies.interface import Manifests
from secscan.model.findings import NotAnalyzed
from secscan.util import pysource as _python

_UNRESOLVED = "(audit them through a requirements or lock file)"


class SetupPySource(TextSource):
    """setup.py: only what is written as literals; anything computed is said, not guessed."""

    name = "setup.py"
    ecosystem = ecosystems.PYPI
    package_manager = "pip"
    priority = 1
    pattern = r"(^|/)setup\.py$"

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """The literal requirement lists of every `setup(...)` call in the module."""
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
                    f"were not analyzed {_UNRESOLVED}",
                )
            )
        for call in calls:
            _call(rel, call, literals, out)


def _call(rel: str, call: ast.Call, literals: dict[str, ast.expr], out: Manifests) -> None:
    for kw in call.keywords:
        if kw.arg is None:
            out.not_audited.append(
                NotAnalyzed(
                    rel,
                    f"line {call.lineno}: setup(**...) arguments are computed: "
                    f"not analyzed {_UNRESOLVED}",
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
            declared_string(rel, number, item, "setup.py", out)


def _string_list(node: ast.expr) -> list[tuple[int, str]] | None:
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    out = []
    for e in node.elts:
        if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
            return None
        out.append((e.lineno, e.value))
    return out
