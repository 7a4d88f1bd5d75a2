"""Tool integrity (issue 30): a scanner's executable swapped for a modified copy is caught.

`secscan tools lock` pins the real bandit; the copy behind SECSCAN_TOOL_BANDIT (or first on
PATH) is the real script with one byte appended. With the lock in force the scan exits 3
naming both digests, and the copy is never started; `audit` refuses to scan without a lock,
`release` warns; under `ci --new-since` the lock is the merge base's, whatever the pull
request adds or edits. Real bandit, real git.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secscan.util.proc import which

pytestmark = pytest.mark.integration

APP = "import subprocess\n\n\ndef ls(d):\n    return subprocess.run(['ls', '--', d], check=False)\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def bandit() -> Path:
    found = which("bandit")
    assert found is not None
    return Path(os.path.realpath(found))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "files.py").write_text(APP)
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    return root


@pytest.fixture
def lock(tmp_path: Path, run_cli: Callable[..., Any], bandit: Path) -> Path:
    """A lock of the real bandit, written outside the scanned tree."""
    path = tmp_path / "trusted" / "tools.lock"
    path.parent.mkdir()
    made = run_cli("tools", "lock", "--scanner", "bandit", "-o", str(path))
    assert made.code == 0, made.err
    assert f"wrote {path}: in force for `secscan scan PATH --tools-lock {path}`" in made.err
    assert json.loads(path.read_text())["tools"]["bandit"]["sha256"] == sha256(bandit)
    return path


def modified_copy(bandit: Path, folder: Path, extra: bytes = b"\n") -> Path:
    """The real bandit script with `extra` appended (one byte by default): still runs."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "bandit"
    shutil.copy2(bandit, copy)
    with copy.open("ab") as fh:
        fh.write(extra)
    return copy


def results(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "secscan-results.json").read_text())
    return data


def test_doctor_shows_each_tools_path_version_digest_and_distribution(
    bandit: Path,
    lock: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = run_cli("doctor", str(tmp_path))
    assert shown.code == 0, shown.out + shown.err
    lines = shown.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("bandit "))
    version = subprocess.run([str(bandit), "--version"], capture_output=True, text=True)
    assert lines[at].split()[2:4] == ["ok", version.stdout.split()[1]]
    assert lines[at + 1].strip() == str(bandit)
    assert lines[at + 2].strip() == f"sha256 {sha256(bandit)}"
    assert lines[at + 3].strip().startswith("installed by bandit ")
    assert "file matches its RECORD; RECORD sha256 " in lines[at + 3]
    # With a lock in force (SECSCAN_TOOLS_LOCK) a modified copy is named, not started.
    copy = modified_copy(bandit, tmp_path / "evil")
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(copy))
    monkeypatch.setenv("SECSCAN_TOOLS_LOCK", str(lock))
    checked = run_cli("doctor", str(tmp_path))
    assert checked.code == 3, checked.out + checked.err
    row = next(line for line in checked.out.splitlines() if line.startswith("bandit "))
    assert "MISSING" not in row and "DIFFERS" in row
    assert f"expected sha256 {sha256(bandit)}, found sha256 {sha256(copy)}" in row
    assert f"tools lock: {lock}" in checked.out


def test_a_modified_tool_behind_the_override_is_a_scanner_error_naming_both_digests(
    project: Path,
    lock: Path,
    bandit: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = modified_copy(bandit, tmp_path / "evil")
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(copy))
    out = tmp_path / "out"
    ran = run_cli("scan", str(project), "--tools-lock", str(lock), "--output-dir", str(out))
    assert ran.code == 3, ran.out + ran.err
    (run,) = results(out)["result"]["runs"]
    assert run["status"] == "error"
    assert f"expected sha256 {sha256(bandit)}" in run["error"]
    assert f"found sha256 {sha256(copy)}" in run["error"]
    assert sha256(bandit) != sha256(copy)
    assert run["tool"]["sha256"] == sha256(copy) and run["tool"]["path"] == str(copy)
    # Without the lock the same copy runs (it is a working bandit): the lock made the error.
    monkeypatch.delenv("SECSCAN_TOOLS_LOCK", raising=False)
    plain = run_cli("scan", str(project), "--output-dir", str(tmp_path / "o2"), "--no-cache")
    assert plain.code in (0, 1), plain.out + plain.err
    assert results(tmp_path / "o2")["result"]["runs"][0]["status"] == "ok"


def test_a_modified_tool_first_on_path_is_caught_too(
    project: Path,
    lock: Path,
    bandit: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # which() prefers the tool beside python, so PATH decides only when that one is gone:
    # a copy of the interpreter's folder without bandit makes PATH's copy the one found.
    copy = modified_copy(bandit, tmp_path / "path-bin")
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-python-here" / "python"))
    monkeypatch.setenv("PATH", f"{copy.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SECSCAN_TOOLS_LOCK", str(lock))
    out = tmp_path / "out"
    ran = run_cli("scan", str(project), "--output-dir", str(out))
    assert ran.code == 3, ran.out + ran.err
    (run,) = results(out)["result"]["runs"]
    assert sha256(bandit) in run["error"] and sha256(copy) in run["error"]


@pytest.mark.parametrize("profile", ["ci", "release", "precommit", "audit"])
def test_a_mismatched_lock_is_exit_3_under_every_profile(
    project: Path,
    lock: Path,
    bandit: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    profile: str,
) -> None:
    # `precommit` tolerates a failing scanner (scanner_error: warn), never an unverified one.
    copy = modified_copy(bandit, tmp_path / "evil")
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(copy))
    out = tmp_path / "out"
    ran = run_cli(
        "scan",
        str(project),
        "--profile",
        profile,
        "--tools-lock",
        str(lock),
        "--output-dir",
        str(out),
        "--no-cache",
    )
    assert ran.code == 3, ran.out + ran.err
    saved = results(out)
    (run,) = saved["result"]["runs"]
    assert run["lock_mismatch"] is True and sha256(copy) in run["error"]
    assert saved["decision"]["tolerated_errors"] == []
    assert any(r["rule"] == "scanner-error" for r in saved["decision"]["reasons"])
    # Re-judged from the saved file under the tolerant profile, it still fails.
    again = run_cli("gate", "--from", str(out / "secscan-results.json"), "--profile", profile)
    assert again.code == 3, again.out + again.err


def test_the_pre_commit_hook_is_held_to_the_lock(
    project: Path,
    lock: Path,
    bandit: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("SECSCAN_TOOLS_LOCK", str(lock))
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(modified_copy(bandit, tmp_path / "evil")))
    ran = run_cli("hook", "--kind", "code", "app/files.py", "--no-cache")
    assert ran.code == 3, ran.out + ran.err
    assert "does not match the tools lock" in ran.out + ran.err
    # A tool that is merely missing on the laptop still only warns there (no lock involved).
    monkeypatch.delenv("SECSCAN_TOOLS_LOCK")
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(tmp_path / "no-such-bandit"))
    missing = run_cli("hook", "--kind", "code", "app/files.py", "--no-cache")
    assert missing.code == 0, missing.out + missing.err


def test_the_unverified_tool_is_never_started(
    project: Path,
    lock: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    fake_tool: Callable[[str, str], Path],
) -> None:
    marker = tmp_path / "it-ran"
    fake_tool("bandit", f"touch {marker}\necho 1.9.4")
    ran = run_cli("scan", str(project), "--tools-lock", str(lock), "--no-cache", "-q")
    assert ran.code == 3
    assert not marker.exists()  # not even asked its version


def test_a_matching_lock_passes_and_every_run_records_its_tool(
    project: Path, lock: Path, bandit: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    ran = run_cli("scan", str(project), "--tools-lock", str(lock), "--output-dir", str(out))
    assert ran.code in (0, 1), ran.out + ran.err
    (run,) = results(out)["result"]["runs"]
    assert run["status"] == "ok"
    tool = run["tool"]
    assert tool["sha256"] == sha256(bandit) and tool["path"] == str(bandit)
    assert tool["distribution"] == "bandit" and tool["record_matches"] is True
    assert len(tool["record_sha256"]) == 64
    # The results, the terminal, the compliance HTML and the attestation name the lock.
    held = f"{lock} (sha256 {sha256(lock)}): 1 tool(s) pinned"
    assert dict(results(out)["result"]["metadata"])["tools.lock"] == held
    assert f"tools lock: {held}" in ran.out
    html = out / "compliance.html"
    saved = str(out / "secscan-results.json")
    run_cli("compliance", "--from", saved, "--framework", "iso27001-2022", "-o", str(html))
    assert f"checked against the tools lock <code>{held}</code>" in html.read_text()
    key = tmp_path / "signer.pem"
    assert run_cli("attest", "keygen", str(key)).code == 0
    assert run_cli("attest", saved, "--key", str(key)).code == 0
    envelope = json.loads((out / "secscan-attestation.intoto.json").read_text())
    predicate = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
    assert predicate["toolsLock"] == held


def test_a_swapped_binary_never_gets_a_cached_result(
    project: Path, bandit: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: Any
) -> None:
    first = run_cli("scan", str(project), "--output-dir", str(tmp_path / "a"))
    assert first.code in (0, 1)
    again = run_cli("scan", str(project), "--output-dir", str(tmp_path / "b"))
    assert results(tmp_path / "b")["result"]["runs"][0]["cached"] is True, again.err
    copy = modified_copy(bandit, tmp_path / "evil")
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(copy))
    run_cli("scan", str(project), "--output-dir", str(tmp_path / "c"))
    (run,) = results(tmp_path / "c")["result"]["runs"]
    assert run["cached"] is False and run["tool"]["sha256"] == sha256(copy)


def test_audit_without_a_lock_fails_with_the_reason(
    project: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECSCAN_TOOLS_LOCK", raising=False)
    ran = run_cli("scan", str(project), "--profile", "audit", "--no-cache", "-q")
    assert ran.code == 2
    assert "requires a tools lock (tools_lock: required)" in ran.err
    assert "no lock named (--tools-lock or SECSCAN_TOOLS_LOCK)" in ran.err


def test_audit_refuses_a_lock_from_the_scanned_tree(
    project: Path, lock: Path, run_cli: Callable[..., Any]
) -> None:
    inside = project / ".secscan-tools.lock"
    shutil.copy(lock, inside)
    ran = run_cli("scan", str(project), "--profile", "audit", "--no-cache", "-q")
    assert ran.code == 2
    assert "inside the scanned tree" in ran.err
    ok = run_cli("scan", str(project), "--profile", "audit", "--tools-lock", str(lock), "-q")
    assert ok.code != 2, ok.err
    # A link in the tree to a lock outside it is still the tree's choice.
    inside.unlink()
    inside.symlink_to(lock)
    linked = run_cli("scan", str(project), "--profile", "audit", "--no-cache", "-q")
    assert linked.code == 2 and "inside the scanned tree" in linked.err


#: Every report that carries the gate's warnings (docs/security.md: terminal, JSON, SARIF
#: gateWarnings, HTML, Markdown, JUnit, GitLab's scan messages; and the compliance HTML).
WARNED_IN = ("json", "sarif", "html", "markdown", "junit", "gitlab-sast")


@pytest.mark.parametrize("profile", ["release", "precommit"])
def test_release_and_precommit_warn_of_a_missing_lock_in_every_report(
    project: Path, tmp_path: Path, run_cli: Callable[..., Any], profile: str
) -> None:
    out = tmp_path / "out"
    formats = [a for f in WARNED_IN for a in ("--format", f)]
    ran = run_cli("scan", str(project), "--profile", profile, "--output-dir", str(out), *formats)
    # Only a warning: the scan runs and is judged as without the lock setting.
    assert ran.code in (0, 1), ran.err
    said = "no tools lock in force (no lock named (--tools-lock or SECSCAN_TOOLS_LOCK)"
    warnings = results(out)["decision"]["warnings"]
    assert any(w.startswith(said) and f"profile {profile!r}" in w for w in warnings), warnings
    assert not any(r["rule"] == "scanner-error" for r in results(out)["decision"]["reasons"])
    assert results(out)["result"]["runs"][0]["status"] == "ok"
    assert said in ran.out  # the terminal
    sarif = json.loads((out / "secscan.sarif").read_text())
    assert any(said in w for w in sarif["runs"][0]["properties"]["gateWarnings"])
    gitlab = json.loads((out / "gl-sast-report.json").read_text())
    assert any(
        m["level"] == "warn" and m["value"].startswith(said) for m in gitlab["scan"]["messages"]
    )
    for name in ("secscan-summary.md", "secscan-junit.xml", "secscan-report.html"):
        text = (out / name).read_text()
        assert "no tools lock in force" in text, name  # (Markdown escapes the rest)
    compliance = tmp_path / "compliance.html"
    written = run_cli(
        "compliance",
        "--from",
        str(out / "secscan-results.json"),
        "--framework",
        "iso27001-2022",
        "-o",
        str(compliance),
    )
    assert written.code == 0, written.err
    assert "no tools lock in force" in compliance.read_text()


def test_ci_profile_says_nothing_of_a_missing_lock(
    project: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    ran = run_cli("scan", str(project), "--output-dir", str(out))
    assert not any("tools lock" in w for w in results(out)["decision"]["warnings"])
    assert "tools.lock" not in dict(results(out)["result"]["metadata"])
    assert "tools lock:" not in ran.out
    html = out / "compliance.html"
    saved = str(out / "secscan-results.json")
    run_cli("compliance", "--from", saved, "--framework", "iso27001-2022", "-o", str(html))
    assert "No tools lock was in force" in html.read_text()


@pytest.mark.parametrize("named", [False, True])
def test_a_lock_in_the_tree_that_is_not_in_force_is_said_under_every_profile(
    project: Path, lock: Path, tmp_path: Path, run_cli: Callable[..., Any], named: bool
) -> None:
    # `tools lock` writes .secscan-tools.lock in the current directory: run in the project,
    # a plain `scan .` cannot trust it, and profile `ci` (tools_lock: off) must say so.
    shutil.copy(lock, project / ".secscan-tools.lock")
    out = tmp_path / "out"
    extra = ["--tools-lock", str(project / ".secscan-tools.lock")] if named else []
    ran = run_cli("scan", str(project), "--output-dir", str(out), "--no-cache", *extra)
    assert ran.code in (0, 1), ran.out + ran.err
    said = "tools lock not in force ("
    warnings = [w for w in results(out)["decision"]["warnings"] if w.startswith(said)]
    assert len(warnings) == 1 and "inside the scanned tree" in warnings[0], warnings
    assert said in ran.out
    assert "tools.lock" not in dict(results(out)["result"]["metadata"])


# --- under `ci --new-since`, the lock is the merge base's --------------------------------


@pytest.fixture
def repo(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.email", "dev@example.com")
    git(project, "config", "user.name", "Dev")
    monkeypatch.chdir(project)
    monkeypatch.delenv("SECSCAN_TOOLS_LOCK", raising=False)
    return project


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def ci(run_cli: Callable[..., Any], out: Path, *extra: str) -> Any:
    return run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache", *extra)


def test_a_pull_request_cannot_edit_the_lock_it_is_held_to(
    repo: Path,
    lock: Path,
    bandit: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copy(lock, repo / ".secscan-tools.lock")
    commit(repo, "base: the real bandit pinned")
    git(repo, "checkout", "-q", "-b", "pr")
    copy = modified_copy(bandit, tmp_path / "evil")
    pinned = json.loads(lock.read_text())
    pinned["tools"]["bandit"]["sha256"] = sha256(copy)  # the PR pins its own binary
    (repo / ".secscan-tools.lock").write_text(json.dumps(pinned))
    (repo / "app" / "more.py").write_text("X = 1\n")
    commit(repo, "pr: re-pin bandit")
    monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(copy))
    out = tmp_path / "out"
    ran = ci(run_cli, out)
    assert ran.code == 3, ran.out + ran.err
    errors = [r["error"] for r in results(out)["result"]["runs"] if r["status"] == "error"]
    assert errors and all(f"expected sha256 {sha256(bandit)}" in e for e in errors), errors
    assert all("at merge base" in e for e in errors)
    # The same pull request with the real bandit passes the base's lock.
    monkeypatch.delenv("SECSCAN_TOOL_BANDIT")
    assert ci(run_cli, tmp_path / "out2").code in (0, 1)


def test_a_lock_the_pull_request_adds_is_not_in_force(
    repo: Path,
    lock: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
) -> None:
    commit(repo, "base: no lock")
    git(repo, "checkout", "-q", "-b", "pr")
    shutil.copy(lock, repo / ".secscan-tools.lock")
    commit(repo, "pr: adds a lock")
    out = tmp_path / "out"
    # `release` warns of the missing lock: the PR's own lock does not count.
    ran = ci(run_cli, out, "--profile", "release", "--tools-lock", ".secscan-tools.lock")
    assert ran.code in (0, 1), ran.out + ran.err
    warnings = results(out)["decision"]["warnings"]
    assert any("is not in the merge base" in w for w in warnings), warnings
    # `audit` requires one: the PR's lock cannot satisfy it.
    refused = ci(run_cli, tmp_path / "o2", "--profile", "audit")
    assert refused.code == 2 and "is not in the merge base" in refused.err
