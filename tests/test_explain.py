"""`secscan explain`: rule and finding look-ups from local sources, mapped through the policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from secscan.app import explain
from secscan.errors import UsageError
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.results import SavedResults, dumps
from secscan.policy.loader import load_policy
from secscan.scanners import bandit, base, semgrep

OSV = Path(__file__).resolve().parent / "data" / "osv"


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy()


def saved_with(*findings: Finding) -> SavedResults:
    from datetime import UTC, datetime

    run = ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, "1.9.4", findings=findings)
    return SavedResults(ScanResult("/src", datetime(2026, 1, 1, tzinfo=UTC), "0.1.0", (run,)))


def finding(fp: str, rule: str = "B602", line: int = 5) -> Finding:
    return Finding(
        scanner="bandit",
        rule_id=rule,
        title="subprocess popen with shell equals true",
        message="subprocess call with shell=True identified, security issue.",
        severity=Severity.HIGH,
        kind=FindingKind.CODE,
        location=Location("app/run.py", line, line, 5),
        cwe=(78,),
        fingerprint=fp,
    )


def test_bandit_plugin_docs_and_cwe_come_from_the_installed_bandit() -> None:
    info = bandit.bandit_rule("B602")
    assert info is not None
    assert info.title == "Test for use of popen with shell equals true"
    assert "shell injection" in info.description
    assert info.cwe == (78,)
    assert info.source.startswith("bandit ")


def test_bandit_blacklist_ids_are_known_too() -> None:
    info = bandit.bandit_rule("B307")
    assert info is not None
    assert "ast.literal_eval" in info.description and info.severity is Severity.MEDIUM


def test_secscan_semgrep_rules_are_read_from_the_shipped_pack() -> None:
    info = semgrep.semgrep_rule("python-subprocess-shell-injection")
    assert info is not None
    assert info.cwe == (78,) and info.fix and "shell=True" in info.fix
    assert info.source.endswith("command-injection.yaml")


def test_advisories_come_from_the_local_osv_mirror() -> None:
    info = base.advisory_rule("PYSEC-2023-62", OSV, "pip-audit")
    assert info is not None
    assert info.kind is FindingKind.DEPENDENCY
    assert info.fix == "Upgrade to a fixed version (2.2.5, 2.3.2)."  # git commits left out


def test_a_rule_id_is_mapped_to_controls_with_the_policys_reasons(policy: Any) -> None:
    ex = explain.explain("B602", policy)
    controls = {n.control: n for n in ex.controls}
    assert "iso27001-2022:A.8.28" in controls
    assert controls["iso27001-2022:A.8.28"].title == "Secure coding"
    assert controls["iso27001-2022:A.8.28"].mapping_rule == "code-injection"
    assert "interpreter" in controls["iso27001-2022:A.8.28"].rationale
    assert ex.fix is not None and "shell=True" in ex.fix


def test_a_fingerprint_prefix_finds_the_finding_and_its_siblings(policy: Any) -> None:
    saved = saved_with(finding("abcdef0123" + "0" * 22), finding("abcdef9999" + "0" * 22, line=9))
    ex = explain.explain("#abcdef01", policy, saved=saved, results_file="r.json")
    assert ex.finding is not None and ex.finding.location.start_line == 5
    assert len(ex.occurrences) == 2 and ex.results_file == "r.json"
    with pytest.raises(UsageError, match="matches 2 findings"):
        explain.explain("abcdef", policy, saved=saved)


def test_a_rule_only_seen_in_the_results_is_explained_from_them(policy: Any) -> None:
    f = replace(
        finding("1" * 32, rule="AWS-0086"),
        scanner="iac",
        kind=FindingKind.IAC,
        title="S3 Access block should block public ACL",
        remediation="Enable blocking any PUT calls with a public ACL specified",
        cwe=(),
    )
    ex = explain.explain("aws-0086", policy, saved=saved_with(f))
    assert ex.rule.title == "S3 Access block should block public ACL"
    assert ex.fix == "Enable blocking any PUT calls with a public ACL specified"
    assert any(n.control == "iso27001-2022:A.8.9" for n in ex.controls)


def test_unknown_ids_are_a_usage_error(policy: Any) -> None:
    with pytest.raises(UsageError, match="neither a rule id"):
        explain.explain("no-such-rule", policy)


def test_explain_command(
    run_cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = run_cli("explain", "B602")
    assert ran.code == 0, ran.err
    assert "What it is" in ran.out and "How to fix" in ran.out and "A.8.28" in ran.out
    # What it is, why it matters and how to fix it lead; the compliance controls come last.
    order = ["What it is", "Why it matters", "How to fix", "\nControls\n"]
    assert [ran.out.index(h) for h in order] == sorted(ran.out.index(h) for h in order)
    assert ran.out.index("A.8.28") > ran.out.index("\nControls\n")
    assert "mapping rule" not in ran.out[: ran.out.index("\nControls\n")]
    assert "\x1b" not in ran.out

    out = tmp_path / "secscan-reports"
    out.mkdir()
    (out / "secscan-results.json").write_text(dumps(saved_with(finding("c" * 32)).result))
    ran = run_cli("explain", "cccccccc")
    assert ran.code == 0
    assert "finding #" + "c" * 32 + " at app/run.py:5:5" in ran.out

    assert run_cli("explain", "nope").code == 2
