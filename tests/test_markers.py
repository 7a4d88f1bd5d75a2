"""The conftest guard that makes every real-tool test carry the `integration` marker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from realtools import real_tool

from secscan.util.proc import which


def test_a_real_tool_is_recognised_and_a_stand_in_is_not(tmp_path: Path) -> None:
    bandit = which("bandit")
    assert bandit is not None
    assert real_tool(bandit) == "bandit"
    assert real_tool("semgrep") == "semgrep"  # a bare name resolves on PATH
    assert real_tool(str(tmp_path / "fake-bin" / "trivy")) is None  # fake_tool's stand-ins
    assert real_tool("git") is None
    assert real_tool(sys.executable) is None


def test_an_unmarked_test_starting_a_real_tool_fails(pytester: pytest.Pytester) -> None:
    """Run the guard on two tests of their own: the unmarked one fails, the marked one passes."""
    conftest = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
    pytester.makeconftest(conftest)
    pytester.makepyfile(realtools=Path(__file__).with_name("realtools.py").read_text("utf-8"))
    pytester.makeini("[pytest]\nmarkers =\n    integration: real tool\n")
    pytester.makepyfile(
        test_tools=f"""
import subprocess
import pytest

BANDIT = {which("bandit")!r}

def test_unmarked():
    subprocess.run([BANDIT, "--version"], capture_output=True, check=False)

@pytest.mark.integration
def test_marked():
    subprocess.run([BANDIT, "--version"], capture_output=True, check=False)

def test_other_process():
    subprocess.run(["git", "--version"], capture_output=True, check=False)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "0")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*test_unmarked*runs the real bandit: mark it*"])
