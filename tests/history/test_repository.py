"""Repository identity without credentials; CSV cells that are never formulas."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from secscan.cli.history import lifecycles_csv
from secscan.history import repository
from secscan.history.lifecycle import lifecycles
from secscan.history.model import Run, ScannerRecord, Seen, Source
from secscan.model.findings import RunStatus, Severity


def test_remote_credentials_are_never_recorded(tmp_path: Path) -> None:
    token = "ghp" + "_tok"
    assert repository.without_credentials(f"https://user:{token}@github.com/o/r.git") == (
        "https://github.com/o/r.git"
    )
    assert repository.without_credentials("https://tok@gitlab.example:8443/o/r") == (
        "https://gitlab.example:8443/o/r"
    )
    assert repository.without_credentials("git@github.com:o/r.git") == "git@github.com:o/r.git"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", f"https://x:{token}@host/r.git"],
        check=True,
    )
    assert repository.identity(tmp_path) == "https://host/r.git"


def test_a_tree_without_git_is_known_by_its_root(tmp_path: Path) -> None:
    assert repository.identity(tmp_path) == str(tmp_path.resolve())
    assert repository.commit_date(tmp_path, "-rf") is None


def test_csv_cells_never_start_a_formula() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    run = Run(
        repository="r",
        at=now,
        started_at=now,
        secscan_version="t",
        source=Source.CI,
        scanners=(ScannerRecord("bandit", "code", RunStatus.OK, paths=("=cmd.py",)),),
        findings=(Seen("f", "bandit", "+B1", "code", "t", Severity.LOW, "=HYPERLINK(1).py", 1),),
    )
    rows = list(csv.DictReader(io.StringIO(lifecycles_csv(list(lifecycles([run]).values()), now))))
    assert rows[0]["path"] == "'=HYPERLINK(1).py"
    assert rows[0]["rule_id"] == "'+B1"
