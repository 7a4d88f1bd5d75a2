"""What the recipe tests share: install a temporary plugin package the way pip installs one
(its module beside a `.dist-info` whose entry_points.txt is the one registration line), and
run secscan in a fresh process that sees it (imported by `tests/recipes/test_recipe_*.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Installed:
    site: Path

    def secscan(self, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """`secscan ARGV` in a new interpreter with the plugin's site directory on its path."""
        return self.python("-m", "secscan", *argv, cwd=cwd)

    def python(self, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """`python ARGV` in a new interpreter with the plugin's site directory on its path."""
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(self.site), os.environ.get("PYTHONPATH")])
            ),
            "SEMGREP_ENABLE_VERSION_CHECK": "0",
        }
        return subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def install(
    tmp_path: Path, distribution: str, module: str, source: str, entry_points: str
) -> Installed:
    """Write `module`.py and the distribution's metadata with `entry_points` (the registration)."""
    site = tmp_path / "site-packages"
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")
    return Installed(site)
