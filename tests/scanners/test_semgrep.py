"""The semgrep scanner: parsed from captured real output, and run for real offline."""

import json
from pathlib import Path

import pytest

from secscan.errors import ScannerError, ScannerOutputError
from secscan.findings import Confidence, FindingKind, Severity
from secscan.scanners import make_config
from secscan.scanners.base import ScanContext
from secscan.scanners.semgrep import SemgrepScanner

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "semgrep"
REPO = Path(__file__).resolve().parents[2]


def ctx(root: Path, *targets: str, **cfg: object) -> ScanContext:
    return ScanContext(root=root, targets=targets, config=make_config(**cfg), timeout=300)  # type: ignore[arg-type]


def test_parse_example_capture() -> None:
    raw = json.loads((FIX / "example-scan.json").read_text())
    outcome = SemgrepScanner().parse(json.dumps(raw), ctx(REPO))
    assert len(outcome.findings) == len(raw["results"]) == 23
    by_rule = {f.rule_id for f in outcome.findings}
    # semgrep's dotted config-path prefix is stripped: rule ids are ours
    assert all("." not in r for r in by_rule)
    assert "python-eval-injection" in by_rule
    f = next(f for f in outcome.findings if f.rule_id == "python-eval-injection")
    assert f.location.path.startswith("examples/vulnerable-shop/app/")
    assert f.kind is FindingKind.CODE
    assert f.severity in (Severity.HIGH, Severity.CRITICAL)
    assert 95 in f.cwe
    assert f.confidence is not Confidence.UNKNOWN
    assert f.remediation
    assert any(t.startswith("owasp:A03") for t in f.tags)
    assert outcome.not_analyzed == ()


def test_partial_parse_is_kept_as_not_analyzed() -> None:
    outcome = SemgrepScanner().parse((FIX / "partial-parse.json").read_text(), ctx(REPO))
    assert [(n.path, n.reason) for n in outcome.not_analyzed] == [
        ("broken.py", "semgrep: PartialParsing")
    ]
    # results from the readable parts are still reported
    assert {(f.location.path, f.location.start_line) for f in outcome.findings} == {
        ("broken.py", 5),
        ("flagged.py", 7),
        ("flagged.py", 11),
    }


def test_rule_errors_without_a_path_fail_the_run() -> None:
    out = json.dumps(
        {
            "results": [],
            "errors": [
                {"level": "error", "type": "InvalidRuleSchemaError", "message": "bad rule\nmore"}
            ],
        }
    )
    with pytest.raises(ScannerError, match="semgrep reported an error: bad rule"):
        SemgrepScanner().parse(out, ctx(REPO))


@pytest.mark.parametrize(
    "garbage", ["", "{", "[]", '{"errors": []}', '{"results": [{"path": "a"}]}']
)
def test_malformed_output(garbage: str) -> None:
    with pytest.raises(ScannerOutputError, match="semgrep"):
        SemgrepScanner().parse(garbage, ctx(REPO))


def test_argv_is_offline_and_uses_builtin_pack(tmp_path: Path) -> None:
    argv = SemgrepScanner().argv(ctx(tmp_path, "-x.py"))
    assert "--disable-version-check" in argv and "--metrics=off" in argv
    # The pack's rule files, only the Python ones for a Python file (language selection).
    configs = [argv[i + 1] for i, a in enumerate(argv) if a == "--config"]
    assert configs and all("/policies/semgrep/python/" in c for c in configs)
    assert argv[-2:] == ["--", str(tmp_path / "-x.py")]
    assert "--experimental" not in argv
    assert SemgrepScanner().env()["SEMGREP_ENABLE_VERSION_CHECK"] == "0"


def test_registry_rules_are_never_cached(tmp_path: Path) -> None:
    s = SemgrepScanner()
    assert s.cache_material(ctx(tmp_path, semgrep={"rules": ("p/python",)})) is None
    local = s.cache_material(ctx(tmp_path))
    assert local is not None and len(local) == 64


@pytest.mark.integration
def test_real_semgrep_offline(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import pickle, subprocess\n\n\ndef handler(request):\n"
        "    subprocess.call('ls ' + request.args['d'], shell=True)\n"
        "    return pickle.loads(request.data)\n"
    )
    outcome = SemgrepScanner().scan(ctx(tmp_path, "app.py"))
    lines = {(f.rule_id, f.location.start_line) for f in outcome.findings}
    assert any(line == 5 for _, line in lines), lines
    assert any(line == 6 for _, line in lines), lines
