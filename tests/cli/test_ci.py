"""`secscan ci`: every format written, the step summary, and `--new-since` against git history."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from secscan.app import incremental
from secscan.policy.baseline import Baseline, BaselineEntry
from secscan.report.formats import CI_FORMATS, FORMATS

BASE_APP = """\
import subprocess


def export(title):
    subprocess.check_call(f'wkhtmltopdf --title "{title}" out.pdf', shell=True)
"""
# On the branch the old flaw moves down (a new function above it): still the same finding.
BRANCH_REFACTOR = """\
import subprocess


def banner():
    return "shop"


def export(title):
    subprocess.check_call(f'wkhtmltopdf --title "{title}" out.pdf', shell=True)
"""
BRANCH_NEW_FLAW = (
    BRANCH_REFACTOR
    + """

def thumbnail(path):
    subprocess.call("convert " + path + " thumb.png", shell=True)
"""
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: one flaw in app.py; then a `feature` branch is checked out."""
    path = tmp_path / "shop"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    (path / "app.py").write_text(BASE_APP)
    (path / "README.md").write_text("# shop\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    git(path, "checkout", "-q", "-b", "feature")
    return path


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def results(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "secscan-results.json").read_text())
    return data


def finding_rules(data: dict[str, Any], fingerprints: list[str]) -> list[str]:
    by_fp = {f["fingerprint"]: f["rule_id"] for r in data["result"]["runs"] for f in r["findings"]}
    return sorted(by_fp[fp] for fp in fingerprints)


@pytest.mark.integration
def test_new_since_counts_only_what_the_branch_added(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    out = tmp_path / "reports"

    # The branch touched app.py but the flaw was already on main: not new, the gate passes.
    (repo / "app.py").write_text(BRANCH_REFACTOR)
    commit_all(repo, "refactor")
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out))
    assert ran.code == 0, ran.out + ran.err
    data = results(out)
    assert finding_rules(data, data["decision"]["new_fingerprints"]) == []
    assert "B602" in {f["rule_id"] for r in data["result"]["runs"] for f in r["findings"]}
    assert "merge base" in ran.out and "1 changed file(s)" in ran.out

    # A flaw added on the branch is new and fails the gate.
    (repo / "app.py").write_text(BRANCH_NEW_FLAW)
    commit_all(repo, "pricing")
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out))
    assert ran.code == 1, ran.out + ran.err
    data = results(out)
    new = data["decision"]["new_fingerprints"]
    assert finding_rules(data, new) == ["B602"]
    assert data["decision"]["failing_fingerprints"] == new
    lines = {
        f["fingerprint"]: f["location"]["start_line"]
        for r in data["result"]["runs"]
        for f in r["findings"]
    }
    assert lines[new[0]] == 13  # the added call, not the old one on line 9
    # the merge base was checked out in a temporary worktree, and removed again
    assert git(repo, "worktree", "list").count("\n") == 1


@pytest.mark.integration
def test_a_moved_file_keeps_its_known_findings(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    (repo / "shop").mkdir()
    git(repo, "mv", "app.py", "shop/export.py")
    commit_all(repo, "move")
    out = tmp_path / "reports"
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out))
    assert ran.code == 0, ran.out
    data = results(out)
    assert data["decision"]["new_fingerprints"] == []
    paths = {f["location"]["path"] for r in data["result"]["runs"] for f in r["findings"]}
    assert paths == {"shop/export.py"}


@pytest.mark.integration
def test_without_new_since_every_finding_counts(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "reports"
    ran = run_cli("ci", str(repo), "--output-dir", str(out))
    assert ran.code == 1
    assert finding_rules(results(out), results(out)["decision"]["failing_fingerprints"]) == ["B602"]


@pytest.mark.integration
def test_every_format_and_the_github_step_summary(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("## an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "reports"
    ran = run_cli("ci", str(repo), "--output-dir", str(out))
    assert ran.code == 1
    written = sorted(p.name for p in out.iterdir())
    # Each format's file(s) (DefectDojo writes one per scanner), and nothing else.
    # (`oscal-1.0.6` is written only on request; OpenVEX only with a statement to make, and
    # bandit alone finds no dependency or image vulnerability.)
    formats = [FORMATS[name] for name in CI_FORMATS]
    assert "secscan.openvex.json" not in written
    assert all(any(fnmatch(n, f.pattern) for n in written) for f in formats if f.name != "openvex")
    assert all(any(fnmatch(n, f.pattern) for f in formats) for n in written)
    text = summary.read_text()
    assert text.startswith("## an earlier step\n")  # appended, not replaced
    assert text[len("## an earlier step\n") :] == (out / FORMATS["markdown"].filename).read_text()


def test_new_since_an_unknown_ref_is_a_usage_error(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    ran = run_cli("ci", "--new-since", "no-such-branch", "--output-dir", str(tmp_path / "r"))
    assert ran.code == 2
    assert "no-such-branch" in ran.err and "fetch" in ran.err


def test_new_since_outside_git_is_a_usage_error(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tmp_path / "plain").mkdir()
    ran = run_cli("ci", str(tmp_path / "plain"), "--new-since", "main")
    assert ran.code == 2
    assert "git work tree" in ran.err


def test_merged_baselines_accept_the_most_generous_count_never_the_sum() -> None:
    a = Baseline((BaselineEntry("fp1", 1), BaselineEntry("fp2", 2)), "a")
    b = Baseline((BaselineEntry("fp1", 3),), "b")
    merged = incremental.merge_baselines(a, None, b)
    assert merged is not None
    assert dict(merged.counts) == {"fp1": 3, "fp2": 2}
    assert incremental.merge_baselines(None, None) is None


@pytest.mark.integration
@pytest.mark.parametrize("comment", ["# nosec", "# nosec B602"])
def test_a_pr_that_adds_a_flaw_with_an_inline_suppression_still_fails(
    repo: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    comment: str,
) -> None:
    """Issue 12 item 4: the suppression arrives with its finding in the change under review,
    so `ci` does not honour it; the flaw counts and the suppression is named."""
    monkeypatch.chdir(repo)
    out = tmp_path / "reports"
    (repo / "app.py").write_text(BRANCH_NEW_FLAW.rstrip("\n") + f"  {comment}\n")
    commit_all(repo, "pricing, quietly")
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out))
    assert ran.code == 1, ran.out + ran.err
    data = results(out)
    new = data["decision"]["new_fingerprints"]
    assert finding_rules(data, data["decision"]["failing_fingerprints"]) == ["B602"]
    assert data["decision"]["failing_fingerprints"] == new
    assert any(
        "added by the change under review" in w and f"({comment})" in w
        for w in data["decision"]["warnings"]
    )
    # the flaw on main without a comment is still found on the branch, not new
    b602 = [f for r in data["result"]["runs"] for f in r["findings"] if f["rule_id"] == "B602"]
    assert len(b602) == 2
