"""Files a config or a flag names are regular files, read without following a link, bounded.

Issue 22 item 7: `semgrep: {rules: [builtin, /dev/zero]}` read the device until the kernel
killed secscan at 23.7 GB, and a `.secscan.yaml` committed as a symbolic link to a file
outside the tree was followed and parsed. Each case here is a pull request (`secscan ci
--new-since main` in a real git repository) or a flag naming such a file: exit 2, the file
named, nothing read through it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secscan.model.redact import Redactor
from secscan.util import files as _files

pytestmark = pytest.mark.integration

BASE_CONFIG = "version: 1\nscanners: [bandit]\n"
APP = """\
import subprocess


def list_files(directory):
    return subprocess.run(["ls", "--", directory], capture_output=True, check=False).stdout
"""
#: A config that would let everything through, kept outside the tree.
LENIENT = "version: 1\nscanners: [secrets]\nfail_on: critical\n"
GATE = "version: 1\ndescription: lenient\ngate:\n  severity:\n    default: none\n"


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
    (path / "app" / "files.py").write_text(APP)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    git(path, "checkout", "-q", "-b", "pr")
    monkeypatch.chdir(path)
    return path


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")


def outside(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / "elsewhere" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def set_up(case: str, repo: Path, tmp_path: Path) -> tuple[str, str]:
    """Write the PR's change for `case`; return (the file the error names, why)."""
    cfg = repo / ".secscan.yaml"
    if case == "config-symlink":
        cfg.unlink()
        cfg.symlink_to(outside(tmp_path, "lenient.yaml", LENIENT))
        return ".secscan.yaml", "symbolic link"
    if case == "rules-dev-zero":
        cfg.write_text(
            "version: 1\nscanners: [bandit, semgrep]\nsemgrep:\n  rules: [builtin, /dev/zero]\n"
        )
        return "/dev/zero", "device"
    if case == "rules-symlink":
        (repo / "rules.yaml").symlink_to(outside(tmp_path, "r.yaml", "rules: []\n"))
        cfg.write_text(
            "version: 1\nscanners: [bandit, semgrep]\nsemgrep:\n  rules: [builtin, rules.yaml]\n"
        )
        return "rules.yaml", "symbolic link"
    if case == "rules-dir-symlink":
        (repo / "rules").mkdir()
        (repo / "rules" / "a.yaml").symlink_to("/etc/passwd")
        cfg.write_text(
            "version: 1\nscanners: [bandit, semgrep]\nsemgrep:\n  rules: [builtin, rules]\n"
        )
        return "rules/a.yaml", "symbolic link"
    if case == "policy-symlink":
        (repo / "pol" / "gates").mkdir(parents=True)
        (repo / "pol" / "gates" / "ci.yaml").symlink_to(outside(tmp_path, "ci.yaml", GATE))
        cfg.write_text(BASE_CONFIG + "policy: pol\n")
        return "pol/gates/ci.yaml", "symbolic link"
    if case == "policy-dir-symlink":
        (tmp_path / "elsewhere" / "pol" / "gates").mkdir(parents=True)
        (tmp_path / "elsewhere" / "pol" / "gates" / "ci.yaml").write_text(GATE)
        (repo / "pol").symlink_to(tmp_path / "elsewhere" / "pol")
        cfg.write_text(BASE_CONFIG + "policy: pol\n")
        return "pol", "symbolic link"
    if case == "waivers-symlink":
        (repo / ".secscan-waivers.yaml").symlink_to(
            outside(tmp_path, "w.yaml", "version: 1\nwaivers: []\n")
        )
        return ".secscan-waivers.yaml", "symbolic link"
    if case == "baseline-symlink":
        (repo / "known.json").symlink_to(outside(tmp_path, "b.json", "{}"))
        cfg.write_text(BASE_CONFIG + "baseline: known.json\n")
        return "known.json", "symbolic link"
    if case == "advisories-symlink":
        (tmp_path / "elsewhere" / "osv").mkdir(parents=True)
        (repo / "osv").symlink_to(tmp_path / "elsewhere" / "osv")
        cfg.write_text(BASE_CONFIG + "advisories:\n  db: osv\n")
        return "osv", "symbolic link"
    if case == "config-alias-bomb":
        cfg.write_text(BASE_CONFIG + LAUGHS + "bandit:\n  skip: *a8\n")
        return ".secscan.yaml", "billion-laughs"
    if case == "policy-alias-bomb":
        (repo / "pol" / "gates").mkdir(parents=True)
        (repo / "pol" / "gates" / "ci.yaml").write_text(GATE + LAUGHS.replace("x-", "  x-"))
        cfg.write_text(BASE_CONFIG + "policy: pol\n")
        return "pol/gates/ci.yaml", "billion-laughs"
    if case == "rules-alias-bomb":
        (repo / "rules").mkdir()
        (repo / "rules" / "r.yaml").write_text(LAUGHS + "rules: *a8\n")
        cfg.write_text(
            "version: 1\nscanners: [bandit, semgrep]\nsemgrep:\n  rules: [builtin, rules]\n"
        )
        return "rules/r.yaml", "billion-laughs"
    if case == "policy-under-linked-folder":
        (tmp_path / "elsewhere" / "pol" / "gates").mkdir(parents=True)
        (tmp_path / "elsewhere" / "pol" / "gates" / "ci.yaml").write_text(GATE)
        (repo / "linked").symlink_to(tmp_path / "elsewhere")
        cfg.write_text(BASE_CONFIG + "policy: linked/pol\n")
        return "linked", "a symbolic link"
    if case == "rules-under-linked-folder":
        outside(tmp_path, "r.yaml", "rules: []\n")
        (repo / "linked").symlink_to(tmp_path / "elsewhere")
        cfg.write_text(
            "version: 1\nscanners: [bandit, semgrep]\nsemgrep:\n  rules: [builtin, linked/r.yaml]\n"
        )
        return "linked", "a symbolic link"
    raise AssertionError(case)


#: Top-level keys whose aliases expand ~40 nodes to 2.3 billion (billion laughs): walking the
#: data (validation, the policy loader's duplicate-key check) would never end.
LAUGHS = (
    "x-a0: &a0 ["
    + ",".join(["lol"] * 10)
    + "]\n"
    + "".join(f"x-a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))
)


CASES = [
    "config-symlink",
    "rules-dev-zero",
    "rules-symlink",
    "rules-dir-symlink",
    "policy-symlink",
    "policy-dir-symlink",
    "waivers-symlink",
    "baseline-symlink",
    "advisories-symlink",
    "config-alias-bomb",
    "policy-alias-bomb",
    "rules-alias-bomb",
    "policy-under-linked-folder",
    "rules-under-linked-folder",
]


@pytest.mark.parametrize("case", CASES)
def test_a_pr_naming_a_link_or_a_device_exits_2_naming_the_file(
    case: str, repo: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    named, why = set_up(case, repo, tmp_path)
    commit(repo)
    out = tmp_path / "out"
    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")
    assert ran.code == 2, ran.out + ran.err
    assert named in ran.err and why in ran.err, ran.err
    assert not (out / "secscan-results.json").exists()


def test_a_fifo_or_device_named_by_a_flag_is_refused_without_waiting(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO opened for reading waits for a writer: the gate would hang. Refused at once."""
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    (tmp_path / "app.py").write_text("x = 1\n")
    results: list[Any] = []
    for argv in (
        ("gate", "--from", str(fifo)),
        ("report", "--from", str(fifo), "--output-dir", str(tmp_path / "r")),
        ("gate", "--from", "/dev/zero"),
        ("scan", str(tmp_path), "--config", str(fifo), "--output-dir", str(tmp_path / "s")),
        ("scan", str(tmp_path), "--waivers", "/dev/zero", "--output-dir", str(tmp_path / "s")),
        ("scan", str(tmp_path), "--baseline", str(fifo), "--output-dir", str(tmp_path / "s")),
    ):
        worker = threading.Thread(target=lambda a=argv: results.append((a, run_cli(*a))))
        worker.start()
        worker.join(60)
        assert not worker.is_alive(), f"{argv} waited on {fifo}"
    for argv, ran in results:
        assert ran.code == 2, (argv, ran.out, ran.err)
        assert "FIFO" in ran.err or "device" in ran.err, (argv, ran.err)


def test_a_results_file_over_the_bound_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from secscan.util import files as _files

    monkeypatch.setattr(_files, "MAX_DATA_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text("[" + "0," * 1000 + "0]")
    ran = run_cli("gate", "--from", str(big))
    assert ran.code == 2
    assert "big.json" in ran.err and "larger than 1000 bytes" in ran.err


def test_a_name_no_file_can_have_is_an_oserror_to_every_streaming_reader(tmp_path: Path) -> None:
    # An embedded NUL made os.open raise ValueError, which the redactor, the import graph
    # and the shebang check (all catching OSError) let through: the report-injection
    # property found it with a NUL in a finding's path.
    with pytest.raises(OSError):
        _files.open_regular(tmp_path / "a\x00b.py")
    assert Redactor(tmp_path).learn_file("a\x00b.py") == {}
