"""The last fleet run of a repository's branch: what a fleet job compares with to skip it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from secscan.history.lastscan import last_scan
from secscan.history.model import Run, ScannerRecord, Source
from secscan.history.store import SqlStore
from secscan.model.findings import RunStatus

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
REPO = "https://example.org/shop.git"


def fleet_run(day: int, commit: str, digest: str, **kw: object) -> Run:
    run = Run(
        repository=REPO,
        at=T0 + timedelta(days=day),
        started_at=T0 + timedelta(days=day),
        secscan_version="0.test",
        source=Source.FLEET,
        branch="main",
        commit=commit,
        profile="ci",
        outcome="pass",
        scanners=(
            ScannerRecord("bandit", "code", RunStatus.OK, "1.8.6"),
            ScannerRecord("semgrep", "code", RunStatus.SKIPPED, None),
        ),
        settings_digest=digest,
    )
    return replace(run, **kw)  # type: ignore[arg-type]


def test_the_newest_fleet_run_of_the_branch_decides(history_url: str) -> None:
    store = SqlStore.open(history_url)
    try:
        assert last_scan(store, REPO, "main") is None
        store.record(fleet_run(0, "a" * 40, "d1"))
        store.record(fleet_run(1, "b" * 40, "d1"))
        # Not the fleet's (a CI run), another branch: neither is the fleet's last scan.
        store.record(fleet_run(2, "c" * 40, "d1", source=Source.CI))
        store.record(fleet_run(3, "d" * 40, "d1", branch="dev"))
        last = last_scan(store, REPO, "main")
    finally:
        store.close()
    assert last is not None and last.commit == "b" * 40
    assert last.tools == {"bandit": "1.8.6", "semgrep": None}
    tools = {"bandit": "1.8.6", "semgrep": "1.99"}
    assert last.same("b" * 40, "d1", tools)
    # A new commit, other settings or another installed bandit: scanned again.
    assert not last.same("e" * 40, "d1", tools)
    assert not last.same("b" * 40, "d2", tools)
    assert not last.same("b" * 40, "d1", {**tools, "bandit": "1.9.0"})


def test_a_run_whose_scanner_failed_is_never_taken_as_a_result(history_url: str) -> None:
    failed = (ScannerRecord("bandit", "code", RunStatus.ERROR, "1.8.6", "timed out"),)
    store = SqlStore.open(history_url)
    try:
        store.record(fleet_run(0, "a" * 40, "d1", scanners=failed))
        last = last_scan(store, REPO, "main")
    finally:
        store.close()
    assert last is not None and last.state == "incomplete"
    assert not last.same("a" * 40, "d1", {"bandit": "1.8.6"})
