"""Files no tool could read are always reported, and fail the release and audit gates."""

from datetime import UTC, datetime

import pytest

from secscan.model.findings import FindingKind, NotAnalyzed, RunStatus, ScannerRun, ScanResult
from secscan.policy.engine import evaluate
from secscan.policy.loader import load_policy

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _result(skipped: tuple[NotAnalyzed, ...]) -> ScanResult:
    runs = tuple(
        ScannerRun(name, kind, RunStatus.OK, targets=3)
        for name, kind in [
            ("bandit", FindingKind.CODE),
            ("semgrep", FindingKind.CODE),
            ("pip-audit", FindingKind.DEPENDENCY),
            ("iac", FindingKind.IAC),
            ("secrets", FindingKind.SECRET),
        ]
    )
    runs = (
        ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, targets=3, not_analyzed=skipped[1:]),
        *runs[1:],
    )
    return ScanResult("/r", NOW, "0", runs, not_analyzed=skipped[:1])


@pytest.mark.parametrize(
    ("profile", "fails"), [("precommit", False), ("ci", False), ("release", True), ("audit", True)]
)
def test_not_analyzed_by_profile(profile: str, fails: bool) -> None:
    policy = load_policy()
    skipped = (
        NotAnalyzed("requirements.txt", "larger than max_file_size_mb (10 MB)"),
        NotAnalyzed("broken.py", "syntax error while parsing AST from file"),
    )
    _, decision = evaluate(_result(skipped), policy, policy.profiles[profile], now=NOW)
    rules = [r.rule for r in decision.reasons]
    text = " ".join([*(r.message for r in decision.reasons), *decision.warnings])
    assert "2 file(s) in scope were not analyzed" in text
    assert "'requirements.txt'" in text and "'broken.py'" in text
    assert ("not-analyzed" in rules) is fails
    _, clean = evaluate(_result(()), policy, policy.profiles[profile], now=NOW)
    assert "not-analyzed" not in [r.rule for r in clean.reasons]
    assert not any("not analyzed" in w for w in clean.warnings)
