"""The real `pre-commit` tool runs this repository's hooks on commits in a temporary repo.

pre-commit builds the hook's `language: python` environment the real way (virtualenv, then
`pip install .` of this repository), with one shortcut so the test takes seconds, not the
~70 s a download of semgrep and friends takes: pip installs secscan alone (PIP_NO_DEPS) and
the environment sees the test interpreter's packages through PYTHONPATH. The hooks file, its
filters, the package build, the `secscan` entry point and git's commit hook are all real;
`test_try_repo_full_install` (marked slow) does the install with no shortcut at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

pytestmark = pytest.mark.integration

FLAWED = """\
import subprocess
from flask import request


def export():
    title = request.args["title"]  # the report title comes from the query string
    subprocess.check_call(f'wkhtmltopdf --title "{title}" out.pdf', shell=True)
"""
FIXED = """\
import subprocess
from flask import request


def export():
    title = request.args["title"]  # the report title comes from the query string
    subprocess.check_call(["wkhtmltopdf", "--title", title, "out.pdf"])  # noqa: S603
"""
WAIVERS = """\
version: 1
waivers:
  - rule: B602
    path: export.py
    reason: the title is checked against an allow-list before export() is called
    owner: shop-team@example.com
    created: 2026-11-20
    expires: 2027-02-17
  - rule: python-subprocess-shell-injection
    path: export.py
    reason: the title is checked against an allow-list before export() is called
    owner: shop-team@example.com
    created: 2026-11-20
    expires: 2027-02-17
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def _identity(repo: Path) -> None:
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    git(repo, "config", "commit.gpgsign", "false")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository as its users' pre-commit would clone it: the work tree's files (tracked
    and untracked, less what .gitignore ignores) committed to a fresh repo, like `try-repo`.
    """
    dest = tmp_path_factory.mktemp("hook-repo")
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in sorted(set(filter(None, listed.split("\0")))):
        src = REPO / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    _identity(dest)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "secscan under test")
    return dest, git(dest, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by this module's tests, so the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def hook_env(home: Path) -> dict[str, str]:
    paths = sysconfig.get_paths()
    site = os.pathsep.join(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    env = dict(os.environ)
    env.update(
        PRE_COMMIT_HOME=str(home),
        PIP_NO_DEPS="1",
        # pip's spelling for "no build isolation": build with the hatchling on PYTHONPATH.
        PIP_NO_BUILD_ISOLATION="0",
        PIP_NO_INDEX="1",
        PYTHONPATH=site,
        # bandit, semgrep and trivy: installed beside the test interpreter.
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        SEMGREP_ENABLE_VERSION_CHECK="0",
        SEMGREP_SEND_METRICS="off",
    )
    return env


def make_project(path: Path, hook_repo: tuple[Path, str], env: dict[str, str]) -> Path:
    """A project that added secscan's three hooks to its config, as the README tells."""
    repo_path, rev = hook_repo
    path.mkdir()
    git(path, "init", "-q")
    _identity(path)
    (path / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {repo_path}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: secscan\n"
        "      - id: secscan-deps\n"
        "      - id: secscan-iac\n"
    )
    (path / "README.md").write_text("# shop\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", "start")
    subprocess.run([*PRE_COMMIT, "install"], cwd=path, env=env, check=True, capture_output=True)
    return path


def commit(project: Path, env: dict[str, str], *files: str) -> tuple[int, str]:
    """`git commit` as a developer runs it: git starts pre-commit from its commit hook."""
    git(project, "add", *files)
    done = subprocess.run(
        ["git", "commit", "-m", "change"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def head_count(project: Path) -> int:
    return int(git(project, "rev-list", "--count", "HEAD").strip())


def test_flaw_blocks_the_commit_fix_and_waiver_let_it_through(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    env = hook_env(pre_commit_home)
    project = make_project(tmp_path / "shop", hook_repo, env)
    source = project / "export.py"

    source.write_text(FLAWED)
    code, out = commit(project, env, "export.py")
    assert code != 0, out
    assert head_count(project) == 1  # the commit did not happen
    assert "secscan (code and secrets)" in out and "Failed" in out
    # one flaw, three reports (bandit, the pack's taint rule and its audit twin): one finding
    assert "secscan precommit: FAILED: 1 finding(s) block this commit" in out
    # at the highest rating (HIGH: bandit and the taint rule tie; the fixed order puts bandit
    # first), with the other reports named
    assert "export.py:7:" in out and "high: bandit B602" in out
    assert (
        "(also: semgrep python-command-injection-request-data, "
        "semgrep python-subprocess-shell-injection)" in out
    )
    # only files pre-commit passed were scanned, and only the code hook ran
    assert "secscan (dependencies)" in out and "(no files to check)Skipped" in out

    source.write_text(FIXED)
    code, out = commit(project, env, "export.py")
    assert code == 0, out
    assert head_count(project) == 2
    assert "secscan precommit: passed: 1 file(s) checked" in out

    source.write_text(FLAWED)
    # The hook judges on the real clock: date the waivers from today, within ci's 90 days.
    today = datetime.now(UTC).date()
    (project / ".secscan-waivers.yaml").write_text(
        WAIVERS.replace("2026-11-20", str(today - timedelta(days=1))).replace(
            "2027-02-17", str(today + timedelta(days=60))
        )
    )
    code, out = commit(project, env, "export.py", ".secscan-waivers.yaml")
    assert code == 0, out
    assert head_count(project) == 3
    assert "secscan precommit: passed" in out


def test_a_markdown_only_commit_starts_no_scanner(
    tmp_path: Path,
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    fake_tool: Callable[[str, str], Path],
) -> None:
    marker = tmp_path / "started.log"
    for tool in ("bandit", "semgrep", "trivy", "pip-audit"):
        fake_tool(tool, f'echo "{tool} $*" >> "{marker}"\nexit 2')
    env = hook_env(pre_commit_home)
    project = make_project(tmp_path / "shop", hook_repo, env)

    (project / "docs").mkdir()
    (project / "docs" / "guide.md").write_text("# Guide\n\nRun `make`.\n")
    (project / "README.md").write_text("# shop\n\nA shop.\n")
    code, out = commit(project, env, "README.md", "docs/guide.md")
    assert code == 0, out
    assert out.count("(no files to check)Skipped") == 3, out
    assert not marker.exists(), marker.read_text()

    # The same stand-ins do start when a file a scanner reads is staged: the check above
    # would have seen them.
    (project / "app.py").write_text("print('hi')\n")
    commit(project, env, "app.py")
    assert marker.exists()
    started = marker.read_text()
    assert "bandit" in started and "semgrep" in started and "trivy" in started


@pytest.mark.slow
def test_try_repo_full_install(tmp_path: Path, hook_repo: tuple[Path, str]) -> None:
    """No shortcut: `pre-commit try-repo` installs secscan and every dependency from the
    package index into a fresh environment (~70 s alone, 3.5 min on a busy machine), then
    runs the hook on a planted flaw. Run with `-m slow`.
    """
    repo_path, rev = hook_repo
    project = tmp_path / "shop"
    project.mkdir()
    git(project, "init", "-q")
    (project / "export.py").write_text(FLAWED)
    git(project, "add", "export.py")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [*PRE_COMMIT, "try-repo", str(repo_path), "secscan", "--ref", rev, "--files", "export.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "high: semgrep python-command-injection-request-data" in out and "bandit B602" in out
