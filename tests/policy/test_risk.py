"""Risk score (Grype's formula) and the exploit gate keys `gate.kev` / `gate.epss_at_least`."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from policydata import NOW, ok_run, result_of

from secscan.model.findings import (
    Epss,
    Finding,
    FindingKind,
    Kev,
    Location,
    Package,
    Severity,
)
from secscan.model.results import loads
from secscan.policy.engine import evaluate
from secscan.policy.loader import load_policy
from secscan.policy.models import GateSettings
from secscan.policy.risk import EPSS_RULE, KEV_RULE, exploit_text, risk_score

POLICY = load_policy()
DATA = Path(__file__).resolve().parents[1] / "data"
KEV = Kev("CVE-2023-49081", "2026-11-30", "2026-12-21")
EPSS = Epss("CVE-2023-49081", 0.00882, 0.57559, "2026-09-29")


def _dep(severity: Severity = Severity.MEDIUM, **kw: Any) -> Finding:
    f = Finding(
        scanner="pip-audit",
        rule_id="PYSEC-2023-250",
        title="aiohttp 3.8.6: PYSEC-2023-250",
        message="m",
        severity=severity,
        kind=FindingKind.DEPENDENCY,
        location=Location("requirements.txt", 1),
        package=Package("aiohttp", "3.8.6", "PyPI"),
        aliases=("CVE-2023-49081",),
        fingerprint="fp-aiohttp",
    )
    return replace(f, **kw)


# Worked by hand from Grype's formula: min(threat × severity × kev_factor, 1) × 100.
@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        # no exploit data: no score (Grype would say 0)
        (_dep(), None),
        # EPSS only, medium 5.3: 0.00882 × (0.5 + 0.53)/2 × 1 = 0.0045423 -> 0.5
        (_dep(epss=EPSS, cvss_score=5.3), 0.5),
        # EPSS only, no CVSS: 0.00882 × 0.5 = 0.00441 -> 0.4
        (_dep(epss=EPSS), 0.4),
        # KEV: threat 1, medium 5.3: (0.5 + 0.53)/2 × 1.05 = 0.54075 -> 54.1
        (_dep(kev=KEV, epss=EPSS, cvss_score=5.3), 54.1),
        # KEV with ransomware, critical 9.8: (0.9 + 0.98)/2 × 1.1 = 1.034 -> capped at 100
        (_dep(Severity.CRITICAL, kev=replace(KEV, ransomware=True), cvss_score=9.8), 100.0),
        # KEV, low word only: 0.3 × 1.05 = 0.315 -> 31.5
        (_dep(Severity.LOW, kev=KEV), 31.5),
    ],
)
def test_risk_score_is_grypes_formula(finding: Finding, expected: float | None) -> None:
    assert risk_score(finding) == expected


def test_cvss4_threat_metric_enters_the_score() -> None:
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"
    f = _dep(Severity.HIGH, cvss_vector=vector, cvss_score=8.1, kev=KEV)
    # KEV attests exploitation: E:A, CVSS-BT 9.3 replaces 8.1: (0.75 + 0.93)/2 × 1.05 = 0.882
    assert risk_score(f) == 88.2
    assert risk_score(replace(f, kev=None, epss=replace(EPSS, score=1.0))) == 78.0


def test_exploit_text_names_dates() -> None:
    text = exploit_text(_dep(kev=replace(KEV, ransomware=True), epss=EPSS))
    assert "CISA KEV CVE-2023-49081" in text and "due 2026-12-21" in text
    assert "ransomware" in text and "EPSS CVE-2023-49081 0.00882" in text
    assert exploit_text(_dep()) == ""


def _decide(finding: Finding, profile: str = "release", **gate: Any) -> Any:
    p = POLICY.profiles[profile]
    if gate:
        p = p.model_copy(update={"gate": p.gate.model_copy(update=gate)})
    run = ok_run([finding], name="pip-audit", kind=FindingKind.DEPENDENCY)
    return evaluate(result_of(run), POLICY, p, now=NOW)[1]


def test_release_fails_a_medium_kev_finding_naming_kev() -> None:
    listed = _decide(_dep(kev=KEV))
    assert not listed.passed
    reason = next(r for r in listed.reasons if r.rule == KEV_RULE)
    assert "CVE-2023-49081" in reason.message and "Art. 14" in reason.message
    assert reason.fingerprints == ("fp-aiohttp",)
    unlisted = _decide(_dep())
    assert unlisted.passed, unlisted.reasons
    # audit is stricter than release in every key (a tree may move to it unchallenged)
    assert any(r.rule == KEV_RULE for r in _decide(_dep(Severity.LOW, kev=KEV), "audit").reasons)
    # the ci profile does not set the key: severity alone decides there
    assert all(r.rule != KEV_RULE for r in _decide(_dep(kev=KEV), "ci").reasons)


def test_kev_warn_and_waived_findings() -> None:
    warned = _decide(_dep(kev=KEV), kev="warn")
    assert warned.passed and any("Known Exploited" in w for w in warned.warnings)


def test_epss_at_least_raises_a_finding_to_gating() -> None:
    likely = _dep(epss=replace(EPSS, score=0.62))
    failed = _decide(likely, epss_at_least=0.5)
    reason = next(r for r in failed.reasons if r.rule == EPSS_RULE)
    assert "at or above 0.5" in reason.message and "2026-09-29" in reason.message
    assert _decide(_dep(epss=EPSS), epss_at_least=0.5).passed
    assert _decide(likely).passed  # release sets no EPSS threshold


def test_gate_keys_are_validated() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        GateSettings.model_validate({"epss_at_least": 1.5})
    with pytest.raises(ValueError, match="kev"):
        GateSettings.model_validate({"kev": "sometimes"})


@pytest.mark.integration
def test_real_scan_release_fails_on_kev_alias_and_passes_without(
    tmp_path: Path, run_cli: Any
) -> None:
    """pip-audit against the local mirror: aiohttp 3.8.6 has two medium advisories here;
    the KEV fixture lists PYSEC-2023-250's alias (CISA does not: see tests/data/exploits)."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("aiohttp==3.8.6\n")
    db = tmp_path / "db"
    (db / "PyPI").mkdir(parents=True)
    for rid in ("PYSEC-2023-250", "PYSEC-2023-251"):
        shutil.copy(DATA / "osv" / "PyPI" / f"{rid}.json", db / "PyPI")
    assert run_cli("advisories", "import", str(DATA / "exploits" / "epss_scores-excerpt.csv"),
                   "--db", str(db)).code == 0  # fmt: skip

    def scan(out: Path) -> tuple[int, Any]:
        res = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(db),
                      "--profile", "release", "--output-dir", str(out), "--format", "json",
                      "--no-cache")  # fmt: skip
        return res.code, loads((out / "secscan-results.json").read_text(encoding="utf-8"))

    code, saved = scan(tmp_path / "plain")
    assert code == 0, saved.decision.reasons
    found = {f.rule_id: f for f in saved.result.findings}
    assert {f.severity for f in found.values()} == {Severity.MEDIUM}
    assert found["PYSEC-2023-250"].epss == EPSS and found["PYSEC-2023-250"].kev is None

    fixture = DATA / "exploits" / "kev-fixture-aiohttp.json"
    assert run_cli("advisories", "import", str(fixture), "--db", str(db)).code == 0
    code, saved = scan(tmp_path / "kev")
    assert code == 1
    assert [r.rule for r in saved.decision.reasons] == [KEV_RULE]
    assert "CVE-2023-49081" in saved.decision.reasons[0].message
    listed = {f.rule_id: f for f in saved.result.findings}
    assert listed["PYSEC-2023-250"].kev == KEV and listed["PYSEC-2023-251"].kev is None


def test_kev_findings_map_to_each_frameworks_vulnerability_controls() -> None:
    p = POLICY.profiles["audit"]
    kev = _dep(kev=KEV, tags=("known-exploited",))  # the tag enrichment sets
    run = ok_run([kev], name="pip-audit", kind=FindingKind.DEPENDENCY)
    _, decision = evaluate(result_of(run), POLICY, p, now=NOW)
    by_rule: dict[str, set[str]] = {}
    for c in decision.controls:
        for ev in c.rule_evidence:
            if ev.open:
                by_rule.setdefault(ev.rule, set()).add(f"{c.framework}:{c.control_id}")
    assert by_rule["cra-actively-exploited"] == {"eu-cra:AnnexI.I(2)(a)", "eu-cra:AnnexI.II(2)"}
    assert by_rule["dependency-known-exploited"] == {"iso27001-2022:A.8.8"}
    assert by_rule["nis2-actively-exploited"] == {"nis2:Art.21(2)(e)"}
    assert by_rule["ssdf-actively-exploited"] == {"nist-ssdf-1.1:RV.1", "nist-ssdf-1.1:RV.2"}
    assert by_rule["pci-actively-exploited"] == {"pci-dss-4.0:6.3.1", "pci-dss-4.0:6.3.3"}
    assert by_rule["soc2-actively-exploited"] == {"soc2-tsc:CC7.1"}
    cra = next(r for r in POLICY.rules if r.id == "cra-actively-exploited")
    assert "Art. 14(1)" in cra.rationale
    # without the tag (no KEV entry), none of them matches
    _, plain = evaluate(result_of(ok_run([_dep()], name="pip-audit", kind=FindingKind.DEPENDENCY)),
                        POLICY, p, now=NOW)  # fmt: skip
    assert not any(
        ev.open for c in plain.controls for ev in c.rule_evidence if "exploited" in ev.rule
    )
