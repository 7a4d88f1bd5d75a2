"""Attack cases on identity and scope: fingerprints, default excludes, manifests.

Each runs the CLI in process against a tree an attacker could write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FLAW = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"


def _results(out: Path) -> dict:
    return json.loads((out / "secscan-results.json").read_text(encoding="utf-8"))["result"]


@pytest.mark.integration
def test_a_package_named_venv_in_the_app_is_scanned_and_a_real_venv_is_listed(
    tmp_path: Path, run_cli
) -> None:
    tree = tmp_path / "tree"
    # Named like a default exclude, but not the real thing: each is scanned.
    for rel in ("app/venv/__init__.py", "node_modules/evil.py", ".mypy_cache/hidden.py",
                "__pycache__/loader.py"):  # fmt: skip
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(FLAW)
    (tree / ".venv" / "lib").mkdir(parents=True)
    (tree / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tree / ".venv" / "lib" / "site.py").write_text(FLAW)
    out = tmp_path / "out"
    res = run_cli("scan", str(tree), "--scanner", "bandit", "--output-dir", str(out))
    assert res.code == 1, res.err
    result = _results(out)
    paths = {f["location"]["path"] for r in result["runs"] for f in r["findings"]}
    assert paths == {
        "app/venv/__init__.py",
        "node_modules/evil.py",
        ".mypy_cache/hidden.py",
        "__pycache__/loader.py",
    }
    assert result["excluded"] == [
        {
            "path": ".venv",
            "reason": "Python virtual environment (pyvenv.cfg)",
            "authority": "default",
        }
    ]
    assert (
        run_cli(
            "report",
            "--from",
            str(out / "secscan-results.json"),
            "--format",
            "markdown",
            "--output-dir",
            str(out),
        ).code
        == 0
    )
    summary = (out / "secscan-summary.md").read_text(encoding="utf-8")
    assert "Excluded from the scan (1)" in summary and "<code>.venv</code>" in summary


SHELL = """import os
import subprocess
from flask import request


def run():
    subprocess.call(
        {arg},
        shell=True,
    )
"""


@pytest.mark.integration
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('"ls -l"', 'request.args["cmd"]'),  # B602 low -> high: severity is identity
        ('os.environ["CMD"]', 'request.args["cmd"]'),  # high -> high, argument outside the range
    ],
    ids=["severity-rises", "argument-changes"],
)
def test_a_baseline_does_not_cover_a_riskier_statement(
    tmp_path: Path, run_cli, before: str, after: str
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text(SHELL.format(arg=before))
    base = tmp_path / "baseline.json"
    made = run_cli("baseline", "create", str(tree), "--scanner", "bandit", "-o", str(base))
    assert made.code == 0, made.err
    argv = ("scan", str(tree), "--scanner", "bandit", "--profile", "ci", "--baseline", str(base))
    unchanged = run_cli(*argv, "--output-dir", str(tmp_path / "o1"))
    assert unchanged.code == 0, unchanged.out + unchanged.err
    # Moved down and edited elsewhere: still the known finding.
    (tree / "app.py").write_text(
        "X = 1\n\n" + SHELL.format(arg=before).replace("run()", "run(x=1)")
    )
    assert run_cli(*argv, "--output-dir", str(tmp_path / "o2")).code == 0
    (tree / "app.py").write_text(SHELL.format(arg=after))
    changed = run_cli(*argv, "--output-dir", str(tmp_path / "o3"))
    assert changed.code == 1, changed.out + changed.err
    result = _results(tmp_path / "o3")
    b602 = next(f for r in result["runs"] for f in r["findings"] if f["rule_id"] == "B602")
    assert b602["severity"] == "high"
    assert b602["fingerprint"] not in base.read_text()
