"""One fleet job's failures: every one a result, recorded once, or retried when nothing was."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan.fleet.job import Status, execute
from secscan.fleet.manifest import Target
from secscan.history.store import SqlStore

pytestmark = pytest.mark.integration  # the job asks the installed scanners their versions


def _target(tmp_path: Path) -> Target:
    return Target(
        name="gone",
        source=(tmp_path / "gone").as_uri(),
        branch="main",
        profile="ci",
        settings={"scanners": ["bandit"]},
        tags={"team": "core"},
        base_dir=str(tmp_path),
    )


def _runs(url: str) -> int:
    store = SqlStore.open(url)
    try:
        return len(store.runs())
    finally:
        store.close()


def test_a_queued_attempt_that_cannot_fetch_records_nothing_until_the_last(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    target = _target(tmp_path)
    early = execute(target, url, tmp_path / "work", record_failures=False)
    assert early.status is Status.ERROR and early.exit_code == 3 and not early.recorded
    assert "ls-remote failed" in early.message
    assert _runs(url) == 0  # a retry follows: nothing recorded yet
    last = execute(target, url, tmp_path / "work", record_failures=True)
    assert last.status is Status.ERROR and last.recorded
    store = SqlStore.open(url)
    try:
        (run,) = store.load(target.identity, "main")
        assert store.tags(target.identity) == {target.identity: {"team": "core"}}
    finally:
        store.close()
    assert run.state.value == "incomplete" and run.commit is None
    assert [(s.scanner, s.status.value) for s in run.scanners] == [("fetch", "error")]


def test_an_unreachable_history_is_an_unrecorded_error(tmp_path: Path) -> None:
    target = _target(tmp_path)
    done = execute(target, "postgresql://nobody@127.0.0.1:9/none", tmp_path / "work")
    assert done.status is Status.ERROR and not done.recorded
