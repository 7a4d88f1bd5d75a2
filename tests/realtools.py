"""Which processes are real external tools: a test that starts one is an integration test."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

#: The external tools that make a test an integration test (the `integration` marker).
REAL_TOOLS = frozenset(
    {"bandit", "semgrep", "pysemgrep", "semgrep-core", "pip-audit", "trivy", "chromium"}
    | {"chromium-browser", "pre-commit"}
)


def real_tool(arg: str) -> str | None:
    """The tool's name if `arg` starts a real one; stand-ins live under the temp dir."""
    name = Path(arg).name
    if name not in REAL_TOOLS:
        return None
    path = shutil.which(arg) if os.sep not in arg else arg
    tmp = Path(tempfile.gettempdir()).resolve()
    if path and Path(path).resolve().is_relative_to(tmp):
        return None
    return name
