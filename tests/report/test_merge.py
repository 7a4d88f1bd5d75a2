"""Merging saved results: every run and error kept, findings once, decisions fail closed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from reportdata import ROOT, empty_saved, fp, rich_saved

from secscan.app.merge import merge
from secscan.errors import UsageError
from secscan.model.decision import ControlState, Outcome
from secscan.model.findings import RunStatus
from secscan.model.results import SavedResults, dumps, loads


def shard(saved: SavedResults, scanners: set[str]) -> SavedResults:
    runs = tuple(r for r in saved.result.runs if r.scanner in scanners)
    return SavedResults(replace(saved.result, runs=runs), saved.decision)


def test_shards_of_one_tree_keep_every_run_and_error() -> None:
    full = rich_saved()
    a = shard(full, {"bandit", "semgrep"})
    b = shard(full, {"pip-audit", "iac", "secrets", "image"})
    merged = merge([a, b])
    assert merged.result.root == ROOT
    names = sorted(r.scanner for r in merged.result.runs)
    assert names == sorted(r.scanner for r in full.result.runs)
    assert [r.scanner for r in merged.result.failed_runs] == ["semgrep"]
    fps = {f.fingerprint for f in merged.result.findings}
    assert fps == {f.fingerprint for f in full.result.findings}
    # The merged file round-trips like any results file.
    again = loads(dumps(merged.result, merged.decision))
    assert again.result.findings == merged.result.findings


def test_duplicate_findings_are_kept_once_but_both_runs_stay() -> None:
    full = rich_saved()
    merged = merge([full, full])
    assert len(merged.result.findings) == len(full.result.findings)
    assert len(merged.result.runs) == 2 * len(full.result.runs)
    assert merged.decision is not None
    assert len(merged.decision.reasons) == len(full.decision.reasons)  # type: ignore[union-attr]


def test_decision_fails_if_any_part_failed_or_was_not_judged() -> None:
    passing = empty_saved()
    merged = merge([passing, passing])
    assert merged.decision is not None and merged.decision.outcome is Outcome.PASS
    merged = merge([passing, rich_saved()])
    assert merged.decision is not None and merged.decision.outcome is Outcome.FAIL
    unjudged = SavedResults(passing.result, None)
    merged = merge([passing, unjudged])
    assert merged.decision is not None and merged.decision.outcome is Outcome.FAIL
    assert any(r.rule == "merge-unjudged" for r in merged.decision.reasons)
    assert merge([unjudged, unjudged]).decision is None


def test_controls_merge_worst_state_and_union_evidence() -> None:
    full = rich_saved()
    assert full.decision is not None
    passed = replace(
        full.decision,
        controls=tuple(
            replace(c, state=ControlState.PASS, fingerprints=()) if c.control_id == "A.8.20" else c
            for c in full.decision.controls
        ),
    )
    merged = merge([full, SavedResults(full.result, passed)])
    assert merged.decision is not None
    states = {c.control_id: c.state for c in merged.decision.controls}
    # Same tree: the shard that assessed A.8.20 assessed it for both.
    assert states["A.8.20"] is ControlState.PASS
    assert states["A.8.28"] is ControlState.FAIL


def test_parts_from_different_roots_are_rerooted_and_rekeyed() -> None:
    a = rich_saved()
    b_result = replace(a.result, root="/src/other")
    b = SavedResults(b_result, a.decision)
    a = SavedResults(replace(a.result, root="/src/shop"), a.decision)
    merged = merge([a, b])
    assert merged.result.root == "/src"
    paths = {f.location.path for f in merged.result.findings}
    assert "shop/app/db.py" in paths and "other/app/db.py" in paths
    # Same file content in two parts is two findings, each with its own fingerprint.
    fps = [f.fingerprint for f in merged.result.findings]
    assert len(fps) == len(set(fps)) == 2 * len(rich_saved().result.findings)
    # The decision follows: waivers and controls point at the re-keyed findings.
    d = merged.decision
    assert d is not None
    (active,) = [w for w in d.waivers if not w.expired]
    assert set(active.fingerprints) <= set(fps) and len(active.fingerprints) == 2
    assert any("different roots" in w for w in d.warnings)
    old = fp(rich_saved().result, "B608")
    assert old not in fps
    # Not analyzed files moved with their part.
    assert {n.path for r in merged.result.runs for n in r.not_analyzed} == {
        "shop/app/broken.py",
        "other/app/broken.py",
    }


def test_different_roots_not_assessed_part_keeps_control_from_passing() -> None:
    full = rich_saved()
    assert full.decision is not None
    passed = replace(
        full.decision,
        controls=tuple(
            replace(c, state=ControlState.PASS) if c.control_id == "A.8.20" else c
            for c in full.decision.controls
        ),
    )
    a = SavedResults(replace(full.result, root="/src/a"), passed)
    b = SavedResults(replace(full.result, root="/src/b"), full.decision)
    merged = merge([a, b])
    assert merged.decision is not None
    states = {c.control_id: c.state for c in merged.decision.controls}
    assert states["A.8.20"] is ControlState.NOT_ASSESSED


def test_nothing_to_merge_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        merge([])


def test_merge_keeps_error_run_even_when_another_shard_ran_the_scanner() -> None:
    full = rich_saved()
    ok_semgrep = SavedResults(
        replace(
            full.result,
            runs=tuple(
                replace(r, status=RunStatus.OK, error=None)
                for r in full.result.runs
                if r.scanner == "semgrep"
            ),
        ),
        None,
    )
    merged = merge([full, ok_semgrep])
    semgrep_runs = [r for r in merged.result.runs if r.scanner == "semgrep"]
    assert [r.status for r in semgrep_runs] == [RunStatus.ERROR, RunStatus.OK]
