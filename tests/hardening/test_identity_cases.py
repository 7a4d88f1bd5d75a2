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
    (tree / "app" / "venv").mkdir(parents=True)
    (tree / "app" / "venv" / "__init__.py").write_text(FLAW)
    (tree / ".venv" / "lib").mkdir(parents=True)
    (tree / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tree / ".venv" / "lib" / "site.py").write_text(FLAW)
    out = tmp_path / "out"
    res = run_cli("scan", str(tree), "--scanner", "bandit", "--output-dir", str(out))
    assert res.code == 1, res.err
    result = _results(out)
    paths = {f["location"]["path"] for r in result["runs"] for f in r["findings"]}
    assert paths == {"app/venv/__init__.py"}
    assert result["excluded"] == [
        {"path": ".venv", "reason": "Python virtual environment (pyvenv.cfg)"}
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
