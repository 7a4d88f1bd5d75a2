"""The dashboard's aggregate queries on SQLite and PostgreSQL, checked against arithmetic over
the runs the fleet recorded (fleetdata) and against `history trends`' own lifecycles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fleetdata import CONTROLS, NOW, REPOS, T0, Fleet, build

from secscan.history import fleetview as fv
from secscan.history.lifecycle import lifecycles
from secscan.history.model import Run
from secscan.history.store import SqlStore
from secscan.history.trends import compute


@pytest.fixture
def recorded(history_url: str) -> Iterator[tuple[SqlStore, Fleet]]:
    store = SqlStore.open(history_url)
    try:
        yield store, build(store)
    finally:
        store.close()


def _open(run: Run) -> tuple[int, ...]:
    counts = Counter(f.severity.value for f in run.findings if f.waiver is None)
    return tuple(counts.get(s, 0) for s in fv.SEVERITIES)


def test_posture_is_each_repositorys_newest_run(recorded: tuple[SqlStore, Fleet]) -> None:
    store, fleet = recorded
    with store.engine.connect() as conn:
        total, rows = fv.posture(conn, now=NOW, sort="repository", descending=False)
    assert total == len(REPOS)
    assert [r.repository for r in rows] == sorted(fleet.runs)
    for row in rows:
        runs = fleet.runs[row.repository]
        newest = runs[-1]
        assert row.at == newest.at and row.branch == "main"
        assert row.outcome == newest.outcome
        assert row.open == _open(newest)
        assert row.failures == sum(1 for s in newest.scanners if s.status.value != "ok")
        assert row.status == newest.state.value
        # SLA breaches: what `history trends` lists as past its deadline at the same moment.
        breaches = compute(store.load(row.repository, "main"), NOW).breaches
        assert row.breaches == len(breaches)
        assert dict(row.tags) == fleet.tags[row.repository]
    assert any(r.breaches for r in rows) and any(r.failures for r in rows)
    assert any(sum(r.open) != len(fleet.runs[r.repository][-1].findings) for r in rows)  # waived


def test_posture_sorts_filters_and_pages_in_sql(recorded: tuple[SqlStore, Fleet]) -> None:
    store, fleet = recorded
    with store.engine.connect() as conn:
        _, by_critical = fv.posture(conn, now=NOW, sort="critical")
        crit = [r.open[0] for r in by_critical]
        assert crit == sorted(crit, reverse=True)
        _, oldest_first = fv.posture(conn, now=NOW, sort="age", descending=False)
        assert [r.at for r in oldest_first] == sorted(r.at for r in oldest_first)
        total, team = fv.posture(conn, now=NOW, tag=fv.Tag("team", "payments"))
        assert total == 2 and {r.repository for r in team} == {
            i for i, tags in fleet.tags.items() if tags.get("team") == "payments"
        }
        total, found = fv.posture(conn, now=NOW, search="alert(")
        assert total == 1 and "<script>" in found[0].repository
        # A LIKE wildcard in the search is a literal.
        assert fv.posture(conn, now=NOW, search="%")[0] == 0
        names = []
        for page in range(3):
            total, rows = fv.posture(
                conn, now=NOW, sort="repository", descending=False, offset=page * 2, limit=2
            )
            names += [r.repository for r in rows]
        assert total == 6 and names == sorted(fleet.runs)
        with pytest.raises(ValueError, match="unknown sort"):
            fv.posture(conn, now=NOW, sort="identity; drop table runs")


def test_changes_add_up_the_lifecycles_of_every_line(recorded: tuple[SqlStore, Fleet]) -> None:
    store, fleet = recorded
    since, until = T0 - timedelta(days=1), NOW + timedelta(days=1)
    expected_opened: Counter[str] = Counter()
    expected_fixed: Counter[str] = Counter()
    for identity in fleet.runs:
        runs = store.load(identity, "main")
        for life in lifecycles(runs, NOW).values():
            for ep in life.episodes:
                expected_opened[ep.severity.value] += 1
                if ep.fixed_run is not None:
                    expected_fixed[ep.severity.value] += 1
    with store.engine.connect() as conn:
        days = fv.changes_by_day(conn, since=since, until=until)
        teams = fv.changes_by_tag(conn, key="team", since=since, until=until)
        payments = fv.changes_by_day(conn, since=since, until=until, tag=fv.Tag("team", "payments"))
        later = fv.changes_by_day(conn, since=T0 + timedelta(weeks=4), until=until)
    opened, fixed = Counter[str](), Counter[str]()
    for c in days:
        opened[c.severity] += c.opened
        fixed[c.severity] += c.fixed
        assert c.day.count("-") == 2
    assert opened == expected_opened and fixed == expected_fixed
    assert {d.day for d in days} == {
        f"{r.at:%Y-%m-%d}" for runs in fleet.runs.values() for r in runs
    }
    assert sum(g.opened for g in teams) == sum(expected_opened.values())
    assert {g.group for g in teams} == {"payments", "identity", "<b>web</b>", "data", ""}
    assert 0 < sum(c.opened for c in payments) < sum(expected_opened.values())
    assert all(c.day >= f"{T0 + timedelta(weeks=4):%Y-%m-%d}" for c in later)
    assert all(g.mean_days is None or g.mean_days > 0 for g in teams)


def test_control_states_of_the_newest_runs(recorded: tuple[SqlStore, Fleet]) -> None:
    store, fleet = recorded
    expected = Counter(
        (c, s) for runs in fleet.runs.values() for c, s in runs[-1].controls if c.startswith("iso")
    )
    with store.engine.connect() as conn:
        counts = fv.control_counts(conn, framework="iso27001-2022")
        assert fv.frameworks(conn) == ["gdpr", "iso27001-2022"]
        total, repos, cells = fv.control_grid(conn, framework="iso27001-2022", limit=4)
        _, rest, more = fv.control_grid(conn, framework="iso27001-2022", offset=4, limit=4)
    assert Counter({(c.control, c.state): c.repositories for c in counts}) == expected
    assert total == 6 and len(repos) == 4 and len(rest) == 2
    newest = {i: runs[-1] for i, runs in fleet.runs.items()}
    for cell in cells + more:
        assert (cell.control, cell.state) in newest[cell.repository].controls
        assert cell.control in CONTROLS
    assert len(cells + more) == sum(expected.values())


def test_one_run_drill_down(recorded: tuple[SqlStore, Fleet]) -> None:
    store, fleet = recorded
    identity = REPOS[0][0]
    with store.engine.connect() as conn:
        _, rows = fv.posture(conn, now=NOW, search="payments/api")
        run_id = rows[0].run_id
        facts = fv.run_facts(conn, run_id)
        total, findings = fv.run_findings(conn, run_id, limit=3)
        _, rest = fv.run_findings(conn, run_id, offset=3, limit=100)
        scanners = fv.run_scanners(conn, run_id)
        controls = fv.run_controls(conn, run_id)
        assert fv.run_facts(conn, 10**9) is None
        runs_total, runs = fv.repository_runs(conn, rows[0].repository_id, limit=3)
    newest = fleet.runs[identity][-1]
    assert facts is not None and facts.repository == identity and facts.commit == newest.commit
    assert facts.deadlines == {s.value: d for s, d in newest.deadlines or ()}
    got = findings + rest
    assert total == len(newest.findings) == len(got)
    assert {f.fingerprint for f in got} == {f.fingerprint for f in newest.findings}
    ranks = [fv.SEVERITIES.index(f.severity) for f in got]
    assert ranks == sorted(ranks)
    assert any(f.waiver == "W-1" for f in got)
    assert [s.scanner for s in scanners] == ["bandit", "semgrep"]
    assert controls == sorted(newest.controls)
    assert runs_total == len(fleet.runs[identity]) and runs[0][0] == run_id
