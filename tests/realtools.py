"""Which processes are real external tools: a test that starts one is an integration test."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

#: The external tools that make a test an integration test (the `integration` marker).
REAL_TOOLS = frozenset(
    {"bandit", "semgrep", "pysemgrep", "semgrep-core", "pip-audit", "trivy", "chromium"}
    | {"chromium-browser", "pre-commit", "zizmor"}
)


def real_tool(arg: str) -> str | None:
    """The tool's name if `arg` starts a real one.

    Stand-ins are scripts the tests write under the temp dir; the environment's own tools
    are real even when the checkout (and so its venv) sits under the temp dir, as a CI clone
    may.
    """
    name = Path(arg).name
    if name not in REAL_TOOLS:
        return None
    path = shutil.which(arg) if os.sep not in arg else arg
    if not path:
        return name
    where = Path(path).absolute()
    if where.is_relative_to(Path(sys.prefix).absolute()):
        return name
    if where.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve()):
        return None
    return name
