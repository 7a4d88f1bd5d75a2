"""Every format gives a finding's path relative to the repository's top directory (as SARIF
does), so a scan of a monorepo's subfolder links to the right files, and records the folder."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest
from reportdata import NOW, rich_saved

from secscan.model.results import SavedResults
from secscan.report.formats import FORMATS
from secscan.report.model import repository_base
from secscan.workspace import vcs

PREFIX = "services/shop/"


def _sub(root: str = "/src/monorepo/services/shop", top: str = "/src/monorepo") -> SavedResults:
    saved = rich_saved()
    meta = ((vcs.TOPLEVEL_KEY, top),)
    return SavedResults(replace(saved.result, root=root, metadata=meta), saved.decision)


def _render(name: str, saved: SavedResults) -> Any:
    return json.loads(FORMATS[name].render(saved, NOW))


def _paths(name: str, saved: SavedResults) -> list[str]:
    """Every file path the format gives, by its own field names."""
    if name == "gitlab-codequality":
        return [i["location"]["path"] for i in _render(name, saved)]
    if name == "defectdojo":
        files = FORMATS[name].outputs(saved, NOW)
        return [f["file_path"] for t in files.values() for f in json.loads(t)["findings"]]
    report = _render(name, saved)
    out = [v["location"]["file"] for v in report["vulnerabilities"] if "file" in v["location"]]
    out += [d["path"] for d in report.get("dependency_files", [])]
    return out


FORMATS_WITH_PATHS = (
    "gitlab-sast",
    "gitlab-dependency-scanning",
    "gitlab-secret-detection",
    "gitlab-codequality",
    "defectdojo",
)


@pytest.mark.parametrize("name", FORMATS_WITH_PATHS)
def test_subfolder_scan_gives_repository_relative_paths(name: str) -> None:
    inside = _paths(name, _sub())
    outside = _paths(name, rich_saved())
    assert inside and len(inside) == len(outside)
    # The same files, each under the scanned folder's path in the repository.
    assert inside == [PREFIX + p for p in outside]


@pytest.mark.parametrize("name", FORMATS_WITH_PATHS)
def test_scan_of_the_repository_top_or_outside_git_keeps_paths(name: str) -> None:
    top = _sub(root="/src/monorepo/", top="/src/monorepo")
    assert _paths(name, top) == _paths(name, rich_saved())
    # A root git does not contain (a symlinked checkout): no prefix is invented.
    assert _paths(name, _sub(top="/elsewhere")) == _paths(name, rich_saved())


def test_the_scanned_folder_is_recorded() -> None:
    sast = _render("gitlab-sast", _sub())
    assert sast["scan"]["messages"][0]["value"] == (
        "scanned services/shop; paths are relative to the repository's top directory"
    )
    files = FORMATS["defectdojo"].outputs(_sub(), NOW)
    assert all("scan of services/shop;" in json.loads(t)["description"] for t in files.values())
    outside = _render("gitlab-sast", rich_saved())
    assert outside["scan"]["messages"][0]["value"].endswith("relative to the scan root")


def test_remediation_patch_applies_from_the_repository_top() -> None:
    report = _render("gitlab-dependency-scanning", _sub())
    (fix, *_) = report["remediations"]
    diff = base64.b64decode(fix["diff"]).decode()
    assert diff.startswith(f"diff --git a/{PREFIX}requirements.txt b/{PREFIX}requirements.txt\n")


def test_pseudo_and_absolute_paths_are_not_prefixed() -> None:
    base = repository_base(_sub())
    assert base.path("app/db.py") == PREFIX + "app/db.py"
    assert base.path("image:python:3.11") == "image:python:3.11"
    assert base.path("/etc/passwd") == "/etc/passwd"
    assert base.scanned == "services/shop"
