"""Fleet tests: local git repositories with known flaws, and the suite's PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pgserver import new_database, postgres_server

__all__ = ["git_repo", "make_manifest", "postgres_server", "queue_db"]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def git_repo(tmp_path: Path) -> Callable[[str, dict[str, str]], Path]:
    """A git repository on branch main holding `files`, one commit."""

    def make(name: str, files: dict[str, str]) -> Path:
        repo = tmp_path / "repos" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        commit_files(repo, files, "initial")
        return repo

    return make


def manifest_text(repos: dict[str, Path], settings: str = "scanners: [bandit]") -> str:
    lines = [
        "version: 1",
        "defaults:",
        "  profile: ci",
        "  settings:",
        f"    {settings}",
        "  tags: {team: core}",
        "repositories:",
    ]
    for name, path in repos.items():
        lines += [f"  - name: {name}", f"    path: {path}", f"    tags: {{product: {name}}}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def make_manifest(tmp_path: Path) -> Callable[..., Path]:
    def make(repos: dict[str, Path], settings: str = "scanners: [bandit]") -> Path:
        path = tmp_path / "fleet.yaml"
        path.write_text(manifest_text(repos, settings), encoding="utf-8")
        return path

    return make


@pytest.fixture
def queue_db(postgres_server: str) -> str:
    """An empty PostgreSQL database: the job queue and the history in one."""
    return new_database(postgres_server)
