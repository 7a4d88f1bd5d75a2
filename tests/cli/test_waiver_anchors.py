"""Waiver path globs name a place: anchored in a directory the scan root has (issue 22 item 8).

`a*` and `**/a*` cover any file a later pull request adds under a matching name: a base
waiver for `**/test_*.py` would accept `app/test_helpers.py` that production code imports.
Real bandit, real git, `secscan ci --new-since main` and `secscan scan`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

FLAWED = """\
import subprocess


def run_report(request):
    return subprocess.run(request.args["cmd"], shell=True, capture_output=True).stdout
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)


def waivers(path: str) -> str:
    today = datetime.now(UTC).date()
    return (
        "version: 1\nwaivers:\n"
        f"  - rule: B602\n    path: '{path}'\n"
        "    reason: reviewed\n    owner: sec@example.com\n"
        f"    created: {today:%Y-%m-%d}\n"
        f"    expires: {today + timedelta(days=30):%Y-%m-%d}\n"
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "shop"
    (path / "app").mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    (path / "app" / "__init__.py").write_text("")
    (path / "app" / "views.py").write_text("import app.audit_log\n")
    monkeypatch.chdir(path)
    return path


@pytest.mark.parametrize("glob", ["a*", "**/a*", "**/audit_*.py", "*/audit_log.py", "nothere/*.py"])
def test_a_base_waiver_that_names_no_place_is_refused_at_its_line(
    glob: str, repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """The base's waiver is refused before the PR's flaw could be judged by it: exit 2."""
    (repo / ".secscan-waivers.yaml").write_text(waivers(glob))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "app" / "audit_log.py").write_text(FLAWED)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(tmp_path / "o"), "--no-cache")
    assert ran.code == 2, ran.out + ran.err
    assert ".secscan-waivers.yaml:4 [waivers.0.path]" in ran.err, ran.err
    assert "anchored" in ran.err


def test_an_anchored_waiver_still_applies(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (repo / "app" / "audit_log.py").write_text(FLAWED)
    (repo / ".secscan-waivers.yaml").write_text(waivers("app/audit_*.py"))
    ran = run_cli("scan", str(repo), "--output-dir", str(tmp_path / "o"), "--no-cache")
    assert ran.code == 0, ran.out + ran.err
    (repo / ".secscan-waivers.yaml").write_text(waivers("audit_log.py"))  # ./audit_log.py
    ran = run_cli("scan", str(repo), "--output-dir", str(tmp_path / "o"), "--no-cache")
    assert ran.code == 1, ran.out + ran.err
    assert "B602" in ran.out
