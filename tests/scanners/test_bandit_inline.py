"""`# nosec` is data: bandit reports every result and secscan marks what a comment would hide."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from secscan.errors import ScannerError
from secscan.model.findings import SuppressionKind
from secscan.scanners.bandit import BanditScanner, nosec_for, nosec_lines, resolve_test
from secscan.scanners.base import ScanContext
from secscan.settings.config import Config

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "bandit"
#: The lines bandit 1.9.4 itself hides when run without --ignore-nosec (see the README).
HIDDEN_BY_BANDIT = {8, 9, 10, 12, 13, 14, 17}


def ctx(root: Path, *targets: str) -> ScanContext:
    return ScanContext(root=root, targets=targets, config=Config(), timeout=120)


def test_captured_output_marks_exactly_what_bandit_hides() -> None:
    outcome = BanditScanner().parse(
        (FIX / "scan-ignore-nosec.json").read_text(), ctx(FIX / "src", "suppressed.py")
    )
    marked = {f.location.start_line for f in outcome.findings if f.suppression}
    assert marked == HIDDEN_BY_BANDIT
    # every finding is kept: a comment hides nothing from the results
    assert len(outcome.findings) == 12
    by_line = {f.location.start_line: f.suppression for f in outcome.findings}
    assert by_line[8] is not None and by_line[8].directive == "# nosec B602"
    assert by_line[8].kind is SuppressionKind.IN_SOURCE and by_line[8].line == 8
    # the multi-line call is flagged on its `shell=True` line; the comment sits on line 15
    assert by_line[17] is not None and by_line[17].line == 15
    assert by_line[11] is None  # `# nosec B101` names another test
    assert by_line[19] is None  # `# nosec` in a string is no comment


def test_names_resolve_like_bandit() -> None:
    assert resolve_test("B602") == "B602"
    assert resolve_test("subprocess_popen_with_shell_equals_true") == "B602"
    assert resolve_test("no_such_test") is None


@pytest.mark.parametrize(
    ("comment", "test_id", "hidden"),
    [
        ("# nosec", "B602", True),
        ("# nosec B602", "B602", True),
        ("# nosec B602,B607", "B607", True),
        ("# nosec: B602, B607", "B602", True),
        ("# nosec B101", "B602", False),
        ("# nosec no_such_test", "B602", True),  # an unknown name leaves a blanket nosec
        ("# noqa", "B602", False),
    ],
)
def test_comment_rules(comment: str, test_id: str, hidden: bool) -> None:
    lines = nosec_lines(f"x = 1  {comment}\n".encode(), resolve_test)
    assert (nosec_for(test_id, 1, (1,), lines) is not None) is hidden


def test_a_comment_on_another_line_of_the_statement_counts() -> None:
    source = b"call(  # nosec B602\n    a,\n    shell=True,\n)\n"
    lines = nosec_lines(source, resolve_test)
    assert nosec_for("B602", 3, (1, 2, 3, 4), lines) is not None
    assert nosec_for("B602", 3, (3,), lines) is None


def test_an_untokenizable_file_marks_nothing_it_cannot_read() -> None:
    assert nosec_lines(b'x = """# nosec\n', resolve_test) == {}


def _fake(tmp_path: Path, doc: object, code: int) -> BanditScanner:
    tool = tmp_path / "bandit"
    payload = json.dumps(doc).replace("'", "'\\''")
    tool.write_text(f"#!/bin/sh\necho '{payload}'\nexit {code}\n")
    tool.chmod(0o755)

    class Fake(BanditScanner):
        def tool_path(self) -> str:
            return str(tool)

    return Fake()


@pytest.mark.parametrize(
    ("doc", "code", "message"),
    [
        ({"results": []}, 0, "accounts for none it surely reads; not analyzed: app.py"),
        (
            {"results": [], "errors": [], "metrics": {"_totals": {}}},
            0,
            "accounts for none it surely reads; not analyzed: app.py",
        ),
        (
            {"results": [], "errors": [], "metrics": {"{root}/app.py": {"loc": 1}}},
            1,
            "exited 1 (issues found) but reported no result",
        ),
        (
            {"results": [], "errors": [], "metrics": {"{root}/other.py": {"loc": 1}}},
            0,
            "not analyzed: app.py",
        ),
    ],
    ids=["empty-document", "no-file-metrics", "exit-1-no-results", "other-file"],
)
def test_a_tool_that_does_not_account_for_its_targets_is_an_error(
    tmp_path: Path, doc: dict[str, object], code: int, message: str
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "app.py").write_text("print(1)\n")
    text = json.dumps(doc).replace("{root}", str(root))
    with pytest.raises(ScannerError, match=re.escape(message)):
        _fake(tmp_path, json.loads(text), code).scan(ctx(root, "app.py"))


def test_an_accounted_syntax_error_is_not_analyzed_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    doc = {
        "results": [],
        "errors": [{"filename": str(root / "bad.py"), "reason": "syntax error"}],
        "metrics": {str(root / "app.py"): {"loc": 1}},
    }
    outcome = _fake(tmp_path, doc, 0).scan(ctx(root, "app.py", "bad.py"))
    assert [(n.path, n.reason) for n in outcome.not_analyzed] == [("bad.py", "syntax error")]


@pytest.mark.integration
def test_real_bandit_marks_what_it_would_hide(tmp_path: Path) -> None:
    """Run bandit both ways: the marked findings are exactly those plain bandit drops."""
    (tmp_path / "suppressed.py").write_text((FIX / "src" / "suppressed.py").read_text())
    (tmp_path / "broken.py").write_text("def f(:\n")
    scanner = BanditScanner()
    outcome = scanner.scan(ctx(tmp_path, "suppressed.py", "broken.py"))
    marked = {f.location.start_line for f in outcome.findings if f.suppression}
    assert marked == HIDDEN_BY_BANDIT
    assert [n.path for n in outcome.not_analyzed] == ["broken.py"]
    plain = [a for a in scanner.argv(ctx(tmp_path, "suppressed.py")) if a != "--ignore-nosec"]
    from secscan.util import proc as _subprocess

    done = _subprocess.run(plain, ok_codes=(0, 1), timeout=120, cwd=tmp_path)
    kept = {r["line_number"] for r in json.loads(done.stdout)["results"] if r["test_id"] == "B602"}
    all_b602 = {f.location.start_line for f in outcome.findings if f.rule_id == "B602"}
    assert all_b602 - kept == marked


@pytest.mark.integration
def test_a_cached_scan_keeps_the_suppressed_findings(tmp_path: Path) -> None:
    """The result cache stores per-file findings: the marked ones come back from it whole."""
    from secscan.scan import pipeline

    root = tmp_path / "tree"
    root.mkdir()
    (root / "suppressed.py").write_text((FIX / "src" / "suppressed.py").read_text())
    config = Config(scanners=("bandit",))
    cold = pipeline.scan(root, config, cache_dir=tmp_path / "cache").runs[0]
    warm = pipeline.scan(root, config, cache_dir=tmp_path / "cache").runs[0]
    assert warm.cached and not cold.cached
    marked = {f.location.start_line for f in warm.findings if f.suppression}
    assert marked == HIDDEN_BY_BANDIT
    assert warm.findings == cold.findings
    assert warm.inline_suppressions == cold.inline_suppressions == len(HIDDEN_BY_BANDIT)
