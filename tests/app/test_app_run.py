"""app/: the settings resolved once, the merge base computed once, one Run for every command."""

from __future__ import annotations

import subprocess
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secscan.app.incremental import change_since
from secscan.app.run import Output, Run, Scanned
from secscan.app.settings import Options, for_saved, for_tree, registry
from secscan.errors import UsageError
from secscan.model.findings import RunStatus, ScannerRun, ScanResult
from secscan.model.results import RESULTS_FILE, load

#: The bundled example's saved scan (reports/samples): real findings, one of them failing ci.
SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "samples" / RESULTS_FILE
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def rich_result() -> ScanResult:
    return load(SAMPLE).result


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / ".secscan.yaml").write_text("profile: release\n", encoding="utf-8")
    return root


def test_settings_are_resolved_once_into_a_frozen_value(tree: Path) -> None:
    settings = for_tree(tree, Options(), registry())
    assert settings.root == tree.resolve()
    assert settings.inputs.profile.name == "release"  # from the tree's config
    with pytest.raises(FrozenInstanceError):
        settings.root = Path("/")  # type: ignore[misc]


def test_a_tree_setting_that_weakens_the_gate_is_warned_of_before_the_judgement(
    tree: Path,
) -> None:
    (tree / ".secscan.yaml").write_text("fail_on: critical\n", encoding="utf-8")
    settings = for_tree(tree, Options(), registry())
    assert any("fail_on" in w for w in settings.warnings)
    quiet = for_tree(tree, Options(), registry(), warn=False)  # the hook: no trusted base
    assert quiet.warnings == ()


def test_the_judgement_puts_the_settings_warnings_first_and_the_scans_last(tree: Path) -> None:
    settings = replace(for_tree(tree, Options(), registry()), warnings=("from the settings",))
    run = Run(settings, clock=lambda: NOW)
    result = replace(rich_result(), root=str(tree))
    saved = run.judge(Scanned(result, settings.inputs, ("from the scan",)))
    assert saved.decision is not None
    warnings = saved.decision.warnings
    assert warnings[0] == "from the settings" and warnings[-1] == "from the scan"
    assert len(warnings) >= 2


def test_gate_from_judges_saved_results_with_the_command_line_only(
    tree: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A results file's recorded profile is not used: the command line's (or ci) is."""
    monkeypatch.chdir(tree)  # a tree whose config says release: not read for saved results
    settings = for_saved(None, Options(), registry())
    assert settings.inputs.profile.name == "ci"
    out = tmp_path / "rejudged.json"
    outcome = Run(settings, output=Output(results_file=out), clock=lambda: NOW).finish(
        Scanned(rich_result(), settings.inputs)
    )
    assert out.is_file() and outcome.written == (str(out),)
    assert outcome.decision.profile == "ci"
    assert int(outcome.exit_code) == 1  # the rich result fails the ci gate


def test_a_run_with_every_scanner_skipped_checked_nothing(tree: Path) -> None:
    settings = for_tree(tree, Options(), registry())
    skipped = ScannerRun(
        scanner="bandit",
        kind=rich_result().runs[0].kind,
        status=RunStatus.SKIPPED,
        error="nothing to scan",
    )
    empty = replace(rich_result(), runs=(skipped,), not_analyzed=())
    assert Scanned(empty, settings.inputs).nothing_checked
    assert not Scanned(rich_result(), settings.inputs).nothing_checked


def test_the_merge_base_is_computed_once_and_exported_for_the_run(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    (root / "sub" / "a.py").write_text("x = 1\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    base = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "-b", "feature")
    (root / "sub" / "a.py").write_text("x = 2\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "change")

    with change_since(root / "sub", "main") as change:
        assert change.base == base and change.top == root.resolve()
        assert change.sub == Path("sub")
        exported = change.tree / change.sub / "a.py"
        assert exported.read_text(encoding="utf-8") == "x = 1\n"
    assert not exported.exists()  # the export lives as long as the run


def test_new_since_outside_a_git_work_tree_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs a git work tree"), change_since(tmp_path, "main"):
        pass
