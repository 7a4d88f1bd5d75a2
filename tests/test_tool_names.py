"""No module outside `secscan/scanners/` names a tool: what is tool-specific is the scanner's say.

Code is read with `ast`, so comments and docstrings (which may well mention the tools secscan
wraps) are left out; every identifier, attribute, import and string literal counts.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "secscan"
TOOLS = re.compile(r"bandit|semgrep|trivy|pip[-_]?audit|checkov|zizmor", re.IGNORECASE)
#: Modules still allowed to name a tool, each with the reason. Keep this list short: empty
#: since the trust comparison, scopes and merged flaws ask the scanners too (issue 18).
ALLOWED: dict[str, str] = {}


def _docstrings(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def mentions(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every tool name in the code of `source` (not its docstrings/comments)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            texts = [node.name]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            texts = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
        elif isinstance(node, ast.keyword) and node.arg:
            texts = [node.arg]
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        ):
            texts = [node.value]
        for text in texts:
            if TOOLS.search(text):
                yield getattr(node, "lineno", 0), text


def offenders() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("scanners/") or rel in ALLOWED:
            continue
        for line, text in mentions(path.read_text(encoding="utf-8")):
            out.append(f"secscan/{rel}:{line}: {text[:60]!r}")
    return out


def test_no_module_outside_the_scanners_names_a_tool() -> None:
    found = offenders()
    assert not found, "tool names outside secscan/scanners/:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'INFO = {"bandit": "https://bandit.readthedocs.io/"}\n',
        "from secscan.scanners.trivy_image import advisory_sources\n",
        "x = config.semgrep.rules\n",
        "def f(pip_audit):\n    return 1\n",
    ],
)
def test_the_check_sees_tool_names_in_code(source: str) -> None:
    assert list(mentions(source))


def test_the_check_ignores_docstrings_and_comments() -> None:
    source = '"""Wraps bandit."""\n\n\ndef f():\n    """semgrep too."""\n    return 1  # trivy\n'
    assert not list(mentions(source))


def test_every_allowed_module_still_exists_and_still_needs_it() -> None:
    for rel in ALLOWED:
        assert list(mentions((PACKAGE / rel).read_text(encoding="utf-8"))), rel
