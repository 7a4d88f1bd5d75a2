"""trusted(): both trees' settings read, the base's used, the head's strengthening applied."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secscan.app import settings as judge
from secscan.app.registry import installed
from secscan.errors import ConfigError
from secscan.policy.waivers import Waiver

NAMES = list(installed().scanners.builtins)
CATALOG = judge.default_catalog()


def waivers(*rules: str) -> str:
    today = datetime.now(UTC).date()
    created = f"    created: {today}\n" if "created" in Waiver.model_fields else ""
    return "version: 1\nwaivers:\n" + "".join(
        f"  - rule: {r}\n    path: app/x.py\n    reason: r\n    owner: o@example.com\n"
        f"{created}    expires: {today + timedelta(days=20)}\n"
        for r in rules
    )


def baseline(*fps: str) -> str:
    return json.dumps(
        {
            "schema": "secscan-baseline",
            "schema_version": 1,
            "findings": [{"fingerprint": fp, "count": 1} for fp in fps],
        }
    )


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


CONFIG = "version: 1\nscanners: [bandit]\nwaivers: w.yaml\noutput_dir: out\n"


def test_removing_waivers_applies_and_the_base_files_are_read_from_the_base(
    tmp_path: Path,
) -> None:
    base = tree(tmp_path / "base", {".secscan.yaml": CONFIG, "w.yaml": waivers("B602", "B101")})
    head = tree(tmp_path / "head", {".secscan.yaml": CONFIG, "w.yaml": waivers("B101")})
    chosen = judge.trusted(head, base, scanner_names=NAMES, catalog=CATALOG)
    assert chosen.weakenings == ()
    assert chosen.inputs.waivers is not None
    assert [lw.waiver.rule for lw in chosen.inputs.waivers.waivers] == ["B101"]
    assert chosen.output_dir == head.resolve() / "out"  # the base's setting, in the head tree

    tree(head, {"w.yaml": waivers("B101", "B602", "B311")})
    chosen = judge.trusted(head, base, scanner_names=NAMES, catalog=CATALOG)
    assert [w.setting for w in chosen.weakenings] == ["waivers"]
    assert "rule=B311" in chosen.weakenings[0].message
    assert chosen.inputs.waivers is not None
    assert [lw.waiver.rule for lw in chosen.inputs.waivers.waivers] == ["B602", "B101"]


def test_a_grown_baseline_weakens_and_the_base_one_is_used(tmp_path: Path) -> None:
    config = "version: 1\nscanners: [bandit]\nbaseline: b.json\n"
    base = tree(tmp_path / "base", {".secscan.yaml": config, "b.json": baseline("a" * 32)})
    head = tree(
        tmp_path / "head", {".secscan.yaml": config, "b.json": baseline("a" * 32, "b" * 32)}
    )
    chosen = judge.trusted(head, base, scanner_names=NAMES, catalog=CATALOG)
    assert [w.setting for w in chosen.weakenings] == ["baseline"]
    assert chosen.inputs.baseline is not None
    assert dict(chosen.inputs.baseline.counts) == {"a" * 32: 1}


def test_a_policy_dir_edited_in_place_weakens(tmp_path: Path) -> None:
    profile = "version: 1\ndescription: d\ngate:\n  severity:\n    default: {t}\n"
    config = "version: 1\nscanners: [bandit]\npolicy: pol\n"
    base = tree(
        tmp_path / "base",
        {".secscan.yaml": config, "pol/gates/ci.yaml": profile.format(t="medium")},
    )
    head = tree(
        tmp_path / "head",
        {".secscan.yaml": config, "pol/gates/ci.yaml": profile.format(t="medium")},
    )
    assert judge.trusted(head, base, scanner_names=NAMES, catalog=CATALOG).weakenings == ()
    tree(head, {"pol/gates/ci.yaml": profile.format(t="none")})
    chosen = judge.trusted(head, base, scanner_names=NAMES, catalog=CATALOG)
    assert [w.setting for w in chosen.weakenings] == ["policy"]
    assert "contents changed" in chosen.weakenings[0].message
    # judged by the base's copy of the policy
    assert chosen.inputs.profile.gate.severity.default == "medium"


def test_files_named_outside_both_trees_are_used_as_given(tmp_path: Path) -> None:
    base = tree(tmp_path / "base", {".secscan.yaml": "version: 1\nscanners: [bandit]\n"})
    head = tree(tmp_path / "head", {".secscan.yaml": "version: 1\nscanners: [bandit]\n"})
    team = tree(tmp_path / "team", {"w.yaml": waivers("B602")}) / "w.yaml"
    chosen = judge.trusted(head, base, scanner_names=NAMES, waivers=team, catalog=CATALOG)
    assert chosen.weakenings == ()
    assert chosen.inputs.waivers is not None and len(chosen.inputs.waivers) == 1


def test_a_broken_base_config_is_named_as_the_merge_base_has_it(tmp_path: Path) -> None:
    base = tree(tmp_path / "base", {".secscan.yaml": "version: 1\nscaners: [bandit]\n"})
    head = tree(tmp_path / "head", {".secscan.yaml": "version: 1\nscanners: [bandit]\n"})
    with pytest.raises(ConfigError) as caught:
        judge.trusted(head, base, scanner_names=NAMES, catalog=CATALOG)
    text = caught.value.diagnostics()
    assert text.startswith(".secscan.yaml:2 [scaners]") and "merge base" in text
