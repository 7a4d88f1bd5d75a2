"""The policy loader: the shipped library is valid, and every mistake names file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from policydata import CAPTURED, NOW, code_finding, ok_run, result_of

from secscan.errors import PolicyError
from secscan.model.decision import ControlState
from secscan.model.findings import FindingKind
from secscan.policy.engine import evaluate
from secscan.policy.loader import Catalog, default_catalog, load_policy
from secscan.policy.match import any_glob, canonical_check_glob, canonical_check_id
from secscan.policy.models import Policy

SOC2 = """\
    # A small SOC 2 subset, to show a framework needs no code.
    version: 1
    framework:
      id: soc2
      title: SOC 2 (subset)
      source: AICPA Trust Services Criteria (2017, revised 2022)
    controls:
      - id: CC6.1
        title: Logical access security
        theme: Common criteria
        statement: No committed credentials.
        rules: [secret-committed, code-hard-coded-credentials]
      - id: CC7.1
        title: Detection of vulnerabilities
        theme: Common criteria
        statement: Code and dependencies are scanned.
"""
SOC2_RULES = """\
    version: 1
    rules:
      - id: soc2-vulnerable-code
        match:
          kinds: [code]
          min_severity: medium
        controls: [soc2:CC7.1]
        rationale: Code flaws found by scanning are vulnerabilities CC7.1 asks to detect.
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The real scanner registry and bandit's test ids (slow to build: once per module)."""
    return default_catalog()


def _dir(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / "pol" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path / "pol"


def test_the_shipped_library_is_valid_and_complete(catalog: Catalog) -> None:
    policy = load_policy(catalog=catalog)
    assert policy.warnings == ()
    assert {f.id for f in policy.frameworks} == {
        "iso27001-2022",
        "gdpr",
        "soc2-tsc",
        "pci-dss-4.0",
        "nist-ssdf-1.1",
        "nis2",
        "eu-cra",
        "openchain-5230",
        "openchain-18974",
    }
    assert {"precommit", "ci", "release", "audit"} <= set(policy.profiles)
    iso = policy.framework("iso27001-2022")
    gdpr = policy.framework("gdpr")
    assert iso is not None and gdpr is not None
    required = {
        "A.5.17",
        "A.8.4",
        "A.8.5",
        "A.8.7",
        "A.8.8",
        "A.8.9",
        "A.8.12",
        "A.8.15",
        "A.8.20",
        "A.8.21",
        "A.8.24",
        "A.8.25",
        "A.8.26",
        "A.8.28",
        "A.8.29",
        "A.8.32",
    }
    assert required <= {c.id for c in iso.controls}
    assert {c.id for c in gdpr.controls} == {
        "Art.5(1)(f)",
        "Art.25(1)",
        "Art.32(1)(a)",
        "Art.32(1)(b)",
        "Art.32(1)(d)",
        "Art.33",
    }
    assert all(c.title and c.theme and c.statement for f in policy.frameworks for c in f.controls)
    assert all(len(r.rationale) > 40 for r in policy.rules)


def test_every_check_id_in_the_shipped_mappings_exists_in_trivy(shipped: Policy) -> None:
    lines = (CAPTURED / "trivy-0.76-checks.txt").read_text(encoding="utf-8").splitlines()
    known = {
        canonical_check_id(line.split("\t")[0])
        for line in lines
        if line and not line.startswith("#")
    }
    for rule in shipped.rules:
        for pattern in rule.match.checks:
            glob = canonical_check_glob(pattern)
            assert any_glob(known, (glob,)), f"{rule.id}: {pattern} matches no trivy 0.76 check"


def test_a_user_framework_works_without_code(tmp_path: Path, catalog: Catalog) -> None:
    user = _dir(tmp_path, {"frameworks/soc2.yaml": SOC2, "mappings/soc2.yaml": SOC2_RULES})
    policy = load_policy(user, catalog=catalog)
    assert [f.id for f in policy.frameworks][-1] == "soc2"  # the user's file comes last
    mapped, d = evaluate(
        result_of(ok_run([code_finding()])), policy, policy.profiles["ci"], now=NOW
    )
    soc2 = {c.control_id: c for c in d.controls if c.framework == "soc2"}
    assert soc2["CC7.1"].state is ControlState.FAIL
    assert soc2["CC7.1"].mapping_rules == ("soc2-vulnerable-code",)
    # CC6.1 crosswalks to shipped rules: evidenced by code scanners, no finding: pass.
    assert soc2["CC6.1"].state is ControlState.PASS
    assert "soc2:CC7.1" in mapped.findings[0].controls


def test_a_user_file_replaces_the_shipped_file_of_the_same_name(tmp_path: Path) -> None:
    ci = """\
        version: 1
        description: stricter ci
        gate:
          severity: {default: low}
    """
    policy = load_policy(_dir(tmp_path, {"gates/ci.yaml": ci}))
    assert policy.profiles["ci"].description == "stricter ci"
    assert policy.profiles["ci"].gate.severity.default == "low"


BAD = [
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code]}
            controls: [iso27001-2022:A.9.99]
            rationale: because
        """,
        5,
        "rules.0.controls.0",
        "unknown control 'A.9.99'",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code]}
            controls: [A.8.28]
            rationale: because
        """,
        5,
        "rules.0.controls.0",
        "did you mean 'iso27001-2022:A.8.28'",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: code-injection
            match: {kinds: [code]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        3,
        "rules.0.id",
        "duplicate rule id 'code-injection'",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code], checks: [AWS-0086]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.match.checks",
        "only occur on iac findings",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code], scanners: [bandit], rules: [B999]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.match.rules.0",
        "bandit has no rule like 'B999'",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [iac], scanners: [bandit]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.match.scanners.0",
        "never reports iac findings",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code], scanners: [bandti]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.match.scanners.0",
        "no scanner is named like 'bandti'",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [iac], checks: [sql-injection]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.match.checks.0",
        "not a trivy check id",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
            severity: high
        """,
        7,
        "rules.0.severity",
        "unknown key",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code], cwe: [eighty-nine]}
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.match.cwe.0",
        "valid integer",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code]}
            controls: [iso27001-2022:A.8.28]
        """,
        3,
        "rules.0.rationale",
        "Field required",
    ),
    (
        "frameworks/e.yaml",
        """\
        version: 1
        framework: {id: e, title: E, source: me}
        controls: []
        """,
        3,
        "controls",
        "has no controls",
    ),
    (
        "frameworks/e.yaml",
        """\
        version: 1
        framework: {id: e, title: E, source: me}
        controls:
          - {id: C1, title: t, theme: t, statement: s}
          - {id: C1, title: t, theme: t, statement: s}
        """,
        5,
        "controls.1.id",
        "duplicate control id 'C1'",
    ),
    (
        "frameworks/e.yaml",
        """\
        version: 1
        framework: {id: gdpr, title: E, source: me}
        controls:
          - {id: C1, title: t, theme: t, statement: s}
        """,
        2,
        "framework.id",
        "duplicate framework id 'gdpr'",
    ),
    (
        "frameworks/e.yaml",
        """\
        version: 1
        framework: {id: e, title: E, source: me}
        controls:
          - {id: C1, title: t, theme: t, statement: s, rules: [no-such-rule]}
        """,
        4,
        "controls.0.rules.0",
        "unknown mapping rule 'no-such-rule'",
    ),
    (
        "frameworks/e.yaml",
        """\
        version: 1
        framework: {id: e, title: E, source: me}
        framework: {id: f, title: F, source: me}
        controls:
          - {id: C1, title: t, theme: t, statement: s}
        """,
        3,
        "framework",
        "duplicate key",
    ),
    (
        "gates/strict.yaml",
        """\
        version: 1
        description: strict
        gate:
          controls:
            iso27001-2022:A.1.1: low
        """,
        5,
        "gate.controls.iso27001-2022:A.1.1",
        "unknown control",
    ),
    (
        "gates/strict.yaml",
        """\
        version: 1
        description: strict
        gate:
          scanner_error: ignore
        """,
        4,
        "gate.scanner_error",
        "'fail' or 'warn'",
    ),
    (
        "gates/strict.yaml",
        """\
        version: 1
        description: strict
        gate:
          severity: {default: severe}
        """,
        4,
        "gate.severity.default",
        "unknown severity",
    ),
    # Evidence sufficiency (issue 15): target kinds are validated like the rest.
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [iac], checks: [KSV-0017]}
            controls: [iso27001-2022:A.8.2]
            targets: [terraform]
            rationale: because
        """,
        4,
        "rules.0.match.checks.0",
        "KSV-0017 checks evaluate Kubernetes or Helm files",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [code]}
            controls: [iso27001-2022:A.8.28]
            targets: [source, terraform]
            rationale: because
        """,
        6,
        "rules.0.targets.1",
        "terraform targets are not read by code scanners",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            match: {kinds: [iac]}
            controls: [iso27001-2022:A.8.9]
            targets: [ansible]
            rationale: because
        """,
        6,
        "rules.0.targets.0",
        "Input should be 'source', 'manifest'",
    ),
    (
        "mappings/x.yaml",
        """\
        version: 1
        rules:
          - id: r
            extends: no-such-rule
            controls: [iso27001-2022:A.8.28]
            rationale: because
        """,
        4,
        "rules.0.extends",
        "'no-such-rule' is not a rule with its own match",
    ),
    (
        "frameworks/x.yaml",
        """\
        version: 1
        framework: {id: x, title: X, source: test}
        controls:
          - id: C1
            title: t
            theme: t
            statement: s
            targets: [kubernetes]
        """,
        8,
        "controls.0.targets.0",
        "no mapping rule of x:C1 is evidenced by Kubernetes files",
    ),
]


@pytest.mark.parametrize(
    ("rel", "text", "line", "key", "message"), BAD, ids=[f"{b[0]}:{b[3]}:{b[4][:20]}" for b in BAD]
)
def test_policy_mistakes_name_file_line_and_key(
    tmp_path: Path, catalog: Catalog, rel: str, text: str, line: int, key: str, message: str
) -> None:
    user = _dir(tmp_path, {rel: text})
    with pytest.raises(PolicyError) as e:
        load_policy(user, catalog=catalog)
    err = e.value
    assert message in err.message
    assert err.path == str(user / rel)
    assert err.line == line
    assert err.key == key
    assert err.exit_code == 2
    assert err.diagnostics().startswith(f"{user / rel}:{line} [{key}]: ")


def test_an_empty_framework_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="empty framework could never fail"):
        load_policy(_dir(tmp_path, {"frameworks/e.yaml": BAD[11][1]}))


def test_a_policy_dir_without_policy_folders_is_refused(tmp_path: Path) -> None:
    (tmp_path / "soc2.yaml").write_text(SOC2, encoding="utf-8")
    with pytest.raises(PolicyError, match="found none"):
        load_policy(tmp_path)
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "missing")


def test_a_library_with_nothing_in_it_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no frameworks"):
        load_policy(
            _dir(tmp_path, {"gates/x.yaml": "version: 1\ndescription: x\n"}), include_builtin=False
        )


def test_without_a_catalog_scanner_names_are_not_checked(tmp_path: Path) -> None:
    """Re-judging saved results must not need the scanners installed."""
    user = _dir(tmp_path, {"mappings/x.yaml": BAD[6][1]})
    load_policy(user, catalog=Catalog())
    with pytest.raises(PolicyError):
        load_policy(user, catalog=Catalog(kinds={"bandit": FindingKind.CODE}))
