"""Fingerprints follow the code, not the line number."""

from dataclasses import replace
from pathlib import Path

import pytest

from secscan.model.findings import Finding, FindingKind, Location, Package, Severity
from secscan.model.fingerprint import assign
from secscan.scanners.bandit import BanditScanner
from secscan.scanners.base import ScanContext
from secscan.settings.config import Config

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


SHELL_CALL = """import subprocess
from flask import request


def run():
    subprocess.call(
        {arg},
        shell=True,
    )
"""


@pytest.mark.integration
def test_a_b602_whose_severity_rises_gets_a_new_fingerprint(tmp_path: Path) -> None:
    """bandit points B602 at `shell=True,` and `)`: the command argument is not in its range."""
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg='"ls -l"'))
    low = {f.rule_id: f for f in assign(_bandit_findings(tmp_path), tmp_path)}["B602"]
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg='request.args["cmd"]'))
    high = {f.rule_id: f for f in assign(_bandit_findings(tmp_path), tmp_path)}["B602"]
    assert (low.severity, high.severity) == (Severity.LOW, Severity.HIGH)
    assert low.location.start_line == high.location.start_line == 8  # the `shell=True,` line
    assert low.fingerprint != high.fingerprint


def _bandit_findings(root: Path) -> tuple[Finding, ...]:
    return (
        BanditScanner()
        .scan(ScanContext(root=root, targets=("app.py",), config=Config(), timeout=120))
        .findings
    )


def _flag(line: int, end: int | None = None, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        "bandit",
        "B602",
        "t",
        "m",
        severity,
        FindingKind.CODE,
        Location("app.py", line, end or line),
    )


def test_the_whole_statement_is_the_identity_not_the_flagged_lines(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg="os.environ['CMD']"))
    safe = assign([_flag(8, 9)], tmp_path)[0]
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg="request.args['cmd']"))
    unsafe = assign([_flag(8, 9)], tmp_path)[0]
    # Same rule, same severity, same flagged lines, same snippet: only the argument differs.
    assert safe.location.snippet == unsafe.location.snippet == "        shell=True,\n    )"
    assert safe.fingerprint != unsafe.fingerprint


def test_severity_is_part_of_the_identity(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg="cmd"))
    low = assign([_flag(8, 9, Severity.LOW)], tmp_path)[0]
    high = assign([_flag(8, 9, Severity.HIGH)], tmp_path)[0]
    assert low.fingerprint != high.fingerprint


def test_reformatting_moving_and_editing_elsewhere_keep_the_statement_key(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg="cmd"))
    before = assign([_flag(8, 9)], tmp_path)[0].fingerprint
    edited = (
        "import os\n"
        + SHELL_CALL.format(arg="cmd").replace("def run():", "def run():\n    x = os.sep")
    ).replace("        cmd,\n        shell=True,\n    )", "  cmd,  shell=True,\n    )")
    (tmp_path / "app.py").write_text(edited)
    lines = edited.splitlines()
    start = next(i for i, line in enumerate(lines, 1) if "shell=True" in line)
    assert assign([_flag(start, start + 1)], tmp_path)[0].fingerprint == before


def test_a_finding_on_a_def_line_ignores_the_function_body(tmp_path: Path) -> None:
    src = "@route('/x')\ndef view(request):\n    return {body}\n"
    (tmp_path / "app.py").write_text(src.format(body="1"))
    on_def = assign([_flag(2)], tmp_path)[0]
    on_decorator = assign([_flag(1)], tmp_path)[0]
    (tmp_path / "app.py").write_text(src.format(body="2"))
    assert assign([_flag(2)], tmp_path)[0].fingerprint == on_def.fingerprint
    assert assign([_flag(1)], tmp_path)[0].fingerprint == on_decorator.fingerprint
    assert on_def.fingerprint != on_decorator.fingerprint


def test_the_statement_key_survives_rekeying_without_the_file(tmp_path: Path) -> None:
    """merge and renamed files re-key findings whose file is not at hand."""
    (tmp_path / "app.py").write_text(SHELL_CALL.format(arg="cmd"))
    first = assign([_flag(8, 9)], tmp_path)
    assert first[0].statement_digest
    again = assign(first, tmp_path / "nonexistent")
    assert again[0].fingerprint == first[0].fingerprint


def test_unparsable_python_and_other_languages_key_the_flagged_lines(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def broken(:\n    os.system(a)\n    os.system(b)\n")
    (tmp_path / "main.tf").write_text('resource "x" "y" {\n  acl = "public"\n}\n')
    a, b = assign([_flag(2), _flag(3)], tmp_path)
    assert a.fingerprint != b.fingerprint
    tf = Finding(
        "iac", "AWS-1", "t", "m", Severity.HIGH, FindingKind.IAC, Location("main.tf", 2, 2)
    )
    public = assign([tf], tmp_path)[0].fingerprint
    (tmp_path / "main.tf").write_text('# moved\nresource "x" "y" {\n  acl = "public"\n}\n')
    assert assign([replace(tf, location=Location("main.tf", 3, 3))], tmp_path)[0].fingerprint == (
        public
    )
    (tmp_path / "main.tf").write_text('resource "x" "y" {\n  acl = "private"\n}\n')
    assert assign([tf], tmp_path)[0].fingerprint != public


def test_a_lone_surrogate_in_tool_text_is_keyed_not_a_crash(tmp_path: Path) -> None:
    # A tool's JSON may carry "\ud800" (a byte it could not decode): str.encode() raised
    # UnicodeEncodeError here and took the whole scan down with a traceback.
    odd = assign([_finding(4, snippet="os.system(\ud800)", path="gone.py")], tmp_path)[0]
    plain = assign([_finding(4, snippet="os.system(x)", path="gone.py")], tmp_path)[0]
    assert odd.fingerprint and odd.fingerprint != plain.fingerprint
    again = assign([_finding(4, snippet="os.system(\ud800)", path="gone.py")], tmp_path)[0]
    assert again.fingerprint == odd.fingerprint
