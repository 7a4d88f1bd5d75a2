"""A pull request may not weaken its own gate: `secscan ci --new-since main` in a real git repo.

The base branch holds a flaw-free app and the settings everyone agreed on; the pull request
adds a command injection and, one at a time, a setting that would hide it. Every such PR must
fail and name what it weakened; the same PR without the weakening still fails on the flaw; a
PR that only strengthens the settings gets them applied. Real bandit, real git.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from secscan.policy.waivers import Waiver

pytestmark = pytest.mark.integration

BASE_CONFIG = "version: 1\nscanners: [bandit]\n"
BASE_APP = """\
import subprocess


def list_files(directory):
    return subprocess.run(["ls", "--", directory], capture_output=True, check=False).stdout
"""
FLAW = """

def run_report(request):
    return subprocess.run(request.args["cmd"], shell=True, capture_output=True).stdout
"""
LENIENT_PROFILE = """\
version: 1
description: lets everything through
gate:
  severity:
    default: none
  new_only: true
  scanner_error: warn
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main: a flaw-free app and a bandit-only config; a `pr` branch checked out."""
    path = tmp_path / "work" / "shop"
    (path / "app").mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / ".secscan.yaml").write_text(BASE_CONFIG)
    (path / "app" / "__init__.py").write_text("")
    (path / "app" / "files.py").write_text(BASE_APP)
    (path / "README.md").write_text("# shop\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    git(path, "checkout", "-q", "-b", "pr")
    monkeypatch.chdir(path)
    return path


def add_flaw(repo: Path) -> None:
    (repo / "app" / "files.py").write_text(BASE_APP + FLAW)


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")


def results(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "secscan-results.json").read_text())
    return data


def findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for r in data["result"]["runs"] for f in r["findings"]]


def waiver_file(today: datetime) -> str:
    """A narrow, dated waiver for the PR's finding (with `created` where waivers have one)."""
    created = f"    created: {today:%Y-%m-%d}\n" if "created" in Waiver.model_fields else ""
    return (
        "version: 1\nwaivers:\n"
        "  - rule: B602\n    path: app/files.py\n"
        "    reason: it is fine, trust me\n    owner: pr-author@example.com\n"
        f"{created}    expires: {today + timedelta(days=30):%Y-%m-%d}\n"
    )


def pre_accepting_baseline(repo: Path, run_cli: Callable[..., Any], tmp_path: Path) -> None:
    """The PR's own scan saved as a baseline in the tree: it would accept the new finding."""
    out = tmp_path / "pre"
    run_cli("scan", str(repo), "--output-dir", str(out), "--no-cache", "-q")
    (repo / "known.json").write_text((out / "secscan-results.json").read_text())
    (repo / ".secscan.yaml").write_text(BASE_CONFIG + "baseline: known.json\n")


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)


#: id -> (files the PR writes, the setting named, words the weakening's message contains)
WEAKENINGS: dict[str, tuple[dict[str, str], str, str]] = {
    "scanners-narrowed": (
        {".secscan.yaml": "version: 1\nscanners: [secrets]\n"},
        "scanners",
        "removed: bandit",
    ),
    "exclude-app": (
        {".secscan.yaml": BASE_CONFIG + "exclude: ['app/']\n"},
        "exclude",
        "added: app/",
    ),
    "include-readme-only": (
        {".secscan.yaml": BASE_CONFIG + "include: [README.md]\n"},
        "include",
        "only README.md",
    ),
    "fail-on-critical": (
        {".secscan.yaml": BASE_CONFIG + "fail_on: critical\n"},
        "fail_on",
        "critical",
    ),
    "bandit-skip": (
        {".secscan.yaml": BASE_CONFIG + "bandit:\n  skip: [B602]\n"},
        "bandit.skip",
        "B602",
    ),
    "semgrep-no-op-rules": (
        {
            ".secscan.yaml": BASE_CONFIG + "semgrep:\n  rules: [noop.yml]\n",
            "noop.yml": "rules: []\n",
        },
        "semgrep.rules",
        "'builtin' removed",
    ),
    "policy-dir-in-tree": (
        {
            ".secscan.yaml": BASE_CONFIG + "policy: lenient\n",
            "lenient/gates/ci.yaml": LENIENT_PROFILE,
        },
        "policy",
        "policy directory",
    ),
    "fake-advisory-db": (
        {
            ".secscan.yaml": BASE_CONFIG + "advisories:\n  db: osv\n",
            "osv/PyPI/all.json": "[]\n",
        },
        "advisories.db",
        "advisory source changed",
    ),
    "output-dir-outside": (
        {".secscan.yaml": BASE_CONFIG + "output_dir: ../../escaped\n"},
        "output_dir",
        "../../escaped",
    ),
    "pyproject-tool-secscan": (
        {
            "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\n\n'
            '[tool.secscan]\nscanners = ["bandit"]\nexclude = ["app/files.py"]\n'
        },
        "exclude",
        "app/files.py",
    ),
}


@pytest.mark.parametrize("case", sorted(WEAKENINGS))
def test_a_pr_that_weakens_its_gate_fails_and_names_the_weakening(
    case: str, repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    files, setting, words = WEAKENINGS[case]
    add_flaw(repo)
    write(repo, files)
    if case == "pyproject-tool-secscan":
        (repo / ".secscan.yaml").unlink()  # [tool.secscan] is read only without it
    commit(repo)
    out = tmp_path / "reports"

    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")

    assert ran.code == 1, ran.out + ran.err
    data = results(out)
    policy = [f for f in findings(data) if f["kind"] == "policy"]
    assert [f["rule_id"] for f in policy] == [f"weakened-setting:{setting}"]
    assert words in policy[0]["message"]
    assert words in ran.out  # the terminal summary names it too
    where = policy[0]["location"]
    if where["path"] == ".secscan.yaml":  # it points at the line that says it
        line = (repo / ".secscan.yaml").read_text().splitlines()[where["start_line"] - 1]
        assert setting.split(".")[-1] in line
    reasons = {r["rule"]: r["message"] for r in data["decision"]["reasons"]}
    assert words in reasons["weakened-settings"]
    # The base's settings still judged the change: the injection is found and fails too,
    # except where the flaw is not new to the base's judgement at all (none here).
    assert "B602" in {f["rule_id"] for f in findings(data)}
    assert "severity:code" in reasons
    assert not (tmp_path / "escaped").exists()
    for name in ("secscan-summary.md", "secscan-report.html", "secscan.sarif", "secscan-junit.xml"):
        text = (out / name).read_text().replace("\\_", "_")  # Markdown escapes `_`
        assert f"weakened-setting:{setting}" in text, name


@pytest.mark.parametrize("how", ["waiver-file", "baseline-in-tree"])
def test_a_pr_that_accepts_its_own_finding_fails(
    how: str, repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    add_flaw(repo)
    if how == "waiver-file":
        (repo / ".secscan-waivers.yaml").write_text(waiver_file(datetime.now(UTC)))
        setting, words = "waivers", "1 waiver(s) added"
    else:
        pre_accepting_baseline(repo, run_cli, tmp_path)
        setting, words = "baseline", "baseline entr(ies) added"
    commit(repo)
    out = tmp_path / "reports"

    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")

    assert ran.code != 0, ran.out + ran.err
    if ran.code == 2:  # a waiver this secscan refuses outright is also a failed PR
        assert ".secscan-waivers.yaml" in ran.err
        return
    assert ran.code == 1
    data = results(out)
    policy = [f for f in findings(data) if f["kind"] == "policy"]
    assert [f["rule_id"] for f in policy] == [f"weakened-setting:{setting}"]
    assert words in policy[0]["message"]
    b602 = [f for f in findings(data) if f["rule_id"] == "B602"]
    assert b602 and b602[0]["fingerprint"] in data["decision"]["failing_fingerprints"]
    assert data["decision"]["waivers"] == []  # the tree's waiver judged nothing


def test_the_same_pr_without_a_weakening_fails_on_the_flaw(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    add_flaw(repo)
    commit(repo)
    out = tmp_path / "reports"

    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")

    assert ran.code == 1, ran.out + ran.err
    data = results(out)
    assert not [f for f in findings(data) if f["kind"] == "policy"]
    failing = set(data["decision"]["failing_fingerprints"])
    assert {f["rule_id"] for f in findings(data) if f["fingerprint"] in failing} == {"B602"}
    assert "gate settings read from the merge base of main" in ran.out


def test_a_pr_that_only_strengthens_gets_its_settings_applied(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    # A low-severity finding the base's thresholds let through, and a new scanner.
    (repo / "app" / "store.py").write_text("import pickle\n\n\ndef load(b):\n    return b\n")
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, secrets]\n")
    commit(repo)
    out = tmp_path / "reports"
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")
    assert ran.code == 0, ran.out + ran.err
    data = results(out)
    assert {r["scanner"] for r in data["result"]["runs"]} == {"bandit", "secrets"}
    assert not [f for f in findings(data) if f["kind"] == "policy"]

    # Lowering the threshold to fail on everything applies at once: the low finding fails.
    (repo / ".secscan.yaml").write_text("version: 1\nscanners: [bandit, secrets]\nfail_on: info\n")
    commit(repo)
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")
    assert ran.code == 1, ran.out + ran.err
    data = results(out)
    failing = set(data["decision"]["failing_fingerprints"])
    assert {f["rule_id"] for f in findings(data) if f["fingerprint"] in failing} == {"B403"}
    assert not [f for f in findings(data) if f["kind"] == "policy"]


def test_trusting_the_tree_settings_is_loud(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    add_flaw(repo)
    write(repo, {".secscan.yaml": BASE_CONFIG + "exclude: ['app/']\n"})
    commit(repo)
    out = tmp_path / "reports"

    ran = run_cli("ci", "--new-since", "main", "--trust-tree-settings", "--output-dir", str(out))

    assert ran.code in (0, 1), ran.out + ran.err
    warnings = results(out)["decision"]["warnings"]
    assert warnings[0].startswith("--trust-tree-settings")
    assert any("exclude pattern(s) added: app/" in w for w in warnings)
    for name in ("secscan-summary.md", "secscan-report.html", "secscan.sarif", "secscan-junit.xml"):
        text = (out / name).read_text()
        assert "--trust-tree-settings" in text, name


def test_files_named_outside_the_tree_are_trusted_inside_it_are_not(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    add_flaw(repo)
    commit(repo)
    outside = tmp_path / "team-waivers.yaml"
    outside.write_text(waiver_file(datetime.now(UTC)))
    out = tmp_path / "reports"

    ran = run_cli("ci", "--new-since", "main", "--waivers", str(outside), "--output-dir", str(out))
    if ran.code == 2:  # this secscan refuses the waiver itself: nothing to trust
        assert str(outside) in ran.err
        return
    assert ran.code == 0, ran.out + ran.err  # the team's own waiver accepts the finding
    data = results(out)
    assert not [f for f in findings(data) if f["kind"] == "policy"]
    assert data["decision"]["waivers"][0]["fingerprints"]

    # The same waiver file committed in the tree and named on the command line: a weakening.
    (repo / "waivers.yaml").write_text(outside.read_text())
    commit(repo)
    ran = run_cli(
        "ci",
        "--new-since",
        "main",
        "--waivers",
        str(repo / "waivers.yaml"),
        "--output-dir",
        str(out),
    )
    assert ran.code == 1, ran.out + ran.err
    policy = [f for f in findings(results(out)) if f["kind"] == "policy"]
    assert [(f["rule_id"], f["location"]["path"]) for f in policy] == [
        ("weakened-setting:waivers", "waivers.yaml")
    ]


def test_compliance_documents_show_the_weakening(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    add_flaw(repo)
    write(repo, {".secscan.yaml": BASE_CONFIG + "exclude: ['app/']\n"})
    commit(repo)
    out = tmp_path / "reports"
    assert run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache").code == 1
    docs = tmp_path / "compliance"
    ran = run_cli(
        "compliance", "--from", str(out / "secscan-results.json"), "--output-dir", str(docs)
    )
    assert ran.code == 0, ran.out + ran.err
    iso = (docs / "compliance-iso27001-2022.html").read_text()
    assert "exclude pattern(s) added: app/" in iso


def test_the_release_profile_fails_on_a_weakening_too(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    # No flaw at all: the weakening alone fails the release gate.
    write(repo, {".secscan.yaml": BASE_CONFIG + "fail_on: critical\n"})
    (repo / "app" / "files.py").write_text(BASE_APP + "# tidied\n")  # something to scan
    commit(repo)
    out = tmp_path / "reports"
    ran = run_cli(
        "ci", "--new-since", "main", "--profile", "release", "--output-dir", str(out), "--no-cache"
    )
    assert ran.code == 1, ran.out + ran.err
    reasons = [r["rule"] for r in results(out)["decision"]["reasons"]]
    assert reasons == ["weakened-settings"]
