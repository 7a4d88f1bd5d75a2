"""Malformed config, policy, waiver, baseline and results files, through the real CLI.

Each is refused with exit code 2 and a message that names the file (and, for YAML, the line
and key) before any scanner starts: a gate must never judge with half of its inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from secscan.scan import pipeline


@dataclass(frozen=True)
class Bad:
    id: str
    #: which file: config | policy | waivers | baseline
    kind: str
    text: str
    #: what the error line must contain after the file name (":line [key]: message" parts)
    where: str
    message: str


GATE = "version: 1\ndescription: mine\ngate:\n"
WAIVER = (
    "version: 1\nwaivers:\n  - rule: B602\n    path: app.py\n    reason: reviewed\n"
    "    owner: sec@example.com\n    created: 2026-11-20\n    expires: 2027-01-01\n"
)

CASES = [
    Bad("config-yaml-syntax", "config", "version: 1\nexclude: [a, b\n", ":3", "YAML syntax error"),
    Bad("config-wrong-type", "config", "version: 1\ntimeout: soon\n", ":2 [timeout]", "number"),
    Bad(
        "config-unknown-key",
        "config",
        "version: 1\nscaners: [bandit]\n",
        ":2 [scaners]",
        "unknown key",
    ),
    Bad(
        "config-future-version", "config", "version: 7\n", ":1 [version]", "newer than this secscan"
    ),
    Bad("config-not-a-mapping", "config", "- bandit\n- semgrep\n", ":1", "mapping"),
    Bad("config-binary", "config", "version: 1\n\x00\x01\x02\n", "", "YAML syntax error"),
    Bad("policy-yaml-syntax", "policy", GATE + "  new_only: [true\n", ":5", "YAML syntax error"),
    Bad(
        "policy-wrong-type", "policy", GATE + "  new_only: maybe\n", ":4 [gate.new_only]", "boolean"
    ),
    Bad(
        "policy-unknown-key",
        "policy",
        GATE + "  fail_fast: true\n",
        ":4 [gate.fail_fast]",
        "unknown key",
    ),
    Bad(
        "policy-future-version",
        "policy",
        "version: 2\ndescription: x\n",
        ":1 [version]",
        "policy schema version must be 1",
    ),
    Bad("waivers-yaml-syntax", "waivers", WAIVER + "  - {rule: B101\n", ":10", "YAML syntax error"),
    Bad(
        "waivers-wrong-type",
        "waivers",
        WAIVER.replace("2027-01-01", "soon"),
        ":8 [waivers.0.expires]",
        "date",
    ),
    Bad(
        "waivers-unknown-key",
        "waivers",
        WAIVER + "    approved_by: boss\n",
        ":9 [waivers.0.approved_by]",
        "unknown key",
    ),
    Bad(
        "waivers-future-version",
        "waivers",
        WAIVER.replace("version: 1", "version: 2"),
        ":1 [version]",
        "waivers schema version must be 1",
    ),
    Bad(
        "waivers-missing-owner",
        "waivers",
        WAIVER.replace("    owner: sec@example.com\n", ""),
        ":3 [waivers.0.owner]",
        "Field required",
    ),
    Bad(
        "baseline-json-syntax",
        "baseline",
        '{"schema": "secscan-baseline", "findings": [',
        "",
        "baseline is not JSON",
    ),
    Bad(
        "baseline-wrong-type",
        "baseline",
        '{"schema": "secscan-baseline", "schema_version": 1, "findings": {"a": 1}}',
        " [findings]",
        "must be a list",
    ),
    Bad(
        "baseline-unknown-key",
        "baseline",
        '{"schema": "secscan-baseline", "schema_version": 1, "findings": [{"fingerprnt": "a"}]}',
        " [findings.0.fingerprint]",
        "non-empty string",
    ),
    Bad(
        "baseline-future-version",
        "baseline",
        '{"schema": "secscan-baseline", "schema_version": 2, "findings": []}',
        " [schema_version]",
        "not one this secscan reads",
    ),
    Bad(
        "baseline-count-zero",
        "baseline",
        '{"schema": "secscan-baseline", "schema_version": 1,'
        ' "findings": [{"fingerprint": "a", "count": 0}]}',
        " [findings.0.count]",
        ">= 1",
    ),
]


@pytest.fixture
def no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any of these mistakes must stop secscan before a scanner starts."""

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("a scanner ran although an input file was malformed")

    monkeypatch.setattr(pipeline, "scan", refuse)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_file_exits_2_naming_file_line_and_key(
    tmp_path: Path, run_cli, no_scan: None, case: Bad
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text("print('hi')\n")
    args = ["scan", str(root), "--output-dir", str(tmp_path / "out")]
    if case.kind == "config":
        path = root / ".secscan.yaml"
    elif case.kind == "policy":
        path = tmp_path / "policy" / "gates" / "mine.yaml"
        args += ["--policy", str(tmp_path / "policy"), "--profile", "mine"]
    elif case.kind == "waivers":
        path = tmp_path / "waivers.yaml"
        args += ["--waivers", str(path)]
    else:
        path = tmp_path / "baseline.json"
        args += ["--baseline", str(path)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case.text, encoding="utf-8")

    res = run_cli(*args)

    assert res.code == 2, res.err
    assert res.out == ""
    (line,) = [ln for ln in res.err.splitlines() if ln.startswith("secscan: error: ")]
    assert line.startswith(f"secscan: error: {path}{case.where}: "), line
    assert case.message in line
    assert not (tmp_path / "out").exists()  # no report claims anything about this scan


RESULTS_CASES = {
    "not-json": ("{not json", "not JSON"),
    "truncated": ('{"schema": "secscan-results", "schema_version": 1, "result": {"ro', "not JSON"),
    "other-schema": ('{"schema": "sarif"}', "not a secscan results file"),
    "future-version": (
        '{"schema": "secscan-results", "schema_version": 2, "result": {}}',
        "results schema version 2 is not one this secscan reads",
    ),
    "wrong-types": (
        json.dumps(
            {
                "schema": "secscan-results",
                "schema_version": 1,
                "result": {"root": "/r", "started_at": "yesterday", "secscan_version": "0"},
            }
        ),
        "invalid results file",
    ),
    "not-utf8": (b"\xff\xfe\x00garbage", "cannot read"),
}


@pytest.mark.parametrize("command", ["gate", "report"])
@pytest.mark.parametrize("case", sorted(RESULTS_CASES))
def test_untrusted_results_file_exits_2(tmp_path: Path, run_cli, command: str, case: str) -> None:
    """`gate --from` and `report --from` read files anyone can hand them: refused, not trusted."""
    text, message = RESULTS_CASES[case]
    path = tmp_path / "secscan-results.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    extra = ["--output", str(out / "r.json")] if command == "gate" else ["--output-dir", str(out)]
    res = run_cli(command, "--from", str(path), *extra)
    assert res.code == 2, (res.out, res.err)
    assert str(path) in res.err and message in res.err
    assert "gate PASSED" not in res.out
    assert not out.exists()
