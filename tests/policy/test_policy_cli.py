"""The policy commands end to end, in-process: scan -> gate --from, controls, validate, baseline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from policydata import EXAMPLE, NOW, bandit_run, iac_run, result_of, secrets_run

from secscan.model.findings import FindingKind, RunStatus, ScannerRun, ScanResult
from secscan.model.results import loads
from secscan.scan import pipeline

Run = Callable[..., Any]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the example project, so baselines and reports land in a temp dir."""
    dest = tmp_path / "shop"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("advisory-db"))
    return dest


@pytest.fixture
def fake_scan(monkeypatch: pytest.MonkeyPatch) -> Callable[[ScanResult], None]:
    """Replace only the scanner runs: config, policy, waivers, engine and reports are real."""
    monkeypatch.setattr(pipeline, "utcnow", lambda: NOW)

    def use(result: ScanResult) -> None:
        def scan(root: Path, *a: object, **k: object) -> ScanResult:
            return replace(result, root=str(root.resolve()))

        monkeypatch.setattr(pipeline, "scan", scan)

    return use


def _decision(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["decision"]
    return data


def test_gate_from_saved_results_gives_the_scans_decision(
    run_cli: Run, shop: Path, tmp_path: Path, fake_scan: Callable[[ScanResult], None]
) -> None:
    fake_scan(result_of(bandit_run(), iac_run(), secrets_run()))
    out = tmp_path / "out"
    scanned = run_cli("scan", str(shop), "--format", "json", "--output-dir", str(out))
    assert scanned.code == 1, scanned.err
    assert "gate FAILED (profile ci)" in scanned.out
    saved = out / "secscan-results.json"
    first = _decision(saved)
    assert first["waivers_file"] == str(shop / ".secscan-waivers.yaml")
    assert first["waivers"][0]["rule"] == "B311" and first["waivers"][0]["fingerprints"]

    # The same inputs, given on the command line, give the same decision: the file's recorded
    # waivers file is shown, never used (a results file is untrusted input).
    again = tmp_path / "again.json"
    waivers = str(shop / ".secscan-waivers.yaml")
    gated = run_cli("gate", "--from", str(saved), "--waivers", waivers, "--output", str(again))
    assert gated.code == scanned.code
    second = _decision(again)
    assert "records it was judged with" in second["warnings"][-1]
    assert waivers in second["warnings"][-1]

    def judged(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ("warnings", "evaluated_at")}

    assert judged(second) == judged(first)
    bare = tmp_path / "bare.json"
    assert run_cli("gate", "--from", str(saved), "--output", str(bare)).code == 1
    assert (_decision(bare)["waivers_file"], _decision(bare)["waivers"]) == (None, [])
    # The saved findings carry the controls they evidence.
    result = loads(saved.read_text(encoding="utf-8")).result
    assert all(f.controls for f in result.findings)

    # Another profile re-judges the same findings without a rescan.
    audit = run_cli("gate", "--from", str(saved), "--profile", "audit", "-q")
    assert (audit.code, audit.out.strip()) == (1, "gate FAILED")


def test_scan_profile_decides_what_a_scanner_error_does(
    run_cli: Run, shop: Path, tmp_path: Path, fake_scan: Callable[[ScanResult], None]
) -> None:
    broken = ScannerRun("semgrep", FindingKind.CODE, RunStatus.ERROR, error="semgrep: exit 2")
    fake_scan(result_of(bandit_run(), broken))
    args = [
        "scan",
        str(shop),
        "--format",
        "json",
        "--output-dir",
        str(tmp_path / "o"),
        "--fail-on",
        "critical",
    ]
    failing = run_cli(*args, "--profile", "ci")
    assert failing.code == 3
    assert "scanner-error" in failing.out
    tolerated = run_cli(*args, "--profile", "precommit")
    assert tolerated.code == 0, tolerated.out
    assert "semgrep failed and profile 'precommit' tolerates it" in tolerated.out
    decision = _decision(tmp_path / "o" / "secscan-results.json")
    assert decision["tolerated_errors"] == ["semgrep"]


def test_policy_errors_exit_2_before_anything_is_scanned(
    run_cli: Run, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "scan", lambda *a, **k: pytest.fail("scanned anyway"))
    bad = tmp_path / "pol" / "gates"
    bad.mkdir(parents=True)
    (bad / "mine.yaml").write_text("version: 1\ndescription: x\ngate:\n  new_only: maybe\n")
    r = run_cli("scan", str(shop), "--policy", str(tmp_path / "pol"))
    assert r.code == 2
    assert f"{bad / 'mine.yaml'}:4 [gate.new_only]" in r.err
    r = run_cli("scan", str(shop), "--profile", "nightly")
    assert r.code == 2 and "unknown gate profile 'nightly'" in r.err
    r = run_cli("scan", str(shop), "--waivers", str(tmp_path / "none.yaml"))
    assert r.code == 2 and "file not found" in r.err
    (shop / ".secscan-waivers.yaml").write_text(
        "version: 1\nwaivers:\n  - rule: B311\n    path: x\n    reason: r\n"
        "    created: 2026-11-20\n    expires: 2027-01-01\n"
    )
    r = run_cli("scan", str(shop))
    assert r.code == 2 and "[waivers.0.owner]" in r.err


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        ('rule: "*"\n    path: "**"', ":3 [waivers.0.rule]", "is a glob"),
        ('rule: B311\n    path: "**"', ":4 [waivers.0.path]", "is a catch-all"),
        ("rule: B311\n    path: app/views.py", ":8 [waivers.0.expires]", "at most 90"),
    ],
    ids=["rule-star", "path-globstar", "2999-expiry"],
)
def test_the_issues_catch_all_waiver_is_refused_before_scanning(
    run_cli: Run, shop: Path, monkeypatch: pytest.MonkeyPatch, entry: str, where: str, message: str
) -> None:
    """issue 12: `rule: "*"`, `path: "**"`, `expires: 2999-12-31` was accepted silently."""
    monkeypatch.setattr(pipeline, "scan", lambda *a, **k: pytest.fail("scanned anyway"))
    waivers = shop / ".secscan-waivers.yaml"
    waivers.write_text(
        f"version: 1\nwaivers:\n  - {entry}\n    reason: r\n    owner: o\n"
        "    created: 2026-11-20\n    expires: 2999-12-31\n"
    )
    for command in ("scan", "ci"):
        r = run_cli(command, str(shop))
        assert r.code == 2, (command, r.out, r.err)
        assert f"{waivers}{where}" in r.err and message in r.err


def test_policy_validate(run_cli: Run, tmp_path: Path) -> None:
    ok = run_cli("policy", "validate")
    assert ok.code == 0 and "policy OK" in ok.out and "ci" in ok.out
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "x.yaml").write_text(
        "version: 1\nrules:\n  - id: x\n    match: {kinds: [code]}\n"
        "    controls: [iso27001-2022:A.0.0]\n    rationale: because\n"
    )
    bad = run_cli("policy", "validate", str(tmp_path))
    assert bad.code == 2
    assert f"{tmp_path / 'mappings' / 'x.yaml'}:5 [rules.0.controls.0]: unknown control" in bad.err


def test_controls_lists_controls_with_their_rules(run_cli: Run) -> None:
    r = run_cli("controls", "--framework", "gdpr", "--rationale")
    assert r.code == 0
    assert "Art.32(1)(a)" in r.out and "rule code-weak-cryptography" in r.out and "why:" in r.out
    assert "iso27001-2022:" not in r.out
    assert run_cli("controls", "--framework", "nope").code == 2


def test_baseline_create_then_update(
    run_cli: Run, shop: Path, fake_scan: Callable[[ScanResult], None]
) -> None:
    fake_scan(result_of(bandit_run()))
    created = run_cli("baseline", "create", str(shop))
    assert created.code == 0, created.err
    path = shop / ".secscan-baseline.json"
    data = json.loads(path.read_text())
    assert sum(e["count"] for e in data["findings"]) == len(bandit_run().findings)
    assert "snippet" not in path.read_text()
    assert run_cli("baseline", "create", str(shop)).code == 2  # never overwrites silently

    # With the baseline, the ci profile (new findings only) passes the same scan.
    gate = run_cli(
        "scan",
        str(shop),
        "--format",
        "json",
        "--output-dir",
        str(shop / "o"),
        "--baseline",
        str(path),
        "--scanner",
        "bandit",
    )
    assert gate.code == 0, gate.out

    fewer = bandit_run()
    fake_scan(result_of(replace(fewer, findings=fewer.findings[1:])))
    updated = run_cli("baseline", "update", str(shop), "--prune")
    assert updated.code == 0 and "0 added, 1 removed" in updated.out
