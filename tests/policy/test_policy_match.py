"""Check ids in every spelling trivy ever used, and the globs rules and waivers are written in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from policydata import code_finding

from secscan.model.findings import Finding, FindingKind, Location, Severity
from secscan.policy.match import canonical_check_glob, canonical_check_id, matches
from secscan.policy.models import Match


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("DS-0001", "DS-0001"),
        ("DS001", "DS-0001"),
        ("AVD-DS-0001", "DS-0001"),
        ("avd-ds-0001", "DS-0001"),
        ("KSV001", "KSV-0001"),
        ("KSV-01010", "KSV-1010"),  # numbers compare as numbers, whatever the padding
        ("AVD-KSV-01010", "KSV-1010"),
        ("AVD-AWS-0086", "AWS-0086"),
        ("AWS-0086", "AWS-0086"),
        ("B608", "B608"),  # bandit ids are not check ids
        ("python-sql-injection-fstring", "python-sql-injection-fstring"),
        ("aws-access-key-id", "aws-access-key-id"),
    ],
)
def test_canonical_check_id(given: str, canonical: str) -> None:
    assert canonical_check_id(given) == canonical


@pytest.mark.parametrize(
    ("pattern", "glob"),
    [("KSV-*", "KSV-*"), ("AVD-KSV-*", "KSV-*"), ("DS00*", "DS-00*"), ("ds001", "DS-0001")],
)
def test_canonical_check_glob(pattern: str, glob: str) -> None:
    assert canonical_check_glob(pattern) == glob


def _iac(check: str, aliases: tuple[str, ...] = ()) -> Finding:
    return Finding(
        "iac", check, "t", "m", Severity.HIGH, FindingKind.IAC, Location("main.tf"), aliases=aliases
    )


@pytest.mark.parametrize("written", ["AWS-0086", "AVD-AWS-0086", "AWS086", "AWS-008*", "aws-0086"])
def test_rules_match_check_ids_in_any_form(written: str) -> None:
    m = Match(kinds=(FindingKind.IAC,), checks=(written,))
    assert matches(m, _iac("AWS-0086"))
    assert matches(m, _iac("AVD-AWS-0086"))  # an older trivy's finding
    assert not matches(m, _iac("AWS-0107"))


def test_every_condition_must_hold() -> None:
    f = code_finding("B608", scanner="bandit", severity=Severity.MEDIUM, cwe=(89,))
    assert matches(Match(kinds=(FindingKind.CODE,), cwe=(89, 78)), f)
    assert not matches(Match(kinds=(FindingKind.IAC,), cwe=(89,)), f)
    assert matches(Match(kinds=(FindingKind.CODE,), scanners=("band*",), rules=("b6*",)), f)
    assert not matches(Match(kinds=(FindingKind.CODE,), scanners=("semgrep",)), f)
    assert not matches(Match(kinds=(FindingKind.CODE,), min_severity=Severity.HIGH), f)
    assert not matches(Match(kinds=(FindingKind.CODE,), tags=("owasp:A03",)), f)
    assert matches(
        Match(kinds=(FindingKind.CODE,), tags=("SECURITY",)), replace(f, tags=("security",))
    )
