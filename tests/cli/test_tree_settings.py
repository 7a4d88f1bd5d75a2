"""Settings from the scanned tree: listed when they weaken the gate, and never a way to write
elsewhere; results files are judged with the present command line only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secscan.app.settings import Options, for_tree, registry, tree_scanners

pytestmark = pytest.mark.integration

APP = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-shop"


def test_the_readme_example_warns_only_of_its_deliberate_tree_settings() -> None:
    """`secscan scan examples/vulnerable-shop` (the README's first command): the example's
    config runs every default scanner, so none shows up as a removed one (its mirror and
    waiver are in the tree on purpose, and say so)."""
    warnings = [w.split(": ", 1)[1] for w in for_tree(EXAMPLE, Options(), registry()).warnings]
    assert len(warnings) == 2, warnings
    assert warnings[0] == "advisory source changed: local OSV mirror from unset to advisory-db"
    assert warnings[1].startswith("1 waiver(s) added or extended: rule=B311, path=app/views.py")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "work" / "shop"
    root.mkdir(parents=True)
    (root / "app.py").write_text(APP)
    monkeypatch.chdir(root)
    return root


def decision(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "secscan-results.json").read_text())["decision"]
    return data


def test_scan_lists_every_weakening_tree_setting(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tree / ".secscan.yaml").write_text(
        "version: 1\nscanners: [bandit]\nfail_on: critical\nbandit:\n  skip: [B101]\n"
    )
    out = tmp_path / "out"
    ran = run_cli("scan", str(tree), "--output-dir", str(out), "--no-cache", "--format", "html")
    assert ran.code == 0, ran.out + ran.err  # the tree's settings still apply without a base
    warnings = [w for w in decision(out)["warnings"] if w.startswith("tree setting")]
    assert len(warnings) == 3, warnings
    assert "scanner(s) removed: semgrep" in warnings[0]
    assert "fail_on set to critical" in warnings[1]
    assert "bandit test(s) skipped: B101" in warnings[2]
    assert "fail_on set to critical" in ran.out
    assert "fail_on set to critical" in (out / "secscan-report.html").read_text()


def test_a_config_outside_the_tree_is_trusted(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("version: 1\nscanners: [bandit]\nfail_on: critical\n")
    out = tmp_path / "out"
    ran = run_cli("scan", str(tree), "--config", str(mine), "--output-dir", str(out))
    assert ran.code == 0, ran.out + ran.err
    assert not [w for w in decision(out)["warnings"] if w.startswith("tree setting")]


@pytest.mark.parametrize("command", ["scan", "ci"])
def test_a_committed_reports_symlink_is_refused(
    command: str, tree: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tree / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    (tree / "secscan-reports").symlink_to(elsewhere)
    ran = run_cli(command, str(tree), "--no-cache")
    assert ran.code == 2, ran.out + ran.err
    assert "symbolic link" in ran.err and "secscan-reports" in ran.err
    assert list(elsewhere.iterdir()) == []
    ran = run_cli(command, str(tree), "--output-dir", str(tree / "secscan-reports"))
    assert ran.code == 2 and list(elsewhere.iterdir()) == []


def test_a_tree_output_dir_outside_is_refused(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tree / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\noutput_dir: ../../x\n")
    ran = run_cli("scan", str(tree), "--no-cache")
    assert ran.code == 2, ran.out + ran.err
    assert "output_dir '../../x'" in ran.err and "outside" in ran.err
    assert not (tmp_path / "x").exists()
    # Inside the tree it is fine, and --output-dir from the command line is trusted.
    (tree / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\noutput_dir: r\n")
    assert run_cli("scan", str(tree), "--no-cache", "-q").code == 1
    assert (tree / "r" / "secscan-results.json").is_file()
    assert run_cli("scan", str(tree), "-q", "--output-dir", str(tmp_path / "x")).code == 1


def test_gate_from_never_uses_the_settings_recorded_in_the_file(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tree / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    out = tmp_path / "out"
    assert run_cli("scan", str(tree), "--output-dir", str(out), "-q").code == 1
    saved = out / "secscan-results.json"
    data = json.loads(saved.read_text())
    # A forged file: lenient profile, a policy dir and waivers of its own choosing.
    lenient = tmp_path / "forged-policy"
    (lenient / "gates").mkdir(parents=True)
    (lenient / "gates" / "ci.yaml").write_text(
        "version: 1\ndescription: all passes\ngate:\n  severity:\n    default: none\n"
    )
    data["decision"].update(
        profile="precommit",
        policy_dir=str(lenient),
        waivers_file=str(tmp_path / "gone.yaml"),
        fail_on_override="critical",
    )
    data["result"]["root"] = str(tmp_path / "nowhere")
    saved.write_text(json.dumps(data))

    again = tmp_path / "again.json"
    ran = run_cli("gate", "--from", str(saved), "--output", str(again))
    assert ran.code == 1, ran.out + ran.err  # judged by ci and the shipped library
    rejudged = json.loads(again.read_text())["decision"]
    assert (rejudged["profile"], rejudged["policy_dir"], rejudged["fail_on_override"]) == (
        "ci",
        None,
        None,
    )
    assert "profile precommit" in rejudged["warnings"][-1]
    assert str(lenient) in rejudged["warnings"][-1]
    assert "profile precommit" in ran.out
    # The command line still decides: its policy directory is used.
    ran = run_cli("gate", "--from", str(saved), "--policy", str(lenient), "-q")
    assert ran.code == 0, ran.out + ran.err


def test_report_and_compliance_never_write_through_a_link_or_into_git(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tree / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\n")
    out = tmp_path / "out"
    assert run_cli("scan", str(tree), "--output-dir", str(out), "-q").code == 1
    saved = str(out / "secscan-results.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tree / "secscan-reports").symlink_to(elsewhere)
    for argv in (["report", "--from", saved], ["compliance", "--from", saved]):
        ran = run_cli(*argv)
        assert ran.code == 2 and "symbolic link" in ran.err, ran.out + ran.err
    assert list(elsewhere.iterdir()) == []
    (tree / ".git").mkdir()
    (tree / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\noutput_dir: .git/x\n")
    ran = run_cli("scan", str(tree), "-q")
    assert ran.code == 2 and "inside a .git directory" in ran.err
    assert not (tree / ".git" / "x").exists()


def test_leaving_out_the_image_scanner_drops_nothing() -> None:
    # "all scanners" over a tree: the image scanner reads only an image named on the
    # command line, so a config without it is no weakening.
    names = tree_scanners(registry())
    assert "image" not in names
    assert {"bandit", "semgrep", "pip-audit", "iac", "secrets"} <= set(names)
