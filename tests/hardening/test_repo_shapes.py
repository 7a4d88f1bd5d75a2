"""Repositories that give the scanners little or nothing, runs that collide, tools that flood.

A gate that passes an empty tree, or a tree none of its scanners can read, as if everything
had been checked is worse than no gate: every profile's answer is asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secscan.model import results
from secscan.model.decision import ControlState
from secscan.util import proc as _subprocess

PROFILES = ("precommit", "ci", "release", "audit")


def _saved(out: Path) -> results.SavedResults:
    return results.loads((out / "secscan-results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("profile", PROFILES)
def test_empty_repository_fails_every_profile(tmp_path: Path, run_cli, profile: str) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    out = tmp_path / "out"
    # `audit` requires a tools lock; nothing runs here, so one pinning no scanner of the tree.
    lock = tmp_path / "tools.lock"
    lock.write_text(
        '{"schema": "secscan-tools-lock", "schema_version": 1, "tools": {"x": {"sha256": "'
        + "0" * 64
        + '"}}}'
    )
    res = run_cli(
        "scan", str(root), "--profile", profile, "--output-dir", str(out), "--tools-lock", str(lock)
    )
    assert res.code == 1, res.err
    assert f"gate FAILED (profile {profile})" in res.out
    assert "nothing-scanned: no scanner assessed anything: nothing was checked" in res.out
    saved = _saved(out)
    assert saved.decision is not None and not saved.decision.passed
    assert {r.status.value for r in saved.result.runs} == {"skipped"}
    # Nothing ran, so nothing can be shown as compliant.
    assert {c.state for c in saved.decision.controls} == {ControlState.NOT_ASSESSED}


@pytest.fixture(scope="module")
def docs_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, str]:
    """A tree of text files only: just the secrets scanner (real trivy) has anything to read."""
    from secscan.cli import main

    base = tmp_path_factory.mktemp("docs-only")
    root, out = base / "repo", base / "out"
    (root / "docs").mkdir(parents=True)
    (root / "README.md").write_text("# Handbook\n\nNothing executable here.\n")
    (root / "docs" / "notes.txt").write_text("meeting notes\n")
    (root / "LICENSE").write_text("Apache-2.0\n")
    code = main(["scan", str(root), "--profile", "ci", "--output-dir", str(out), "-q"])
    return root, out, code, (out / "secscan-results.json").read_text(encoding="utf-8")


@pytest.mark.integration
def test_no_supported_files_leaves_controls_not_assessed(docs_only) -> None:  # type: ignore[no-untyped-def]
    _, out, code, _ = docs_only
    assert code == 0  # ci passes, with a warning: see the per-profile test below
    saved = _saved(out)
    assert saved.decision is not None
    runs = {r.scanner: r.status.value for r in saved.result.runs}
    assert runs.pop("secrets") == "ok"
    assert set(runs.values()) == {"skipped"}
    states = {c.state for c in saved.decision.controls}
    assert ControlState.NOT_ASSESSED in states and ControlState.FAIL not in states
    for c in saved.decision.controls:
        # A control passes only where a scanner that can evidence it really ran.
        if c.state is ControlState.PASS:
            assert c.scanners == ("secrets",), c.control_id
        else:
            assert c.state is ControlState.NOT_ASSESSED and not c.scanners, c.control_id
    code_controls = [c for c in saved.decision.controls if c.control_id == "A.8.28"]
    assert code_controls and code_controls[0].state is ControlState.NOT_ASSESSED
    assert any("not assessed" in w for w in saved.decision.warnings)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("profile", "code", "says"),
    [
        ("precommit", 0, "gate PASSED"),  # not_assessed: ignore (CI judges again with `ci`)
        ("ci", 0, "control(s) not assessed"),  # warns
        ("release", 0, "control(s) not assessed"),  # warns
        ("audit", 1, "not-assessed: "),  # an auditor never reads "not assessed" as compliant
    ],
)
def test_no_supported_files_per_profile(
    docs_only, run_cli, profile: str, code: int, says: str
) -> None:  # type: ignore[no-untyped-def]
    _, out, _, _ = docs_only
    res = run_cli("gate", "--from", str(out / "secscan-results.json"), "--profile", profile)
    assert res.code == code, res.out
    assert says in res.out


@pytest.mark.integration
def test_no_supported_files_reports_say_not_assessed(docs_only, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, out, _, _ = docs_only
    res = run_cli(
        "report",
        "--from",
        str(out / "secscan-results.json"),
        "--output-dir",
        str(tmp_path),
        "--format",
        "markdown",
        "--format",
        "junit",
    )
    assert res.code == 0, res.err
    summary = (tmp_path / "secscan-summary.md").read_text()
    assert "**Not assessed**" in summary and "A.8.28" in summary
    junit = (tmp_path / "secscan-junit.xml").read_text()
    assert "<skipped" in junit and "not assessed" in junit.lower()


# --- two secscan runs at once on one tree ----------------------------------------------------

RUN = """
import sys
from secscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.integration
def test_two_runs_at_once_on_one_tree_both_complete(tmp_path: Path) -> None:
    """Same tree, same output directory, same result cache: no torn file, no lost finding."""
    root = tmp_path / "repo"
    root.mkdir()
    for i in range(12):
        (root / f"m{i}.py").write_text(f"import subprocess\nsubprocess.call(c{i}, shell=True)\n")
    (root / "settings.txt").write_text("ghp_" + "Zq7Wm2Xc9Rt4Yb6Nd8Pf1Gh3Jk5Lm0Sv2Tw4Q" + "\n")
    out = tmp_path / "out"
    env = {**os.environ, "SECSCAN_CACHE_DIR": str(tmp_path / "shared-cache")}
    argv = [
        sys.executable,
        "-c",
        RUN,
        "scan",
        str(root),
        "--scanner",
        "bandit",
        "--scanner",
        "secrets",
        "--output-dir",
        str(out),
        "--format",
        "sarif",
        "--format",
        "html",
        "-q",
    ]
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    done = [p.communicate(timeout=300) for p in procs]
    for p, (stdout, stderr) in zip(procs, done, strict=True):
        assert p.returncode == 1, stderr  # the planted flaws fail the gate; nothing crashed
        assert stdout.strip() == "gate FAILED"
    saved = _saved(out)  # whole and valid: one of the two runs' file, never a mix
    assert {r.status.value for r in saved.result.runs} == {"ok"}
    assert len([f for f in saved.result.findings if f.rule_id == "B602"]) == 12
    assert [f.rule_id for f in saved.result.findings if f.kind.value == "secret"] == ["github-pat"]
    json.loads((out / "secscan.sarif").read_text(encoding="utf-8"))
    assert (out / "secscan-report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert sorted(p.name for p in out.iterdir()) == [
        "secscan-report.html",
        "secscan-results.json",
        "secscan.sarif",
    ]  # no temporary file left behind


# --- a tool that prints a huge output --------------------------------------------------------

VERSION = 'if [ "$1" = "--version" ]; then echo "bandit 9.9.9"; exit 0; fi\n'


@pytest.fixture
def small_output_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """The real limit is 512 MiB; the same code path, with 1 MiB, runs in a second."""
    limit = 1024 * 1024
    defaults = dict(_subprocess.run.__kwdefaults__ or {})
    monkeypatch.setattr(_subprocess.run, "__kwdefaults__", {**defaults, "max_output": limit})
    return limit


def _one_file_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text("print('hi')\n")
    return root


def test_tool_printing_past_the_limit_is_a_scanner_error(
    tmp_path: Path, run_cli, fake_tool, small_output_limit: int
) -> None:
    fake_tool("bandit", VERSION + "yes '{\"results\": []}' | head -c 3000000; exit 0")
    out = tmp_path / "out"
    res = run_cli(
        "scan", str(_one_file_tree(tmp_path)), "--scanner", "bandit", "--output-dir", str(out)
    )
    assert res.code == 3, res.out
    (run,) = _saved(out).result.runs
    assert run.status.value == "error" and run.findings == ()
    assert f"printed 3000000 bytes, more than the {small_output_limit} secscan reads" in (
        run.error or ""
    )


def test_huge_output_under_the_limit_is_read_whole(tmp_path: Path, run_cli, fake_tool) -> None:
    """5,000 results (2 MB of JSON) from one tool: every one reaches the results file."""
    root = _one_file_tree(tmp_path)
    result = {
        "filename": str(root / "app.py"),
        "test_id": "B602",
        "test_name": "shell",
        "issue_text": "x" * 300,
        "issue_severity": "HIGH",
        "issue_confidence": "HIGH",
        "issue_cwe": {"id": 78, "link": ""},
        "col_offset": 0,
        "more_info": "",
    }
    doc = {
        "results": [{**result, "line_number": i, "line_range": [i]} for i in range(1, 5_001)],
        # a tool must say it read the file it was handed (issue 12 item 5)
        "metrics": {str(root / "app.py"): {"loc": 5_000}},
    }
    (tmp_path / "big.json").write_text(json.dumps(doc))
    fake_tool("bandit", VERSION + f"cat '{tmp_path / 'big.json'}'; exit 1")
    out = tmp_path / "out"
    res = run_cli(
        "scan", str(root), "--scanner", "bandit", "--output-dir", str(out), "--no-cache", "-q"
    )
    assert res.code == 1 and res.out.strip() == "gate FAILED"
    assert len(_saved(out).result.findings) == 5_000
