"""secscan gates itself, and its own code keeps the promises docs/security.md makes.

The self-scan itself runs in `.ci/run` (it takes the whole repository); these checks are the
cheap part: the config it uses is valid and leaves out only deliberate flaws, CI really runs
it after the tests, and every file write in secscan goes through the atomic writer.
"""

from __future__ import annotations

import ast
from pathlib import Path

from secscan.app.registry import installed
from secscan.workspace.discovery import discover

REPO = Path(__file__).resolve().parents[2]
#: Writes that are not secscan's output, each with why it may skip the atomic writer.
DIRECT_WRITES_ALLOWED = {
    # the one implementation of atomic writing
    "secscan/util/atomic.py",
    # pip-audit's input: a requirements file in a private temporary directory, never output
    "secscan/scanners/pip_audit.py",
    # $GITHUB_STEP_SUMMARY belongs to the runner and every step appends to it
    "secscan/cli/ci.py",
    # the cache's HMAC key: written whole under a temporary name, then link()ed, which (unlike
    # the atomic writer's rename) never replaces a key another run created a moment earlier
    "secscan/util/cachedir.py",
}
_WRITE_METHODS = {"write_text", "write_bytes", "mkstemp", "replace", "rename", "copy", "copyfile"}


def _writes(tree: ast.AST) -> list[int]:
    """Lines of calls that create or replace a file, other than reading opens."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "open":
            modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
            modes += [
                k.value.value
                for k in node.keywords
                if k.arg == "mode" and isinstance(k.value, ast.Constant)
            ]
            if isinstance(func, ast.Attribute) and node.args:  # Path.open("w")
                modes.append(node.args[0].value if isinstance(node.args[0], ast.Constant) else "")
            if any(isinstance(m, str) and set(m) & set("wax+") for m in modes):
                lines.append(node.lineno)
        elif name in _WRITE_METHODS and isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if name in ("replace", "rename") and owner != "os":
                continue  # str.replace and friends
            lines.append(node.lineno)
    return lines


def test_secscan_writes_files_only_through_write_atomic() -> None:
    direct = {}
    for path in sorted((REPO / "secscan").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        found = _writes(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            direct[rel] = found
    assert set(direct) == DIRECT_WRITES_ALLOWED, direct


def test_the_write_check_sees_writes() -> None:
    src = (
        "import os\nfrom pathlib import Path\n"
        "Path('a').write_text('x')\nopen('b', 'w')\nPath('c').open('ab')\nos.replace('d', 'e')\n"
        "open('f')\n'g'.replace('h', 'i')\n"
    )
    assert _writes(ast.parse(src)) == [3, 4, 5, 6]


def test_self_scan_config_leaves_out_only_deliberate_flaws() -> None:
    config = installed().load_config(REPO)
    assert config.source == str(REPO / ".secscan.yaml")
    assert config.profile == "ci"
    files = discover(REPO, config).files
    assert any(f.startswith("secscan/") for f in files)
    assert any(f.startswith("tests/") and f.endswith(".py") for f in files)
    assert any(f.startswith("policies/semgrep/") and f.endswith(".yaml") for f in files)
    for flawed in ("examples/", "tests/fixtures/", "tests/data/", "reports/samples/"):
        assert not any(f.startswith(flawed) for f in files), flawed
    assert not any(
        f.startswith("policies/semgrep/") and f.endswith((".py", ".js", ".ts", ".go"))
        for f in files
    )


def test_ci_runs_the_self_gate_after_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    test_command = (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest"
    )
    assert test_command in readme and test_command in script
    gate = ".venv/bin/secscan scan . --profile ci"
    assert gate in script
    assert script.index(test_command) < script.index(gate)
    assert "set -euo pipefail" in script  # a failed gate (1) or scanner error (3) fails CI
