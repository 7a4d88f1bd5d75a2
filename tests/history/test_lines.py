"""Trends in SQL (history.lines) equal trends from every run read back (store.load + compute),
on random lines of history with gaps, reopenings, failed scanners, files left unassessed,
waivers that expire, severities that change; on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from secscan.history import lines
from secscan.history.lifecycle import lifecycles
from secscan.history.model import Run, ScannerRecord, Seen, Source, WaiverInForce
from secscan.history.store import SqlStore
from secscan.history.trends import compute
from secscan.model.findings import RunStatus, Severity

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
REPO = "https://example.org/lines.git"
FILES = ("a.py", "b.py", "c.py", "d.py")


def _seen(rng: random.Random, fp: str, waiver: str | None) -> Seen:
    scanner = "bandit" if int(fp, 16) % 3 else "semgrep"
    return Seen(
        fingerprint=fp,
        scanner=scanner,
        rule_id=f"R{int(fp, 16) % 7}",
        kind="code",
        title=f"title {fp}",
        severity=rng.choice(list(Severity)),
        path=FILES[int(fp, 16) % len(FILES)],
        start_line=rng.randint(1, 40),
        controls=("iso27001-2022:A.8.28",) if rng.random() < 0.5 else (),
        waiver=waiver,
    )


def _scanners(rng: random.Random) -> tuple[ScannerRecord, ...]:
    out = []
    for name in ("bandit", "semgrep"):
        failed = rng.random() < 0.12
        paths = tuple(p for p in FILES if rng.random() < 0.85)
        out.append(
            ScannerRecord(
                name,
                "code",
                RunStatus.ERROR if failed else RunStatus.OK,
                "1",
                "boom" if failed else None,
                () if failed else paths,
            )
        )
    return tuple(out)


def random_line(seed: int, runs: int = 24, pool: int = 14) -> list[Run]:
    rng = random.Random(seed)
    fps = [f"{i + 1:032x}" for i in range(pool)]
    out = []
    for n in range(runs):
        at = T0 + timedelta(days=n, hours=rng.randint(0, 3))
        # A waiver that is in force, one that is expired, one that runs out mid-line.
        waivers = (
            WaiverInForce("W-1", "sec", date(2026, 12, 31), False, "accepted"),
            WaiverInForce("W-2", "sec", date(2025, 1, 1), True, "old"),
            WaiverInForce("W-3", "sec", (T0 + timedelta(days=runs // 2)).date(), False, "soon"),
        )
        present = [fp for fp in fps if rng.random() < 0.6]
        findings = tuple(
            _seen(rng, fp, rng.choice([None, None, None, "W-1", "W-2", "W-3"])) for fp in present
        )
        controls = tuple(
            (f"iso27001-2022:A.8.{i}", rng.choice(["pass", "fail", "not-assessed"]))
            for i in range(rng.randint(0, 4))
        )
        out.append(
            Run(
                repository=REPO,
                at=at,
                started_at=at,
                secscan_version="t",
                source=Source.CI,
                branch="main",
                commit=f"{n:040x}",
                profile="ci",
                outcome=rng.choice(["pass", "fail"]),
                deadlines=((Severity.CRITICAL, 3), (Severity.HIGH, 10)) if n % 5 == 0 else None,
                scanners=_scanners(rng),
                findings=findings,
                waivers=waivers,
                controls=controls,
            )
        )
    return out


@pytest.mark.parametrize(
    ("seed", "backfilled"),
    # Recorded in order (aggregates over a finding's runs), and backfilled: recorded out of
    # order, as `history import` may (window functions over the line's runs).
    [(1, False), (2, False), (3, False), (4, True), (5, True)],
)
def test_trends_in_sql_equal_trends_from_every_run(
    history_url: str, seed: int, backfilled: bool
) -> None:
    store = SqlStore.open(history_url)
    line_runs = random_line(seed)
    if backfilled:
        random.Random(seed).shuffle(line_runs)
    try:
        for run in line_runs:
            store.record(run)
        # A second branch and repository must not leak into the line.
        for run in random_line(seed + 100, runs=5):
            store.record(Run(**{**_fields(run), "branch": "feature"}))
        now = T0 + timedelta(days=40)
        loaded = store.load(REPO, "main")
        expected = compute(loaded, now)
        got = lines.trends(store, REPO, "main", now)
        with store.engine.connect() as conn:
            line = lines.read(conn, REPO, "main")
    finally:
        store.close()
    assert got == expected
    assert line is not None
    assert line.lifecycles(now) == lifecycles(loaded, now)
    assert expected.runs[-1].open_total > 0
    assert any(p.fixed for p in expected.runs) and any(p.reopened for p in expected.runs)


def test_no_line_no_trends(history_url: str) -> None:
    store = SqlStore.open(history_url)
    try:
        store.record(random_line(5, runs=2)[0])
        assert lines.trends(store, REPO, "other", T0) is None
        assert lines.trends(store, "nowhere", "main", T0) is None
    finally:
        store.close()


def _fields(run: Run) -> dict[str, object]:
    return {name: getattr(run, name) for name in Run.__slots__}
