"""git helpers: changed files (renames, untracked, deleted), merge base, a clean checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from secscan.errors import UsageError
from secscan.workspace import vcs


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    for name in ("keep.py", "edit.py", "gone.py", "move.py"):
        (root / name).write_text(f"# {name}\n" + "x = 1\n" * 20)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def test_changed_files_name_renames_and_leave_out_deletions(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "edit.py").write_text("changed\n")
    git(repo, "rm", "-q", "gone.py")
    (repo / "sub").mkdir()
    git(repo, "mv", "move.py", "sub/moved.py")
    git(repo, "commit", "-q", "-am", "work")
    (repo / "new.py").write_text("untracked\n")
    (repo / ".gitignore").write_text("ignored.py\n")
    (repo / "ignored.py").write_text("ignored\n")
    assert vcs.changed_files(repo, base) == {
        ".gitignore": None,
        "edit.py": None,
        "new.py": None,
        "sub/moved.py": "move.py",
    }


def test_merge_base_is_where_the_branch_left(repo: Path) -> None:
    start = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "a.py").write_text("a\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "checkout", "-q", "main")
    (repo / "b.py").write_text("b\n")
    git(repo, "add", "b.py")
    git(repo, "commit", "-q", "-m", "b")
    git(repo, "checkout", "-q", "feature")
    assert vcs.merge_base(repo, "main") == start  # not main's tip
    with pytest.raises(UsageError, match="no such commit"):
        vcs.merge_base(repo, "nope")
    with pytest.raises(UsageError, match="not a git revision"):
        vcs.merge_base(repo, "--output=x")


def test_checkout_is_removed_even_when_the_scan_fails(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    seen: list[Path] = []
    with pytest.raises(RuntimeError), vcs.checkout(repo, head) as tree:
        seen.append(tree)
        assert (tree / "keep.py").is_file()
        raise RuntimeError("scanner blew up")
    assert not seen[0].exists()
    assert git(repo, "worktree", "list").count("\n") == 1


def test_toplevel_outside_git_is_none(tmp_path: Path, repo: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert vcs.toplevel(tmp_path / "plain") is None
    (repo / "sub").mkdir()
    assert vcs.toplevel(repo / "sub") == repo.resolve()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the repository another owner")
def test_safe_directory_of_the_users_config_is_kept(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Global config is dropped, except `safe.directory`: a CI workspace owned by another
    user (a container's checkout) stays readable exactly when the user said it may be."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    subprocess.run(["chown", "-R", "nobody", str(repo)], check=True)
    vcs._safe_directories.cache_clear()
    assert vcs.toplevel(repo) is None  # git refuses a repository of another owner
    (home / ".gitconfig").write_text(f"[safe]\n\tdirectory = {repo}\n")
    vcs._safe_directories.cache_clear()
    try:
        assert vcs.toplevel(repo) == repo.resolve()
    finally:
        vcs._safe_directories.cache_clear()


def test_every_git_call_carries_the_guard(monkeypatch: pytest.MonkeyPatch, repo: Path) -> None:
    from secscan.util import proc as _subprocess

    seen: list[tuple[list[str], dict[str, str]]] = []
    real = _subprocess.run

    def spy(argv, **kw):  # type: ignore[no-untyped-def]
        seen.append((list(argv), dict(kw.get("env") or {})))
        return real(argv, **kw)

    monkeypatch.setattr(_subprocess, "run", spy)
    base = vcs.merge_base(repo, "main")
    vcs.changed_files(repo, base)
    with vcs.checkout(repo, base):
        pass
    vcs.head_commit(repo)
    calls = [(a, e) for a, e in seen if "-C" in a]
    assert len(calls) >= 7
    for argv, env in calls:
        pairs = {argv[i + 1] for i, a in enumerate(argv) if a == "-c"}
        assert {"core.fsmonitor=false", f"core.hooksPath={os.devnull}"} <= pairs, argv
        assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_CONFIG_GLOBAL"] == os.devnull
