"""The real tools over the example project, judged by the shipped policy (slower: integration)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policydata import EXAMPLE, flaws, qualified

from secscan.model.results import loads

pytestmark = pytest.mark.integration


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("advisory-db"))
    return dest


def test_real_scan_then_gate_from_agree_and_flaws_land(
    run_cli: Callable[..., Any], shop: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scanned = run_cli(
        "scan",
        str(shop),
        "--scanner",
        "bandit",
        "--scanner",
        "iac",
        "--format",
        "json",
        "--output-dir",
        str(out),
        "--no-cache",
    )
    assert scanned.code == 1, scanned.out + scanned.err
    saved_path = out / "secscan-results.json"
    saved = loads(saved_path.read_text(encoding="utf-8"))
    assert saved.decision is not None
    assert {r.scanner: r.status.value for r in saved.result.runs} == {"bandit": "ok", "iac": "ok"}

    # Each flaw bandit or trivy is expected to report lands on its intended controls.
    for flaw in flaws():
        wanted = {"bandit", "iac"} & set(flaw["expected"])
        for scanner in wanted:
            ids = set(flaw["checks"].get(scanner, []))
            found = [
                f
                for f in saved.result.findings
                if f.scanner == scanner and f.location.path == flaw["file"] and f.rule_id in ids
            ]
            assert found, (flaw["id"], scanner)
            for f in found:
                assert {qualified(c) for c in flaw["controls"]} <= set(f.controls), flaw["id"]

    # Not assessed: no dependency scan ran, so vulnerability management is not a pass.
    states = {f"{c.framework}:{c.control_id}": c.state.value for c in saved.decision.controls}
    assert states["iso27001-2022:A.8.8"] == "not_assessed"
    assert states["iso27001-2022:A.8.28"] == "fail"

    again = tmp_path / "again.json"
    # Re-judged with the same inputs named on the command line (never the file's records).
    waivers = str(shop / ".secscan-waivers.yaml")
    gated = run_cli("gate", "--from", str(saved_path), "--waivers", waivers, "--output", str(again))
    assert gated.code == scanned.code
    first = json.loads(saved_path.read_text(encoding="utf-8"))["decision"]
    second = json.loads(again.read_text(encoding="utf-8"))["decision"]
    for d in (first, second):
        d.pop("evaluated_at")
        d.pop("warnings")
    assert second == first
