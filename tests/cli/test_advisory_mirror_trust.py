"""An advisory mirror in the tree under review is the pull request's to write: it may not
decide the gate. Real git, real pip-audit against a local OSV mirror with a KEV catalog.

The merge base commits a mirror in which aiohttp 3.8.6 has two medium advisories, one of
them (by its alias) in the KEV catalog, so `release` fails on a new aiohttp pin. The pull
request adds that pin and deletes the KEV catalog (or points the exploit data elsewhere)
to pass. Under `ci --new-since` the merge base's committed copy is read wherever the mirror
is named from; with no base to read, a trusted input naming a mirror in the tree is refused.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secscan.policy.risk import KEV_RULE

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data"
BASE_CONFIG = "version: 1\nscanners: [pip-audit]\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def make_mirror(db: Path, run_cli: Callable[..., Any]) -> None:
    """aiohttp's two advisories, EPSS scores and the KEV fixture listing one of them."""
    (db / "PyPI").mkdir(parents=True)
    for rid in ("PYSEC-2023-250", "PYSEC-2023-251"):
        shutil.copy(DATA / "osv" / "PyPI" / f"{rid}.json", db / "PyPI")
    for name in ("epss_scores-excerpt.csv", "kev-fixture-aiohttp.json"):
        src = DATA / "exploits" / name
        assert run_cli("advisories", "import", str(src), "--db", str(db)).code == 0


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]) -> Path:
    """main: an app without dependencies and a committed mirror at osv/; `pr` checked out."""
    path = tmp_path / "work" / "shop"
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / ".secscan.yaml").write_text(BASE_CONFIG + "advisories:\n  db: osv\n")
    (path / "app.py").write_text("print('shop')\n")
    make_mirror(path / "osv", run_cli)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    git(path, "checkout", "-q", "-b", "pr")
    monkeypatch.chdir(path)
    return path


def trusted_config(tmp_path: Path, db: Path | str) -> Path:
    """The CI job's own config, outside the tree (trusted), naming the mirror."""
    cfg = tmp_path / "ci" / "secscan.yaml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(BASE_CONFIG + f"advisories:\n  db: {db}\n")
    return cfg


def hostile_pr(repo: Path, how: str, tmp_path: Path) -> None:
    """The pull request pins aiohttp 3.8.6 and takes the KEV entry away."""
    (repo / "requirements.txt").write_text("aiohttp==3.8.6\n")
    exploits = repo / "osv" / ".exploits"
    if how == "delete":
        (exploits / "kev.json").unlink()
    else:  # a link out: the exploit data of a lenient mirror outside the tree
        lenient = tmp_path / "lenient"
        lenient.mkdir()
        shutil.copy(exploits / "epss.csv.gz", lenient)
        shutil.rmtree(exploits)
        exploits.symlink_to(lenient, target_is_directory=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")


def ci(run_cli: Callable[..., Any], out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    res = run_cli("ci", "--new-since", "main", "--profile", "release", "--output-dir", str(out),
                  "--no-cache", "-q", *extra)  # fmt: skip
    path = out / "secscan-results.json"
    return res.code, (json.loads(path.read_text()) if path.exists() else {}), res.err


#: id -> how the trusted mirror is named (None: the base's committed config), the PR's change
NAMED: dict[str, tuple[str | None, str]] = {
    "tree-config-kev-deleted": (None, "delete"),
    "tree-config-exploits-linked-out": (None, "link-out"),
    "outside-config-absolute-path-kev-deleted": ("absolute", "delete"),
    "outside-config-absolute-path-exploits-linked-out": ("absolute", "link-out"),
    "outside-config-link-into-the-tree-kev-deleted": ("link-in", "delete"),
}


@pytest.mark.parametrize("case", sorted(NAMED))
def test_a_pr_that_edits_an_in_tree_mirror_is_judged_with_the_base_copy(
    case: str, repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    named, how = NAMED[case]
    extra: tuple[str, ...] = ()
    if named == "absolute":
        extra = ("--config", str(trusted_config(tmp_path, repo / "osv")))
    elif named == "link-in":  # the job's path leads to the checkout through a linked folder
        link = tmp_path / "checkout"
        link.symlink_to(repo, target_is_directory=True)
        extra = ("--config", str(trusted_config(tmp_path, link / "osv")))
    hostile_pr(repo, how, tmp_path)
    code, data, err = ci(run_cli, tmp_path / "out", *extra)
    assert code == 1, err
    reasons = {r["rule"]: r["message"] for r in data["decision"]["reasons"]}
    assert KEV_RULE in reasons and "CVE-2023-49081" in reasons[KEV_RULE]
    kev = [f for r in data["result"]["runs"] for f in r["findings"] if f.get("kev")]
    assert [f["rule_id"] for f in kev] == ["PYSEC-2023-250"]
    weakened = [f for r in data["result"]["runs"] for f in r["findings"] if f["kind"] == "policy"]
    assert [f["rule_id"] for f in weakened] == ["weakened-setting:advisories.db"]  # named, too
    assert "records or exploit data changed" in weakened[0]["message"]


def test_the_same_pr_without_the_edit_fails_the_same_and_names_no_weakening(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """Control: the base copy is the mirror's committed content, not a stricter stand-in."""
    (repo / "requirements.txt").write_text("aiohttp==3.8.6\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
    cfg = trusted_config(tmp_path, repo / "osv")
    code, data, err = ci(run_cli, tmp_path / "out", "--config", str(cfg))
    assert code == 1, err
    assert [r["rule"] for r in data["decision"]["reasons"]] == [KEV_RULE]
    assert not [f for r in data["result"]["runs"] for f in r["findings"] if f["kind"] == "policy"]


def test_a_trusted_config_naming_a_mirror_the_base_does_not_have_exits_2(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (repo / "requirements.txt").write_text("aiohttp==3.8.6\n")
    (repo / "new-osv" / "PyPI").mkdir(parents=True)
    (repo / "new-osv" / "PyPI" / "empty.json").write_text("[]\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
    cfg = trusted_config(tmp_path, repo / "new-osv")
    code, data, err = ci(run_cli, tmp_path / "out", "--config", str(cfg))
    assert code == 2
    assert str(repo / "new-osv") in err and "no committed copy" in err and not data


#: id -> (how the mirror is named: flag or trusted config, where it is)
REFUSED = ["flag-in-tree", "flag-link-into-tree", "flag-in-tree-link-out", "config-in-tree",
           "flag-outside-exploits-linked-into-tree"]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED)
def test_with_no_base_a_trusted_mirror_in_the_tree_exits_2_naming_it(
    case: str, repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (repo / "requirements.txt").write_text("aiohttp==3.8.6\n")
    outside = tmp_path / "mirror"
    shutil.copytree(repo / "osv", outside)
    if case == "flag-in-tree":
        named = repo / "osv"
    elif case == "flag-link-into-tree":
        (tmp_path / "link").symlink_to(repo, target_is_directory=True)
        named = tmp_path / "link" / "osv"
    elif case == "flag-in-tree-link-out":  # as named in the tree: the tree chose where it leads
        named = repo / "osv-out"
        named.symlink_to(outside, target_is_directory=True)
    elif case == "flag-outside-exploits-linked-into-tree":
        named = outside
        shutil.rmtree(outside / ".exploits")
        (outside / ".exploits").symlink_to(repo / "osv" / ".exploits", target_is_directory=True)
    else:
        named = repo / "osv"
    out = tmp_path / "out"
    if case.startswith("config"):
        cfg = trusted_config(tmp_path, named)
        res = run_cli("ci", str(repo), "--config", str(cfg), "--output-dir", str(out), "-q")
    else:
        res = run_cli("scan", str(repo), "--scanner", "pip-audit", "--advisory-db", str(named),
                      "--output-dir", str(out), "--no-cache", "-q")  # fmt: skip
    assert res.code == 2, res.err
    assert str(named) in res.err and "refused" in res.err
    assert not out.exists()


def test_with_no_base_a_trusted_mirror_outside_the_tree_is_used(
    repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (repo / "requirements.txt").write_text("aiohttp==3.8.6\n")
    outside = tmp_path / "mirror"
    shutil.copytree(repo / "osv", outside)
    res = run_cli("scan", str(repo), "--scanner", "pip-audit", "--advisory-db", str(outside),
                  "--profile", "release", "--output-dir", str(tmp_path / "out"), "--no-cache",
                  "-q")  # fmt: skip
    assert res.code == 1, res.err
