"""Fingerprints follow the code, not the line number."""

from pathlib import Path

import pytest

from secscan.config import Config
from secscan.findings import Finding, FindingKind, Location, Package, Severity
from secscan.fingerprint import assign
from secscan.scanners.bandit import BanditScanner
from secscan.scanners.base import ScanContext

FLAWED = """import subprocess


def ping(host):
    return subprocess.call("ping -c 1 " + host, shell=True)
"""


def _bandit(root: Path) -> dict[str, str]:
    outcome = BanditScanner().scan(
        ScanContext(root=root, targets=("app.py",), config=Config(), timeout=120)
    )
    return {f.rule_id: f.fingerprint for f in assign(outcome.findings, root)}


@pytest.mark.integration
def test_moving_a_flagged_function_20_lines_down_keeps_its_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(FLAWED)
    before = _bandit(tmp_path)
    filler = "".join(f"UNRELATED_{i} = {i}\n" for i in range(20))
    moved = FLAWED.replace("\n\ndef ping", "\n" + filler + "\n\ndef ping")
    (tmp_path / "app.py").write_text(moved)
    after = _bandit(tmp_path)
    assert before["B602"] == after["B602"]
    assert before == after


def _finding(line: int, snippet: str | None = None, path: str = "a.py") -> Finding:
    return Finding(
        "bandit",
        "B602",
        "t",
        "m",
        Severity.HIGH,
        FindingKind.CODE,
        Location(path, line, line, snippet=snippet),
    )


def test_identical_findings_get_distinct_fingerprints(tmp_path: Path) -> None:
    code = "os.system(cmd)\n"
    (tmp_path / "a.py").write_text(code + "x = 1\n" + code)
    fps = [f.fingerprint for f in assign([_finding(1), _finding(3)], tmp_path)]
    assert len(set(fps)) == 2
    # and they are stable when both move
    (tmp_path / "a.py").write_text("\n\n" + code + "x = 1\n" + code)
    assert [f.fingerprint for f in assign([_finding(3), _finding(5)], tmp_path)] == fps


def test_fingerprint_depends_on_rule_path_and_code(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("os.system(cmd)\n")
    (tmp_path / "b.py").write_text("os.system(cmd)\n")
    a = assign([_finding(1)], tmp_path)[0]
    b = assign([_finding(1, path="b.py")], tmp_path)[0]
    assert a.fingerprint != b.fingerprint
    assert a.location.snippet == "os.system(cmd)"
    same_ws = assign([_finding(7, snippet="  os.system(cmd)   ")], tmp_path)[0]
    assert same_ws.fingerprint == a.fingerprint


def test_dependency_fingerprint_uses_package_not_line(tmp_path: Path) -> None:
    def dep(line: int, version: str) -> Finding:
        return Finding(
            "pip-audit",
            "PYSEC-1",
            "t",
            "m",
            Severity.HIGH,
            FindingKind.DEPENDENCY,
            Location("requirements.txt", line),
            package=Package("Django", version, "PyPI"),
        )

    assert (
        assign([dep(3, "3.2.0")], tmp_path)[0].fingerprint
        == assign([dep(9, "3.2.0")], tmp_path)[0].fingerprint
    )
    assert (
        assign([dep(3, "3.2.0")], tmp_path)[0].fingerprint
        != assign([dep(3, "3.2.1")], tmp_path)[0].fingerprint
    )


def test_secret_snippet_is_never_read_from_disk(tmp_path: Path) -> None:
    (tmp_path / "cfg.py").write_text("TOKEN = 'plaintext-value'\n")
    f = Finding(
        "secrets", "generic", "t", "m", Severity.HIGH, FindingKind.SECRET, Location("cfg.py", 1, 1)
    )
    out = assign([f], tmp_path)[0]
    assert out.location.snippet is None
    assert "plaintext-value" not in repr(out)
