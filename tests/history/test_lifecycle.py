"""Finding lifecycles from real bandit scans of a real git repository, on both back ends.

The repository's story (one scan per step, the clock pinned to the step's day):
  1 day 0   a.py (pickle: B403, B301) and b.py (subprocess shell=True: B404, B602)
  2 day 3   a.py fixed                                -> a.py's findings fixed
  3 day 5   three lines inserted above b.py's code    -> same fingerprints, nothing new
  4 day 8   a.py's flaw back; a waiver for B301 until day 9 -> reopened; B301 waived
  5 day 10  b.py fixed, but bandit fails              -> nothing fixed, run incomplete
  6 day 11  same commit, b.py excluded                -> nothing fixed
  7 day 12  same commit, a clean scan                 -> b.py's findings fixed; the waiver
                                                         expired, so B301 is open again
"""

from __future__ import annotations

import os
import random
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secscan.app import settings
from secscan.history.lifecycle import EventKind, State, lifecycles
from secscan.history.model import Run, RunState, Source, from_saved
from secscan.history.store import SqlStore
from secscan.history.trends import compute
from secscan.model.findings import RunStatus
from secscan.model.results import SavedResults, dumps
from secscan.policy import judge
from secscan.scan import pipeline
from secscan.settings.config import Config

pytestmark = pytest.mark.integration

DAY0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REPO_ID = "lifecycle-repo"

A_BAD = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n"
A_GOOD = "import json\n\n\ndef load(blob):\n    return json.loads(blob)\n"
B_BAD = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
B_MOVED = "# a\n# b\nVALUE = 1\n" + B_BAD
B_GOOD = "def run(cmd):\n    return cmd\n"


@dataclass(frozen=True)
class Step:
    day: int
    saved: SavedResults
    file: Path


def _git(root: Path, *args: str, day: int = 0) -> None:
    when = (DAY0 + timedelta(days=day)).isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> list[Step]:
    root = tmp_path_factory.mktemp("repo")
    out = tmp_path_factory.mktemp("results")
    waivers = out / "waivers.yaml"
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@example.org")
    _git(root, "config", "user.name", "T")
    steps: list[Step] = []

    def step(
        day: int, files: dict[str, str], *, exclude: tuple[str, ...] = (), waiver: bool = False
    ) -> None:
        changed = False
        for name, text in files.items():
            path = root / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                changed = True
        if changed:
            _git(root, "add", "-A", day=day)
            _git(root, "commit", "-q", "-m", f"day {day}", day=day)
        when = DAY0 + timedelta(days=day)
        config = Config(exclude=exclude, base_dir=root, cache=False)
        result = pipeline.scan(
            root, config, scanner_names=["bandit"], clock=lambda: when, use_cache=False
        )
        inputs = settings.resolve(
            root,
            config,
            profile="ci",
            policy_dir=None,
            waivers=waivers if waiver else None,
            baseline=None,
            catalog=settings.default_catalog(),
        )
        result, decision = judge.judge(result, inputs, when)
        saved = SavedResults(result, decision)
        file = out / f"step-{len(steps) + 1}.json"
        file.write_text(dumps(result, decision))
        steps.append(Step(day, saved, file))

    step(0, {"a.py": A_BAD, "b.py": B_BAD})
    step(3, {"a.py": A_GOOD})
    step(5, {"b.py": B_MOVED})
    created = (DAY0 + timedelta(days=7)).date().isoformat()
    expires = (DAY0 + timedelta(days=9)).date().isoformat()
    waivers.write_text(
        "version: 1\nwaivers:\n  - id: W-pickle\n    rule: B301\n    path: a.py\n"
        f"    reason: trusted blobs only\n    owner: alice@example.org\n"
        f"    created: {created}\n    expires: {expires}\n"
    )
    step(8, {"a.py": A_BAD}, waiver=True)
    os.environ["SECSCAN_TOOL_BANDIT"] = "/bin/false"
    try:
        step(10, {"b.py": B_GOOD}, waiver=True)
    finally:
        del os.environ["SECSCAN_TOOL_BANDIT"]
    step(11, {}, exclude=("b.py",), waiver=True)
    step(12, {}, waiver=True)
    return steps


def _fp(saved: SavedResults, rule: str) -> str:
    return next(f.fingerprint for f in saved.result.findings if f.rule_id == rule)


def _record(url: str, steps: list[Step]) -> list[Run]:
    s = SqlStore.open(url)
    try:
        for st in steps:
            s.record(from_saved(st.saved, repository=REPO_ID, source=Source.CI, branch="main"))
        return s.load(REPO_ID, "main")
    finally:
        s.close()


def test_the_scans_saw_what_the_story_says(story: list[Step]) -> None:
    rules = [sorted({f.rule_id for f in st.saved.result.findings}) for st in story]
    assert rules[0] == ["B301", "B403", "B404", "B602"]
    assert rules[1] == ["B404", "B602"]
    assert rules[4] == []  # bandit failed
    assert story[4].saved.result.runs[0].status is RunStatus.ERROR
    assert rules[5] == ["B301", "B403"]  # b.py excluded
    assert rules[6] == ["B301", "B403"]
    # Moved lines: b.py's findings moved down three lines and kept their fingerprints.
    first, moved = story[0].saved, story[2].saved
    assert _fp(first, "B602") == _fp(moved, "B602")
    line = {
        st: next(f for f in st.result.findings if f.rule_id == "B602").location.start_line
        for st in (first, moved)
    }
    assert line[moved] == line[first] + 3  # type: ignore[operator]


def test_lifecycle_fixed_reopened_moved_not_scanned_waived(
    history_url: str, story: list[Step]
) -> None:
    runs = _record(history_url, story)
    assert [r.state for r in runs] == [RunState.COMPLETE] * 4 + [RunState.INCOMPLETE] + [
        RunState.COMPLETE
    ] * 2
    ids = [r.id for r in runs]
    first = story[0].saved
    b301, b403, b602, b404 = (_fp(first, r) for r in ("B301", "B403", "B602", "B404"))

    # After step 4 (day 8): a.py's findings reopened, B301 waived by alice until day 9.
    at4 = lifecycles(runs[:4], DAY0 + timedelta(days=8))
    assert at4[b403].state is State.REOPENED
    assert at4[b301].state is State.WAIVED
    assert at4[b301].waiver is not None and at4[b301].waiver.owner == "alice@example.org"
    # Moved lines: b.py's findings are still the ones first seen on day 0, never new again.
    assert at4[b602].first_seen == DAY0 and at4[b602].state is State.OPEN
    assert [e.kind for e in at4[b602].events] == [EventKind.NEW]

    now = DAY0 + timedelta(days=12)
    lives = lifecycles(runs, now)
    a = lives[b403]
    # Absent from the failed run 5: not scanned, and not fixed.
    assert [e.kind for e in a.events] == [
        EventKind.NEW,
        EventKind.FIXED,
        EventKind.REOPENED,
        EventKind.NOT_SCANNED,
    ]
    assert a.events[-1].run_id == ids[4]
    assert a.episodes[0].fixed_run == ids[1] and a.episodes[0].days_to_fix == 3.0
    assert a.state is State.REOPENED and a.open_since == DAY0 + timedelta(days=8)

    # The waiver expired on day 9: from day 10 on B301 is open, with its owner history kept.
    w = lives[b301]
    assert w.state is State.REOPENED and w.waiver is None
    assert EventKind.WAIVED in [e.kind for e in w.events]
    assert EventKind.UNWAIVED in [e.kind for e in w.events]

    # b.py: not fixed by the failed run (5) nor the run that excluded it (6); fixed by 7.
    for fp in (b602, b404):
        life = lives[fp]
        assert life.state is State.FIXED
        assert life.fixed_at == DAY0 + timedelta(days=12)
        assert life.episodes[-1].fixed_run == ids[6]
        reasons = [e.detail for e in life.events if e.kind is EventKind.NOT_SCANNED]
        assert reasons == ["bandit error", "bandit did not assess b.py"]
    assert lives[b602].episodes[0].days_to_fix == 12.0


def test_trends_count_new_fixed_open_and_time_to_fix(history_url: str, story: list[Step]) -> None:
    runs = _record(history_url, story)
    tr = compute(runs, DAY0 + timedelta(days=40))
    assert [(p.new, p.fixed, p.reopened) for p in tr.runs] == [
        (4, 0, 0),
        (0, 2, 0),
        (0, 0, 0),
        (2, 0, 2),
        (0, 0, 0),
        (0, 0, 0),
        (0, 2, 0),
    ]
    # Run 5 saw nothing (bandit failed): the counts stand. From run 6 (day 11) the waiver
    # has expired and B301 counts as open again.
    assert [p.open_total for p in tr.runs] == [4, 2, 2, 3, 3, 4, 2]
    assert [p.waived for p in tr.runs] == [0, 0, 0, 1, 1, 0, 0]
    assert [p.complete for p in tr.runs] == [True, True, True, True, False, True, True]
    mttr = {r.severity.value: (r.fixes, r.mean_days) for r in tr.remediation}
    # Bandit rates B403/B404 low, B301 medium, B602 high.
    assert mttr["high"] == (1, 12.0)
    assert mttr["low"] == (2, 7.5)
    assert mttr["medium"] == (1, 3.0)
    assert tr.summary_line() == "+0 new, \u22122 fixed since the last run on main"
    # Day 40: the medium B301 (open since day 8, deadline 90) is within; the low B403 too.
    assert tr.breaches == ()
    late = compute(runs, DAY0 + timedelta(days=8 + 91))
    assert [f.severity.value for f in late.breaches] == ["medium"]
    assert late.breaches[0].overdue_days == pytest.approx(1.0)


def test_import_orders_results_files_by_commit_date(
    history_url: str, story: list[Step], run_cli: object
) -> None:
    files = [str(st.file) for st in story]
    random.Random(4).shuffle(files)
    res = run_cli("history", "import", *files, "--history", history_url, "--repository", REPO_ID)  # type: ignore[operator]
    assert res.code == 0, res.err
    assert "imported 7 run(s)" in res.out
    again = run_cli("history", "import", *files, "--history", history_url, "--repository", REPO_ID)  # type: ignore[operator]
    assert "imported 0 run(s); 7 already recorded" in again.out
    s = SqlStore.open(history_url)
    try:
        runs = s.load(REPO_ID, "main")
    finally:
        s.close()
    assert [r.at.date() for r in runs] == [
        (DAY0 + timedelta(days=d)).date() for d in (0, 3, 5, 8, 10, 10, 10)
    ]
    lives = lifecycles(runs, DAY0 + timedelta(days=12))
    b602 = _fp(story[0].saved, "B602")
    assert lives[b602].state is State.FIXED
    assert [e.kind for e in lives[_fp(story[0].saved, "B403")].events][:3] == [
        EventKind.NEW,
        EventKind.FIXED,
        EventKind.REOPENED,
    ]
