"""The plugin interfaces document every public name: ruff's pydocstyle D1xx rules are selected
for their modules (pyproject.toml), and nowhere else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNDOCUMENTED = '"""A module."""\n\n\ndef public(x: int) -> int:\n    return x\n'
INTERFACES = (
    "secscan/scanners/base.py",
    "secscan/scanners/registry.py",
    "secscan/report/formats.py",
    "secscan/app/registry.py",
    "secscan/dependencies/interface.py",
)


def _ruff(path: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", path, "-"],
        input=text,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("path", INTERFACES)
def test_an_undocumented_public_function_in_an_interface_fails_the_lint(path: str) -> None:
    done = _ruff(path, UNDOCUMENTED)
    assert done.returncode == 1 and "D103" in done.stdout, done.stdout + done.stderr


def test_other_modules_are_not_held_to_it() -> None:
    done = _ruff("secscan/report/sarif.py", UNDOCUMENTED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_interfaces_as_committed_pass() -> None:
    here = [p for p in INTERFACES if (REPO / p).exists()]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "D1", *here],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout
