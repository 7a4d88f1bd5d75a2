"""Fleet tests: local git repositories with known flaws, and the suite's PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fleetrepos import commit_files, git, manifest_text
from pgserver import new_database, postgres_server

__all__ = ["git_repo", "make_manifest", "postgres_server", "queue_db"]


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
