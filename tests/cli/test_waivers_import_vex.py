"""`secscan waivers import-vex`: VEX in, waivers out; the round trip gives the same statements."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from secscan.model.results import loads
from secscan.policy.waivers import load_waivers

SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "samples" / "secscan-results.json"
TODAY = datetime.now(UTC).date()
EXPIRES = TODAY + timedelta(days=30)


def _fingerprint(rule: str) -> str:
    saved = loads(SAMPLE.read_text(encoding="utf-8"))
    return next(f.fingerprint for f in saved.result.findings if f.rule_id == rule)


@pytest.fixture
def waived(tmp_path: Path, run_cli: Callable[..., Any]) -> Path:
    """The bundled example re-judged with two dependency waivers: results that state VEX."""
    w = tmp_path / "w1.yaml"
    w.write_text(
        "version: 1\nwaivers:\n"
        "  - id: W-flask\n"
        f"    fingerprint: {_fingerprint('PYSEC-2018-66')}\n"
        '    reason: "vulnerable_code_not_in_execute_path: the shop never parses JSON with flask"\n'
        "    owner: appsec@example.com\n"
        f"    created: {TODAY.isoformat()}\n"
        f"    expires: {EXPIRES.isoformat()}\n"
        "  - id: W-idna\n"
        "    rule: PYSEC-2024-60\n"
        "    path: requirements.txt\n"
        "    reason: idna only sees our own host names\n"
        "    owner: platform@example.com\n"
        f"    created: {TODAY.isoformat()}\n"
        f"    expires: {(EXPIRES + timedelta(days=10)).isoformat()}\n",
        encoding="utf-8",
    )
    out = tmp_path / "r1.json"
    r = run_cli("gate", "--from", str(SAMPLE), "--waivers", str(w), "--output", str(out), "-q")
    assert r.code == 1, r.err  # the example still fails its gate; the waivers were applied
    return out


def _export(run_cli: Callable[..., Any], results: Path, folder: Path) -> dict[str, Any]:
    r = run_cli(
        "report", "--from", str(results), "--format", "openvex", "--format", "cyclonedx",
        "--output-dir", str(folder),
    )  # fmt: skip
    assert r.code == 0, r.err
    return {
        "openvex": json.loads((folder / "secscan.openvex.json").read_text("utf-8")),
        "cyclonedx": json.loads((folder / "secscan-sbom.cdx.json").read_text("utf-8")),
    }


def _not_affected(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doc["statements"] if s["status"] == "not_affected"]


@pytest.mark.parametrize("source", ["openvex", "cyclonedx"])
def test_round_trip_export_import_export_gives_equal_statements(
    source: str, waived: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    first = _export(run_cli, waived, tmp_path / "o1")
    assert len(_not_affected(first["openvex"])) == 2
    vex = (
        tmp_path
        / "o1"
        / ("secscan.openvex.json" if source == "openvex" else "secscan-sbom.cdx.json")
    )
    empty = tmp_path / "w2.yaml"
    r = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(waived), "--waivers", str(empty)
    )
    assert r.code == 0, r.err
    assert "added 2 waiver(s)" in r.out
    loaded = load_waivers(empty)
    assert {lw.id for lw in loaded.waivers} == {"W-flask", "W-idna"}
    flask = next(lw.waiver for lw in loaded.waivers if lw.id == "W-flask")
    assert flask.owner == "appsec@example.com" and flask.expires == EXPIRES
    assert flask.created == TODAY and flask.rule == "PYSEC-2018-66"
    assert flask.fingerprint == _fingerprint("PYSEC-2018-66")

    again = tmp_path / "r2.json"
    r = run_cli("gate", "--from", str(waived), "--waivers", str(empty), "--output", str(again))
    assert r.code == 1, r.err
    second = _export(run_cli, again, tmp_path / "o2")
    assert second["openvex"]["statements"] == first["openvex"]["statements"]
    assert second["cyclonedx"]["vulnerabilities"] == first["cyclonedx"]["vulnerabilities"]


def _foreign_openvex(tmp_path: Path, **extra: Any) -> Path:
    doc = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "vendor",
        "timestamp": "2026-11-30T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2018-1000656"},
                "products": [{"@id": "pkg:pypi/Flask@0.12.2"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_present",
                **extra,
            },
            {
                "vulnerability": {"name": "CVE-2099-0001"},
                "products": [{"@id": "pkg:pypi/flask@0.12.2"}],
                "status": "not_affected",
                "impact_statement": "names nothing this scan found",
            },
            {
                "vulnerability": {"name": "CVE-2024-3651"},
                "products": [{"@id": "pkg:pypi/idna@2.7"}],
                "status": "affected",
                "action_statement": "upgrade",
            },
        ],
    }
    path = tmp_path / "vendor.openvex.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_foreign_vex_needs_an_owner_and_an_expiry(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    vex = _foreign_openvex(tmp_path)
    target = tmp_path / "w.yaml"
    r = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(SAMPLE), "--waivers", str(target)
    )
    assert r.code == 2
    assert "needs an owner and an expiry" in r.err
    assert not target.exists()  # refused: nothing written
    r = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(SAMPLE), "--waivers", str(target),
        "--owner", "sec@example.com", "--expires", (TODAY - timedelta(days=1)).isoformat(),
    )  # fmt: skip
    assert r.code == 2 and "not after today" in r.err
    assert not target.exists()
    # Longer than the gate profile allows: the gate would refuse the file, so the import does.
    r = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(SAMPLE), "--waivers", str(target),
        "--owner", "sec@example.com", "--expires", (TODAY + timedelta(days=3650)).isoformat(),
    )  # fmt: skip
    assert r.code == 2 and "max_waiver_days" in r.err, r.err
    assert not target.exists()


def test_foreign_vex_matches_by_alias_and_package_and_keeps_the_files_comments(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    vex = _foreign_openvex(tmp_path)
    target = tmp_path / "w.yaml"
    target.write_text(
        "# accepted risks, reviewed monthly\nversion: 1\nwaivers:\n"
        "  # the random module only shuffles products\n"
        "  - id: W-1\n    rule: B311\n    path: app/views.py\n    reason: shuffling only\n"
        f"    owner: a@example.com\n    created: {TODAY}\n    expires: {EXPIRES}\n",
        encoding="utf-8",
    )
    r = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(SAMPLE), "--waivers", str(target),
        "--owner", "sec@example.com", "--expires", EXPIRES.isoformat(),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "CVE-2099-0001" in r.err and "names no finding" in r.err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# accepted risks, reviewed monthly\n")
    assert "# the random module only shuffles products" in text
    data = yaml.safe_load(text)
    assert [w["id"] for w in data["waivers"]][0] == "W-1"
    (new,) = data["waivers"][1:]
    assert new["rule"] == "PYSEC-2018-66"  # matched through its alias CVE-2018-1000656
    assert new["fingerprint"] == _fingerprint("PYSEC-2018-66")
    assert new["reason"] == "vulnerable_code_not_present"
    assert new["owner"] == "sec@example.com" and new["created"] == TODAY
    assert len(load_waivers(target)) == 2
    # The same import again adds nothing: the waiver is already there.
    r = run_cli(
        "waivers", "import-vex", str(vex), "--results", str(SAMPLE), "--waivers", str(target),
        "--owner", "sec@example.com", "--expires", EXPIRES.isoformat(),
    )  # fmt: skip
    assert r.code == 0 and "no waiver to add" in r.out


def test_not_a_vex_document_is_a_policy_error(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"statements": []}', encoding="utf-8")
    r = run_cli("waivers", "import-vex", str(bad), "--results", str(SAMPLE))
    assert r.code == 2 and "neither OpenVEX" in r.err
