"""SARIF paths are relative to the repository root (originalUriBaseIds), with the commit in
versionControlProvenance, so a scan of a subdirectory puts alerts on the right files."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from reportdata import NOW, load_schema, rich_saved

from secscan.model.results import SavedResults
from secscan.report import sarif
from secscan.workspace import vcs

REPO = Path(__file__).resolve().parents[2]
VALIDATOR = jsonschema.Draft4Validator(load_schema())


def _render(saved: SavedResults) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.render(saved, NOW))
    assert not list(VALIDATOR.iter_errors(data))
    return data


def _uris(data: dict[str, Any]) -> list[str]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in data["runs"]
        for r in run.get("results", [])
    ]


def _with_meta(saved: SavedResults, root: str, *meta: tuple[str, str]) -> SavedResults:
    return SavedResults(replace(saved.result, root=root, metadata=meta), saved.decision)


def test_a_subdirectory_scan_gets_repository_relative_uris_and_the_commit() -> None:
    saved = _with_meta(
        rich_saved(),
        "/src/monorepo/services/shop",
        (vcs.TOPLEVEL_KEY, "/src/monorepo"),
        (vcs.REPOSITORY_KEY, "https://git.example.com/org/monorepo.git"),
        (vcs.BRANCH_KEY, "main"),
    )
    data = _render(saved)
    run = data["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///src/monorepo/"}}
    assert all(u.startswith("services/shop/") for u in _uris(data))
    assert "services/shop/app/db.py" in _uris(data)
    (vc,) = run["versionControlProvenance"]
    assert vc == {
        "repositoryUri": "https://git.example.com/org/monorepo.git",
        "revisionId": "0123456789abcdef0123456789abcdef01234567",
        "branch": "main",
        "mappedTo": {"uriBaseId": "%SRCROOT%"},
    }


def test_outside_git_uris_stay_relative_to_the_scan_root() -> None:
    data = _render(rich_saved())
    run = data["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///src/shop/"}}
    assert "app/db.py" in _uris(data)
    assert "versionControlProvenance" not in run


def test_merged_parts_of_different_repositories_fall_back_to_the_scan_root() -> None:
    saved = _with_meta(
        rich_saved(), "/src/shop", (vcs.TOPLEVEL_KEY, "/src"), (vcs.TOPLEVEL_KEY, "/other")
    )
    assert "app/db.py" in _uris(_render(saved))


@pytest.mark.parametrize(
    ("url", "public"),
    [
        (
            "https://ci:ghp_SECRETtoken@github.com/org/r.git?private_token=x#y",
            "https://github.com/org/r.git",
        ),
        ("git@github.com:org/r.git", "ssh://github.com/org/r.git"),
        ("ssh://git:pw@host:2222/org/r", "ssh://host:2222/org/r"),
        ("/srv/git/r.git", None),
        ("C:\\repos\\r", None),
        ("file:///srv/git/r.git", None),
    ],
)
def test_remote_urls_lose_their_credentials(url: str, public: str | None) -> None:
    assert vcs.public_url(url) == public


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.integration
def test_a_token_in_the_remote_url_never_reaches_the_results(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "trunk")
    _git(repo, "remote", "add", "origin", "https://bot:glpat-SECRET123@gitlab.example.com/g/p.git")
    meta = dict(vcs.provenance(repo / "sub"))
    assert meta[vcs.TOPLEVEL_KEY] == str(repo.resolve())
    assert meta[vcs.REPOSITORY_KEY] == "https://gitlab.example.com/g/p.git"
    assert meta[vcs.BRANCH_KEY] == "trunk"
    assert "SECRET" not in json.dumps(meta)


@pytest.mark.integration
def test_scanning_the_example_from_the_repository_root_gives_uris_in_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]
) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    r = run_cli(
        "scan", "examples/vulnerable-shop", "--scanner", "bandit", "--format", "sarif",
        "--output-dir", str(out), "-q",
    )  # fmt: skip
    assert r.code == 1, r.err  # the example's findings fail the gate
    data = json.loads((out / "secscan.sarif").read_text(encoding="utf-8"))
    assert not list(VALIDATOR.iter_errors(data))
    (run,) = data["runs"]
    base = urlsplit(run["originalUriBaseIds"]["%SRCROOT%"]["uri"])
    top = Path(unquote(base.path))
    assert top == REPO
    uris = _uris(data)
    assert uris
    for uri in uris:
        assert uri.startswith("examples/vulnerable-shop/"), uri
        assert (top / unquote(uri)).is_file(), uri
    (vc,) = run["versionControlProvenance"]
    assert vc["revisionId"] == _git(REPO, "rev-parse", "HEAD")
    assert vc["mappedTo"] == {"uriBaseId": "%SRCROOT%"}
