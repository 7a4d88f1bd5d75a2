"""A fleet repository is hostile: its checkout runs nothing of it and fetches nothing more."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from fleetrepos import commit_files, git

from secscan.fleet.checkout import CheckoutError, Head, checkout, remote_head
from secscan.fleet.manifest import Target


def _target(source: str, branch: str | None = None) -> Target:
    return Target(name="r", source=source, branch=branch, profile="ci")


def test_an_ext_transport_never_runs_its_command(tmp_path: Path) -> None:
    mark = tmp_path / "pwned"
    target = _target(f"ext::sh -c touch% {mark}")
    with pytest.raises(CheckoutError):
        remote_head(target)
    with pytest.raises(CheckoutError):
        checkout(target, Head("main", "0" * 40), tmp_path / "work")
    assert not mark.exists()


def test_the_default_branch_and_its_head_come_from_the_remote(
    git_repo: Callable[[str, dict[str, str]], Path],
) -> None:
    repo = git_repo("svc", {"a.py": "A = 1\n"})
    head = remote_head(_target(repo.as_uri()))
    assert head.branch == "main" and head.commit == git(repo, "rev-parse", "HEAD")
    with pytest.raises(CheckoutError, match="no refs/heads/nope"):
        remote_head(_target(repo.as_uri(), "nope"))


def test_submodules_are_not_fetched(
    tmp_path: Path, git_repo: Callable[[str, dict[str, str]], Path]
) -> None:
    inner = git_repo("inner", {"secret.py": "X = 1\n"})
    outer = git_repo("outer", {"a.py": "A = 1\n"})
    git(outer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", inner.as_uri(), "sub")
    git(outer, "commit", "-q", "-m", "submodule")
    target = _target(outer.as_uri())
    root = checkout(target, remote_head(target), tmp_path / "work")
    assert (root / ".gitmodules").is_file()
    assert list((root / "sub").iterdir()) == []


def test_a_fetch_into_an_earlier_clone_runs_no_hook_and_leaves_nothing_behind(
    tmp_path: Path, git_repo: Callable[[str, dict[str, str]], Path]
) -> None:
    repo = git_repo("svc", {"a.py": "A = 1\n"})
    target = _target(repo.as_uri())
    work = tmp_path / "work"
    checkout(target, remote_head(target), work)
    mark = tmp_path / "hook-ran"
    hook = work / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {mark}\n", encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    (work / "leftover.py").write_text("import os\nos.system('x')\n", encoding="utf-8")
    new = commit_files(repo, {"b.py": "B = 2\n"})
    root = checkout(target, remote_head(target), work)
    assert git(root, "rev-parse", "HEAD") == new
    assert (root / "b.py").is_file() and not (root / "leftover.py").exists()
    assert not mark.exists()
    assert os.access(hook, os.X_OK)  # it was there to run, and did not
