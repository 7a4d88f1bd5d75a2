"""A repository full of hostile files: every case is scanned, or reported as not analyzed.

One real scan (bandit) of a generated tree; each case then asserts its exact outcome.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from secscan.model import results

FLAW = (
    "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"  # line 5
)


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    #: ("finding", line) or ("not_analyzed", words in the reason) or ("nothing", None)
    outcome: tuple[str, object]


CASES = [
    Case("space", "with space.py", ("finding", 5)),
    Case("newline", "new\nline.py", ("finding", 5)),
    Case("quotes", "quo'te\"s.py", ("finding", 5)),
    Case("script-tag", "<script>alert(1)<\\script>.py", ("finding", 5)),
    Case("leading-dash", "-rf.py", ("finding", 5)),
    Case("option-like", "--help.py", ("finding", 5)),
    Case("unicode", "ünïcødé_名前.py", ("finding", 5)),
    Case("deep", "/".join(f"d{i}" for i in range(60)) + "/deep.py", ("finding", 5)),
    Case("crlf", "crlf.py", ("finding", 5)),
    Case("declared-latin1", "declared_latin1.py", ("finding", 3)),
    Case("undeclared-latin1", "latin1.py", ("not_analyzed", "syntax error")),
    Case("mixed-encoding", "mixed.py", ("not_analyzed", "syntax error")),
    # bandit --ignore-nosec skips its comment tokenizer, so the AST parse is what fails
    Case("binary", "binary.py", ("not_analyzed", "syntax error while parsing AST")),
    Case("nul-bytes", "nul.py", ("not_analyzed", "syntax error")),
    Case("long-line", "longline.py", ("finding", 3)),
    Case("huge-50mb", "huge.py", ("not_analyzed", "larger than max_file_size_mb")),
    Case("link-outside", "leak.py", ("not_analyzed", "outside the scan root")),
    Case("link-loop", "loop.py", ("not_analyzed", "looping")),
    Case("dangling-link", "dangling.py", ("not_analyzed", "broken or looping")),
    Case("empty", "empty.py", ("nothing", None)),
]


def build(root: Path, outside: Path) -> None:
    def write(rel: str, data: bytes) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    for c in CASES[:8]:
        write(c.path, FLAW.encode())
    write("crlf.py", FLAW.replace("\n", "\r\n").encode())
    latin1 = "# -*- coding: latin-1 -*-\nimport subprocess\nsubprocess.call(x, shell=True)  # é\n"
    write("declared_latin1.py", latin1.encode("latin-1"))
    write(
        "latin1.py", "# café\nimport subprocess\nsubprocess.call(x, shell=True)\n".encode("latin-1")
    )
    write("mixed.py", "# naïve\n".encode() + "x = 'café'\n".encode("latin-1") + FLAW.encode())
    write("binary.py", bytes(range(256)) * 64)
    write("nul.py", b"import os\n\x00\x00\x00\nos.system(x)\n")
    write(
        "longline.py",
        b"x = '" + b"a" * 300_000 + b"'\nimport subprocess\nsubprocess.call(x, shell=True)\n",
    )
    with (root / "huge.py").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    write("empty.py", b"")
    (outside / "secret.py").write_text(FLAW)
    os.symlink(outside / "secret.py", root / "leak.py")
    os.symlink(root / "loop.py", root / "loop.py")
    os.symlink(root / "missing-target.py", root / "dangling.py")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from secscan.cli import main

    base = tmp_path_factory.mktemp("hostile")
    root, outside, out = base / "repo", base / "outside", base / "out"
    root.mkdir()
    outside.mkdir()
    build(root, outside)
    code = main(["scan", str(root), "--scanner", "bandit", "--output-dir", str(out), "--no-cache"])
    saved = results.loads((out / "secscan-results.json").read_text())
    return code, saved.result


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file(scanned, case: Case) -> None:  # type: ignore[no-untyped-def]
    code, result = scanned
    assert code == 1  # the planted flaws fail the gate; nothing crashed (that would be 3)
    findings = [f for f in result.findings if f.location.path == case.path]
    skipped = [n for r in (result, *result.runs) for n in r.not_analyzed if n.path == case.path]
    kind, detail = case.outcome
    if kind == "finding":
        assert [f.location.start_line for f in findings if f.rule_id == "B602"] == [detail]
        assert not skipped
    elif kind == "not_analyzed":
        assert skipped, f"{case.path!r} was silently dropped"
        assert str(detail) in skipped[0].reason
        assert not findings
    else:
        assert not findings and not skipped


@pytest.mark.integration
def test_nothing_outside_the_root_was_read(scanned) -> None:  # type: ignore[no-untyped-def]
    _, result = scanned
    assert not any("secret.py" in f.location.path for f in result.findings)
    assert all(not f.location.path.startswith(("/", "..")) for f in result.findings)


def test_terminal_summary_escapes_control_characters() -> None:
    from datetime import UTC, datetime

    from secscan.cli.views.terminal import summary
    from secscan.model.findings import (
        Finding,
        FindingKind,
        Location,
        RunStatus,
        ScannerRun,
        ScanResult,
        Severity,
    )
    from secscan.model.results import SavedResults

    f = Finding(
        "bandit",
        "B602",
        "t\x1b[31m",
        "m",
        Severity.HIGH,
        FindingKind.CODE,
        Location("new\nline\x1b]8;;http://x\x07.py", 5),
    )
    run = ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, findings=(f,))
    text = summary(SavedResults(ScanResult("/r", datetime(2026, 1, 1, tzinfo=UTC), "0", (run,))))
    assert "\x1b" not in text and "\x07" not in text
    assert "new\\nline" in text
