"""The semgrep scanner: parsed from captured real output, and run for real offline."""

import json
from pathlib import Path

import pytest

from secscan.app.registry import installed
from secscan.errors import ScannerError, ScannerOutputError
from secscan.model.findings import Confidence, FindingKind, Severity
from secscan.scanners.base import ScanContext
from secscan.scanners.semgrep import SemgrepScanner

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "semgrep"
REPO = Path(__file__).resolve().parents[2]


def ctx(root: Path, *targets: str, **cfg: object) -> ScanContext:
    return ScanContext(
        root=root,
        targets=targets,
        config=installed().scanners.make_config(**cfg),
        timeout=300,
    )  # type: ignore[arg-type]


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


def test_a_warning_without_a_path_is_not_a_failure() -> None:
    out = json.dumps(
        {
            "results": [],
            "errors": [{"level": "warn", "type": ["Timeout", "x"], "message": "slow rule"}],
        }
    )
    outcome = SemgrepScanner().parse(out, ctx(REPO))
    assert outcome.findings == ()
    assert outcome.not_analyzed == ()


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


RULES_WITH_CLAIMS = """\
rules:
  - id: my-proof
    message: constant
    severity: INFO
    languages: [python]
    metadata:
      proves-safe: the value is a constant
      vouches-for: ["bandit:B602"]
      same-flaw-as: ["bandit:B201"]
    pattern: f("...")
"""


def _result(rule_id: str, path: str) -> dict[str, object]:
    return {
        "check_id": f"rules.{rule_id}",
        "path": path,
        "start": {"line": 1, "col": 1},
        "end": {"line": 1, "col": 8},
        "extra": {"message": "m", "severity": "INFO", "metadata": {}},
    }


def test_claims_hold_only_for_rule_sets_the_trusted_side_named(tmp_path: Path) -> None:
    """A rule file the config names carries its claims; the same file added by the change
    under review (`review_rules`, filled by `strengthened`) makes review findings, no claims."""
    (tmp_path / "mine.yaml").write_text(RULES_WITH_CLAIMS)
    (tmp_path / "a.py").write_text('f("x")\n')
    out = json.dumps({"results": [_result("my-proof", str(tmp_path / "a.py"))], "errors": []})
    s = SemgrepScanner()
    trusted = s.parse(out, ctx(tmp_path, "a.py", semgrep={"rules": (str(tmp_path / "mine.yaml"),)}))
    (f,) = trusted.findings
    assert f.claims is not None and f.claims.proves_safe == "the value is a constant"
    assert f.claims.vouches_for == ("bandit:B602",) and f.claims.same_flaw_as == ("bandit:B201",)
    assert not f.review_rule
    mine = str(tmp_path / "mine.yaml")
    added = s.parse(out, ctx(tmp_path, "a.py", semgrep={"rules": (mine,), "review_rules": (mine,)}))
    (g,) = added.findings
    assert g.claims is None and g.review_rule
    # a change to the review set is a different cache entry: trust is part of the result
    assert s.cache_material(
        ctx(tmp_path, semgrep={"rules": (mine,), "review_rules": (mine,)})
    ) != s.cache_material(ctx(tmp_path, semgrep={"rules": (mine,)}))


def test_strengthened_marks_the_rule_sets_the_change_added(tmp_path: Path) -> None:
    from secscan.scanners.semgrep import SemgrepOptions
    from secscan.settings import trust

    base = trust.Section("semgrep", SemgrepOptions(rules=("builtin",)))
    head = trust.Section(
        "semgrep",
        SemgrepOptions(rules=("builtin", "review.yaml")),
        {"rules": (trust.FileEntry("review.yaml", "d1", str(tmp_path / "review.yaml")),)},
    )
    opts = SemgrepScanner().strengthened(base, head)
    assert isinstance(opts, SemgrepOptions)
    assert opts.rules == ("builtin", str(tmp_path / "review.yaml"))
    assert opts.review_rules == (str(tmp_path / "review.yaml"),)
