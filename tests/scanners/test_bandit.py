from pathlib import Path

import pytest

from secscan.errors import ScannerOutputError
from secscan.model.findings import Confidence, FindingKind, Severity
from secscan.scanners.bandit import BanditScanner
from secscan.scanners.base import ScanContext
from secscan.settings.config import Config

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "bandit"


def ctx(root: Path, *targets: str) -> ScanContext:
    return ScanContext(root=root, targets=targets, config=Config(), timeout=120)


def test_parse_real_output() -> None:
    outcome = BanditScanner().parse((FIX / "scan.json").read_text(), ctx(FIX / "src"))
    by_rule = {f.rule_id: f for f in outcome.findings}
    assert sorted(by_rule) == ["B301", "B324", "B403", "B404", "B602", "B608"]
    shell = by_rule["B602"]
    assert shell.location.path == "views.py"
    assert shell.location.start_line == 12
    assert shell.severity is Severity.HIGH
    assert shell.confidence is Confidence.HIGH
    assert shell.kind is FindingKind.CODE
    assert shell.cwe == (78,)
    assert any("bandit.readthedocs.io" in r for r in shell.references)
    assert by_rule["B608"].cwe == (89,)
    assert by_rule["B324"].severity is Severity.HIGH
    # the syntax-error file is kept as not analyzed, not dropped
    assert [(n.path, n.reason) for n in outcome.not_analyzed] == [
        ("broken.py", "syntax error while parsing AST from file")
    ]
    # `# nosec B602` on accepted(): counted, not reported
    assert outcome.inline_suppressions == 1
    assert all(f.location.start_line != 24 for f in outcome.findings)


@pytest.mark.parametrize(
    "garbage",
    ["", "not json", "{}", '{"results": [{"test_id": "B1"}]}', "[1, 2]", '{"results": 5}'],
)
def test_malformed_output_is_an_error(garbage: str) -> None:
    with pytest.raises(ScannerOutputError, match="bandit"):
        BanditScanner().parse(garbage, ctx(FIX / "src"))


def test_argv_uses_absolute_paths_after_double_dash(tmp_path: Path) -> None:
    argv = BanditScanner().argv(ctx(tmp_path, "-rf.py", "a b.py"))
    i = argv.index("--")
    assert argv[i + 1 :] == [str(tmp_path / "-rf.py"), str(tmp_path / "a b.py")]


@pytest.mark.integration
def test_real_bandit_matches_captured_shape(tmp_path: Path) -> None:
    for name in ("views.py", "broken.py"):
        (tmp_path / name).write_text((FIX / "src" / name).read_text())
    scanner = BanditScanner()
    outcome = scanner.scan(ctx(tmp_path, "views.py", "broken.py"))
    assert sorted(f.rule_id for f in outcome.findings) == [
        "B301",
        "B324",
        "B403",
        "B404",
        "B602",
        "B602",
        "B608",
    ]
    assert [n.path for n in outcome.not_analyzed] == ["broken.py"]
    # run with --ignore-nosec: the `# nosec B602` result is kept and marked, not hidden
    (marked,) = [f for f in outcome.findings if f.suppression]
    assert (marked.rule_id, marked.location.start_line) == ("B602", 24)
    assert scanner.version()[0].isdigit()
