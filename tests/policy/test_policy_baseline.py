"""Baselines: fingerprint plus occurrence count, so one known finding never hides a second one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from policydata import EXAMPLE, NOW, code_finding, ok_run, result_of

from secscan.errors import ConfigError
from secscan.model import fingerprint
from secscan.model.findings import Finding, Scope
from secscan.model.results import dumps as results_dumps
from secscan.policy.baseline import Baseline, dumps, load_baseline, loads, write_baseline
from secscan.policy.engine import evaluate
from secscan.policy.models import Policy


def _twins() -> tuple[Finding, ...]:
    """Two identical findings in one file, fingerprinted as the pipeline does."""
    a = code_finding("R1", path="app/db.py", line=10, snippet="cur.execute(q)", fp="")
    b = code_finding("R1", path="app/db.py", line=20, snippet="cur.execute(q)", fp="")
    return fingerprint.assign((a, b), EXAMPLE)


def test_two_identical_findings_against_a_baseline_holding_one(shipped: Policy) -> None:
    first, second = _twins()
    assert first.fingerprint != second.fingerprint  # told apart by occurrence
    known = Baseline.from_findings([first])
    split = known.split([first, second])
    assert [f.location.start_line for f in split.new] == [20]
    assert [f.location.start_line for f in split.known] == [10]

    _, decision = evaluate(
        result_of(ok_run([first, second])), shipped, shipped.profiles["ci"], baseline=known, now=NOW
    )
    assert decision.new_fingerprints == (second.fingerprint,)
    (reason,) = [r for r in decision.reasons if r.rule == "severity:code"]
    assert reason.fingerprints == (second.fingerprint,)
    assert "1 new code finding" in reason.message


def test_one_entry_never_covers_two_findings_with_the_same_fingerprint() -> None:
    """Merged results can repeat a fingerprint; the count, not the set, decides (bandit#1467)."""
    f = code_finding("R1", fp="same")
    g = code_finding("R1", line=2, fp="same")
    assert len(Baseline.from_findings([f]).split([f, g]).new) == 1
    assert Baseline.from_findings([f, g]).split([f, g]).new == ()
    assert Baseline.from_findings([f, g]).counts == {"same": 2}


def test_findings_without_fingerprint_are_always_new() -> None:
    f = replace(code_finding("R1"), fingerprint="")
    assert Baseline.from_findings([f]).split([f]).new == (f,)


def test_baseline_only_discounts_when_the_profile_counts_new_findings(shipped: Policy) -> None:
    first, second = _twins()
    both = Baseline.from_findings([first, second])
    result = result_of(ok_run([first, second]))
    _, ci = evaluate(result, shipped, shipped.profiles["ci"], baseline=both, now=NOW)
    _, release = evaluate(result, shipped, shipped.profiles["release"], baseline=both, now=NOW)
    assert ci.passed and ci.new_fingerprints == ()
    assert not release.passed  # release counts every finding, baseline or not
    # The controls tell the truth either way: known findings still fail them.
    sqli = next(c for c in ci.controls if c.control_id == "A.8.28")
    assert sqli.state.value == "fail"


def test_round_trip_is_stable_and_sorted(tmp_path: Path) -> None:
    first, second = _twins()
    b = Baseline.from_findings([second, first], "x")
    text = dumps(b, NOW)
    again = loads(text, "x")
    assert again.counts == b.counts
    assert dumps(again, NOW) == text
    data = json.loads(text)
    assert data["schema"] == "secscan-baseline"
    keys = [(e["path"], e["scanner"], e["rule_id"], e["fingerprint"]) for e in data["findings"]]
    assert keys == sorted(keys) and len(keys) == 2
    path = tmp_path / "b.json"
    write_baseline(path, b, NOW)
    assert load_baseline(path).counts == b.counts
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]  # no temp file left behind


def test_a_results_file_serves_as_a_baseline(tmp_path: Path) -> None:
    """`--new-since REF` will hand over the merge-base's results: same matching applies."""
    first, second = _twins()
    path = tmp_path / "secscan-results.json"
    path.write_text(results_dumps(result_of(ok_run([first]))), encoding="utf-8")
    b = load_baseline(path)
    assert b.counts == {first.fingerprint: 1}
    assert [f.fingerprint for f in b.split([first, second]).new] == [second.fingerprint]


def test_prune_drops_fixed_findings_and_admits_no_new_ones() -> None:
    first, second = _twins()
    old = Baseline.from_findings([first])
    assert old.pruned([second]).counts == {}
    assert old.pruned([first, second]).counts == {first.fingerprint: 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"schema": "other"}', "not a secscan baseline"),
        ('{"schema": "secscan-baseline", "schema_version": 9, "findings": []}', "version"),
        (
            '{"schema": "secscan-baseline", "schema_version": 1, "findings": [{"count": 1}]}',
            "fingerprint",
        ),
        (
            '{"schema": "secscan-baseline", "schema_version": 1,'
            ' "findings": [{"fingerprint": "a", "count": 0}]}',
            "count",
        ),
    ],
)
def test_broken_baselines_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as e:
        loads(text, "b.json")
    assert e.value.exit_code == 2


def test_a_test_scope_entry_does_not_accept_the_same_flaw_in_source() -> None:
    """Identity keeps scope: moving a flaw from tests/ into the product is a new finding."""
    first, _ = _twins()
    in_tests = replace(first, scope=Scope.TEST)
    in_source = replace(first, scope=Scope.SOURCE)
    known = Baseline.from_findings([in_tests])
    assert known.split([in_source]).new == (in_source,)
    assert known.split([in_tests]).known == (in_tests,)
    # A source entry accepts either; the scope survives the file format.
    both = Baseline.from_findings([in_source])
    assert both.split([in_tests]).known == (in_tests,)
    again = loads(dumps(known, NOW), "b.json")
    assert [e.scope for e in again.entries] == ["test"]
    assert again.split([in_source]).new == (in_source,)
    # An entry without a scope (a file from before scopes were kept) accepts as before.
    legacy = json.loads(dumps(known, NOW))
    del legacy["findings"][0]["scope"]
    assert loads(json.dumps(legacy), "old.json").split([in_source]).known == (in_source,)


def test_a_baseline_scope_must_be_a_known_one() -> None:
    text = json.loads(dumps(Baseline.from_findings([_twins()[0]]), NOW))
    text["findings"][0]["scope"] = "whatever"
    with pytest.raises(ConfigError, match="scope"):
        loads(json.dumps(text), "b.json")
