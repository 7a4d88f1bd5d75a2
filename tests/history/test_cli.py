"""`secscan scan --history` records after the gate; the history commands read it back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from secscan.history import ENV_URL
from secscan.history.store import SqlStore

pytestmark = pytest.mark.integration

#: A stand-in password: it must never appear in any message.
MARK = "hunter" + "2"
FLAW = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def test_scan_records_and_history_commands_read_it(
    history_url: str, tmp_path: Path, run_cli: Any
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text(FLAW)
    out = tmp_path / "reports"
    res = run_cli(
        "scan", str(tree), "--scanner", "bandit", "--output-dir", str(out),
        "--history", history_url, "-q",
    )  # fmt: skip
    assert res.code == 1, res.err  # the high B602 fails the ci gate
    assert "history: recorded in" in res.err
    (tree / "app.py").write_text("def run(cmd):\n    return cmd\n")
    res = run_cli(
        "scan", str(tree), "--scanner", "bandit", "--output-dir", str(out),
        "--history", history_url, "-q",
    )  # fmt: skip
    assert res.code == 0, res.err
    assert "+0 new, \u22122 fixed since the last run" in res.err

    listed = run_cli("history", "list", "--history", history_url, "--json")
    runs = json.loads(listed.out)
    assert [(r["outcome"], r["findings"], r["source"]) for r in runs] == [
        ("fail", 2, "scan"),
        ("pass", 0, "scan"),
    ]
    assert runs[0]["repository"] == str(tree.resolve())

    exported = run_cli("history", "export", "--history", history_url, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported.out)))
    assert sorted(r["rule_id"] for r in rows) == ["B404", "B602"]
    assert {r["state"] for r in rows} == {"fixed"}
    fp = next(r["fingerprint"] for r in rows if r["rule_id"] == "B602")

    shown = run_cli("history", "show", fp[:12], "--history", history_url)
    assert shown.code == 0, shown.err
    assert "state: fixed" in shown.out and " new" in shown.out and " fixed" in shown.out

    trends = run_cli("history", "trends", "--history", history_url, "--json")
    data = json.loads(trends.out)
    assert [(r["new"], r["fixed"]) for r in data["runs"]] == [(2, 0), (0, 2)]
    assert data["deadlines"] == {"critical": 7, "high": 30, "medium": 90, "low": 180}

    as_json = json.loads(run_cli("history", "export", "--history", history_url).out)
    assert len(as_json["findings"]) == 2


def test_ci_records_only_when_a_history_database_is_configured(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text(FLAW)
    (tree / ".secscan.yaml").write_text("scanners: [bandit]\n")
    db = tmp_path / "h.sqlite"
    monkeypatch.delenv(ENV_URL, raising=False)
    res = run_cli("ci", str(tree), "--output-dir", str(tmp_path / "r1"), "-q")
    assert "history:" not in res.err and not db.exists()
    monkeypatch.setenv(ENV_URL, f"sqlite:///{db}")
    res = run_cli("ci", str(tree), "--output-dir", str(tmp_path / "r2"), "-q")
    assert "history: recorded" in res.err
    # `history: false` in the config turns it off even then.
    (tree / ".secscan.yaml").write_text("scanners: [bandit]\nhistory: false\n")
    run_cli("ci", str(tree), "--output-dir", str(tmp_path / "r3"), "-q")
    s = SqlStore.open(f"sqlite:///{db}")
    try:
        assert len(s.runs()) == 1
    finally:
        s.close()


def test_a_repository_config_cannot_name_the_database(tmp_path: Path, run_cli: Any) -> None:
    """The scanned tree must not choose where its findings (and the DB password) go."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".secscan.yaml").write_text("history: postgresql://attacker.example/x\n")
    res = run_cli("scan", str(tree), "--output-dir", str(tmp_path / "r"))
    assert res.code == 2
    assert "history" in res.err


def test_an_unwritable_history_still_writes_reports_then_exits_2(
    tmp_path: Path, run_cli: Any
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text("x = 1\n")
    out = tmp_path / "r"
    res = run_cli(
        "scan", str(tree), "--scanner", "bandit", "--output-dir", str(out),
        "--history", f"postgresql://u:{MARK}@127.0.0.1:1/h",
    )  # fmt: skip
    assert res.code == 2
    assert (out / "secscan-results.json").is_file()
    assert "127.0.0.1:1" in res.err and MARK not in res.err
