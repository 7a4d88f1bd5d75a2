"""Inline suppressions through the real tools and the CLI: counted everywhere, judged by the
profile (issue 12 item 4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from secscan.model import results

pytestmark = pytest.mark.integration

# The command comes from the query string: high for bandit (B602) and for the semgrep pack
# (taint from request data; an untraced parameter would be a low audit finding).
FLAW = (
    "import subprocess\n\n\ndef run(request):\n"
    "    return subprocess.call(request.args['cmd'], shell=True)"
)
TF = Path(__file__).resolve().parent / "fixtures" / "trivy" / "iac-ignore" / "main.tf"


def _tree(tmp_path: Path, comment: str, scanner: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text(f"{FLAW}  {comment}\n")
    (root / ".secscan.yaml").write_text(f"version: 1\nscanners: [{scanner}]\n")
    return root


def _scan(run_cli: Callable[..., object], root: Path, out: Path, profile: str):  # type: ignore[no-untyped-def]
    res = run_cli(
        "scan",
        str(root),
        "--profile",
        profile,
        "--output-dir",
        str(out),
        "--format",
        "markdown",
        "--format",
        "sarif",
    )
    saved = results.loads((out / "secscan-results.json").read_text())
    return res, saved


@pytest.mark.parametrize(
    ("comment", "scanner"),
    [("# nosec", "bandit"), ("# nosec B602", "bandit"), ("# nosemgrep", "semgrep")],
)
def test_ci_honours_and_lists_release_fails(
    tmp_path: Path, run_cli, comment: str, scanner: str
) -> None:
    root = _tree(tmp_path, comment, scanner)
    res, saved = _scan(run_cli, root, tmp_path / "ci", "ci")
    assert res.code == 0, res.out  # type: ignore[attr-defined]
    (f,) = [f for f in saved.result.findings if f.suppression]
    assert f.suppression is not None and comment.lstrip("# ") in f.suppression.directive
    assert saved.decision is not None and f.fingerprint in saved.decision.honoured_suppressions
    assert any("inline suppression" in w and "app.py:5" in w for w in saved.decision.warnings)
    summary = (tmp_path / "ci" / "secscan-summary.md").read_text()
    assert "with an inline suppression (1 honoured by the profile)" in summary
    sarif = json.loads((tmp_path / "ci" / "secscan.sarif").read_text())
    kinds = [s["kind"] for r in sarif["runs"][0]["results"] for s in r.get("suppressions", [])]
    assert "inSource" in kinds

    res, saved = _scan(run_cli, root, tmp_path / "release", "release")
    assert res.code == 1
    assert saved.decision is not None and f.fingerprint in saved.decision.failing_fingerprints


def test_trivy_ignore_in_terraform_is_counted_and_fails_release(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.tf").write_text(TF.read_text())
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [iac]\n")
    res, saved = _scan(run_cli, root, tmp_path / "release", "release")
    assert res.code == 1
    marked = {f.rule_id for f in saved.result.findings if f.suppression}
    assert marked == {"AWS-0086", "AWS-0107"}
    assert saved.result.runs[0].inline_suppressions == 2
    assert saved.decision is not None
    assert any("does not honour" in w for w in saved.decision.warnings)
