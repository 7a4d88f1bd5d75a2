"""`secscan hook`: only the files given, only the scanners they need, the precommit gate."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bandit"
TOOLS = ("bandit", "semgrep", "trivy", "pip-audit")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git work tree with bandit's fixture sources; the hook runs from its top level."""
    root = tmp_path / "shop"
    (root / "docs").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    for name in ("views.py", "broken.py"):
        shutil.copy(FIXTURES / "src" / name, root / name)
    (root / "README.md").write_text("# shop\n")
    (root / "docs" / "guide.md").write_text("# guide\n")
    monkeypatch.chdir(root / "docs")  # pre-commit runs from the top; a person may not
    return root


@pytest.fixture
def started(tmp_path: Path, fake_tool: Callable[[str, str], Path]) -> Path:
    """Every scanner's tool is a stand-in that notes it was started, then fails."""
    marker = tmp_path / "started.log"
    for tool in TOOLS:
        fake_tool(tool, f'echo "{tool} $*" >> "{marker}"\nexit 2')
    return marker


@pytest.mark.parametrize("kind", ["code", "deps", "iac", "secrets"])
def test_markdown_alone_starts_no_scanner_process(
    repo: Path, started: Path, run_cli: Callable[..., Any], kind: str
) -> None:
    (repo / ".secscan.yaml").write_text("version: 1\n")
    ran = run_cli("hook", "--kind", kind, "../README.md", "guide.md")
    if kind in ("code", "secrets"):
        # trivy's secret rules read any text file: it is the pre-commit filter
        # (exclude_types: [markdown]) that keeps docs away from this hook. Called directly,
        # only trivy starts; its failure is tolerated by `precommit`, and said loudly.
        assert {line.split()[0] for line in started.read_text().splitlines()} == {"trivy"}
        assert ran.code == 0 and "passed, NOT CHECKED" in ran.out
        assert "secrets FAILED" in ran.out and "no scanner assessed anything" in ran.out
        return
    assert ran.code == 0, ran.err
    assert "nothing checked" in ran.out
    assert not started.exists()


def test_code_hook_without_secrets_on_markdown_starts_nothing(
    repo: Path, started: Path, run_cli: Callable[..., Any]
) -> None:
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\n")
    ran = run_cli("hook", "../README.md")
    assert ran.code == 0
    assert ran.out == (
        "secscan: none of the 1 file(s) given is one that bandit, semgrep reads: nothing checked\n"
    )
    assert not started.exists()


def test_blocking_findings_exit_1_and_only_given_files_are_scanned(
    repo: Path, fake_tool: Callable[[str, str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    argv_log = tmp_path / "argv.log"
    fake_tool(
        "bandit",
        'case "$1" in --version) echo "bandit 1.9.4"; exit 0;; esac\n'
        f'echo "$@" > "{argv_log}"\ncat "{FIXTURES / "scan.json"}"\nexit 1',
    )
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    (repo / "other.py").write_text("import pickle\n")  # not staged: never scanned
    ran = run_cli("hook", "--no-cache", "../views.py", "../broken.py")
    assert ran.code == 1, ran.out + ran.err
    first = ran.out.splitlines()[0]
    assert first == "secscan precommit: FAILED: 2 finding(s) block this commit (bandit ok)", ran.out
    assert "views.py:" in ran.out and ": high: bandit B602:" in ran.out
    scanned = argv_log.read_text()
    assert "views.py" in scanned and "broken.py" in scanned and "other.py" not in scanned


def test_a_failing_scanner_warns_under_precommit_and_fails_under_ci(
    repo: Path, fake_tool: Callable[[str, str], Path], run_cli: Callable[..., Any]
) -> None:
    fake_tool("bandit", 'echo "bandit: cannot start" >&2\nexit 2')
    fake_tool(
        "semgrep",
        'case "$1" in --version) echo "1.185.0"; exit 0;; esac\n'
        # a clean semgrep says which file it scanned (an empty document is a scanner error)
        'for a; do last="$a"; done\n'
        'echo "{\\"results\\": [], \\"errors\\": [], \\"paths\\": {\\"scanned\\": [\\"$last\\"]}}"',
    )
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\n")
    ran = run_cli("hook", "../views.py")
    # precommit tolerates a broken laptop scanner, but says so every time
    assert ran.code == 0, ran.out
    assert ran.out.startswith("secscan precommit: passed: 1 file(s) checked (bandit FAILED, ")
    assert "  ! scanner bandit failed" in ran.out
    assert run_cli("hook", "--profile", "ci", "../views.py").code == 3


@pytest.mark.integration
def test_the_dependency_hook_offline_warns_under_precommit_and_fails_under_ci(
    repo: Path, run_cli: Callable[..., Any]
) -> None:
    """The docs: under `precommit` a scanner that fails on a laptop warns (CI fails on it).
    The dependency hook is its own process with pip-audit alone, and offline (here: an
    advisory service that refuses connections) it used to block every commit of a manifest."""
    (repo / "requirements.txt").write_text("requests==2.19.0\n")
    (repo / ".secscan.yaml").write_text(
        "version: 1\nadvisories:\n  url: http://127.0.0.1:9/\n"  # port 9 (discard): refused
    )
    ran = run_cli("hook", "--kind", "deps", "../requirements.txt")
    assert ran.code == 0, ran.out
    assert ran.out.startswith("secscan precommit: passed, NOT CHECKED: 1 file(s) given (pip-audit")
    assert "unreachable" in ran.out and "no scanner assessed anything" in ran.out
    assert run_cli("hook", "--profile", "ci", "--kind", "deps", "../requirements.txt").code == 3
