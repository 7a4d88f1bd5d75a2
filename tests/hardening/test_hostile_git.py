"""A repository whose `.git/config`, hooks and `.gitattributes` try to run code: nothing runs.

The scanned tree's `.git` is the PR author's (a CI job checks out their branch, and a step
before secscan may have rewritten `.git/config`). Every command named below writes a marker
file when it runs; `secscan ci --new-since main` and `secscan scan` (real git, real bandit
and semgrep) must leave no marker behind. The same repository is first shown to run every
one of them under plain git, so the test cannot pass by the traps being dead.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

BASE_APP = """\
import subprocess


def export(title):
    subprocess.check_call(["wkhtmltopdf", "--title", title, "out.pdf"])
"""
HEAD_APP = (
    BASE_APP
    + """

def thumbnail(request):
    path = request.args["path"]  # from the query string: a real injection, not an audit hint
    subprocess.call("convert " + path + " thumb.png", shell=True)
"""
)
#: Drivers picked by `.gitattributes`, committed on both sides (base and head).
ATTRIBUTES = "*.py filter=evil diff=evil\n*.txt filter=evilproc\n*.cfg filter=sneaky\n"
HOOKS = (
    "post-checkout",
    "post-index-change",
    "reference-transaction",
    "pre-auto-gc",
    "post-rewrite",
    "fsmonitor-watchman",
)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=env
    ).stdout


def _script(path: Path, marker: Path, tail: str = "") -> str:
    path.write_text(f'#!/bin/sh\ntouch "{marker}"\n{tail}')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """(repo on branch `feature` with a new shell=True flaw, marker directory)."""
    repo, bin_, markers = tmp_path / "repo", tmp_path / "traps", tmp_path / "markers"
    for d in (repo, bin_, markers):
        d.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, semgrep]\n")
    (repo / ".gitattributes").write_text(ATTRIBUTES)
    (repo / "app.py").write_text(BASE_APP)
    (repo / "notes.txt").write_text("notes\n")
    (repo / "setup.cfg").write_text("[metadata]\nname = app\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "app.py").write_text(HEAD_APP)
    (repo / "notes.txt").write_text("notes, more\n")
    git(repo, "commit", "-q", "-am", "thumbnails")

    def trap(name: str, tail: str = "") -> str:
        return _script(bin_ / name, markers / name, tail)

    hooks = repo / ".git" / "hooks"
    hooks_path = tmp_path / "hookspath"
    hooks_path.mkdir()
    for hook in HOOKS:
        _script(hooks / hook, markers / f"hooks-{hook}")
        _script(hooks_path / hook, markers / f"hookspath-{hook}")
    extra = tmp_path / "included.config"
    extra.write_text(f'[filter "sneaky"]\n\tclean = {trap("sneaky-clean", "cat")}\n')
    with (repo / ".git" / "config").open("a") as cfg:
        cfg.write(
            f"[core]\n\tfsmonitor = {trap('fsmonitor', 'exit 1')}\n"
            f"\thooksPath = {hooks_path}\n"
            f"\tpager = {trap('pager', 'cat')}\n"
            f"\teditor = {trap('editor')}\n"
            f'[filter "evil"]\n\tclean = {trap("clean", "cat")}\n'
            f"\tsmudge = {trap('smudge', 'cat')}\n"
            f'[filter "evilproc"]\n\tprocess = {trap("process", "exit 1")}\n'
            f"[diff]\n\texternal = {trap('diff-external')}\n"
            f'[diff "evil"]\n\ttextconv = {trap("textconv", "cat")}\n'
            f"\tcommand = {trap('diff-command')}\n"
            f"[credential]\n\thelper = {trap('credential')}\n"
            f"[include]\n\tpath = {extra}\n"
        )
    return repo, markers


def _fired(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


def _touch_work_tree(repo: Path) -> None:
    """Make git look at file content again (stat info changed): that is when it runs clean
    filters and asks the fsmonitor hook."""
    for name in ("app.py", "notes.txt", "setup.cfg"):
        p = repo / name
        p.write_bytes(p.read_bytes())
        os.utime(p, (1_000_000_000, 1_000_000_000))


def test_the_traps_are_live_under_plain_git(hostile: tuple[Path, Path]) -> None:
    repo, markers = hostile

    def plain(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)

    _touch_work_tree(repo)
    plain("diff", "main")  # aborts at the process filter, which has run by then
    assert "process" in _fired(markers)
    # The rest, with only the process filter (which stops git at its handshake) left out.
    skip = ("-c", "filter.evilproc.process=")
    _touch_work_tree(repo)
    plain(*skip, "diff", "main")
    plain(*skip, "status")
    plain(*skip, "worktree", "add", "--detach", str(repo.parent / "wt"), "main")
    fired = _fired(markers)
    for expected in ("fsmonitor", "clean", "smudge", "sneaky-clean", "diff-command"):
        assert expected in fired, fired
    assert "hookspath-post-checkout" in fired, fired


def test_ci_new_since_runs_nothing_from_the_repository(
    hostile: tuple[Path, Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    repo, markers = hostile
    _touch_work_tree(repo)
    out = tmp_path / "reports"
    r = run_cli("ci", str(repo), "--new-since", "main", "--output-dir", str(out))
    assert _fired(markers) == []
    assert r.code == 1, r.out + r.err  # the new shell=True flaw is found and fails the gate
    assert "B602" in (out / "secscan-results.json").read_text()
    # The merge base was exported, not checked out: no worktree was registered, the
    # repository's index and HEAD are as they were.
    assert git(repo, "worktree", "list").count("\n") == 1
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature"


def test_scan_runs_nothing_from_the_repository(
    hostile: tuple[Path, Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    repo, markers = hostile
    _touch_work_tree(repo)
    out = tmp_path / "reports"
    r = run_cli("scan", str(repo), "--output-dir", str(out), "--format", "json")
    assert _fired(markers) == []
    assert r.code == 1, r.out + r.err
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert f'"git_commit": "{commit}"' in (out / "secscan-results.json").read_text()


def test_the_exported_merge_base_has_the_committed_bytes(hostile: tuple[Path, Path]) -> None:
    from secscan.workspace import vcs

    repo, markers = hostile
    base = vcs.merge_base(repo, "main")
    with vcs.checkout(repo, base) as tree:
        assert (tree / "app.py").read_text() == BASE_APP  # no smudge filter ran
        assert (tree / "notes.txt").read_text() == "notes\n"
        assert (tree / ".gitattributes").read_text() == ATTRIBUTES
    assert _fired(markers) == []


def test_a_tools_own_git_call_cannot_start_the_fsmonitor_hook(hostile: tuple[Path, Path]) -> None:
    """semgrep and friends may ask git for the file list themselves: every process secscan
    starts gets command-line config (by environment) that turns fsmonitor and hooks off."""
    from secscan.util import proc as _subprocess

    repo, markers = hostile
    subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, check=False)
    assert _fired(markers) == ["fsmonitor"]  # what plain git does with this repository
    (markers / "fsmonitor").unlink()
    done = _subprocess.run(["git", "-C", str(repo), "ls-files"], timeout=60)
    assert "app.py" in done.stdout
    assert _fired(markers) == []
