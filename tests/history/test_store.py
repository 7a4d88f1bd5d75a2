"""The store on both back ends: migrations, a round trip, atomic runs, two writers at once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from secscan.history import schema, store
from secscan.history.model import Run, ScannerRecord, Seen, Source, WaiverInForce
from secscan.history.store import HistoryError, SqlStore, engine_url, shown
from secscan.model.findings import RunStatus, Severity

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: A stand-in password: it must never appear in any message.
MARK = "hunter" + "2"


def with_password(scheme: str, rest: str) -> str:
    return f"{scheme}://u:{MARK}@{rest}"


def seen(fp: str, path: str = "a.py", severity: Severity = Severity.HIGH, **kw: object) -> Seen:
    return Seen(
        fingerprint=fp,
        scanner="bandit",
        rule_id="B602",
        kind="code",
        title="subprocess with shell",
        severity=severity,
        path=path,
        start_line=3,
        **kw,  # type: ignore[arg-type]
    )


def make_run(day: int, findings: tuple[Seen, ...], *, paths: tuple[str, ...] = ("a.py",)) -> Run:
    return Run(
        repository="https://example.org/shop.git",
        at=T0 + timedelta(days=day),
        started_at=T0 + timedelta(days=day),
        secscan_version="0.test",
        source=Source.CI,
        branch="main",
        commit=f"{day:040x}",
        profile="ci",
        outcome="fail",
        deadlines=((Severity.HIGH, 30),),
        scanners=(ScannerRecord("bandit", "code", RunStatus.OK, "1.8", None, paths),),
        findings=findings,
        controls=(("iso27001-2022:A.8.28", "fail"),),
    )


def test_upgrade_from_empty_gives_the_declared_schema(history_url: str) -> None:
    s = SqlStore.open(history_url)
    try:
        assert s.revision() == store.head_revision() == "0004"
        with s.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        assert diff == []
        assert set(inspect(s.engine).get_table_names()) >= {
            "repositories",
            "runs",
            "scanner_runs",
            "findings",
            "waivers",
            "occurrences",
            "run_controls",
            "alembic_version",
        }
    finally:
        s.close()


def test_upgrade_from_the_first_revision_keeps_its_rows(history_url: str) -> None:
    s = SqlStore.open(history_url, migrate=False)
    try:
        s.upgrade("0001")
        assert s.revision() == "0001"
        with s.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO repositories (id, identity) VALUES (1, 'old-repo')")
            # Revision 1 has no `deadlines` column: insert only what it has.
            conn.exec_driver_sql(
                "INSERT INTO runs (id, repository_id, branch, at, started_at, recorded_at, "
                "secscan_version, status, source) VALUES (1, 1, 'main', '2026-01-05 09:00:00', "
                "'2026-01-05 09:00:00', '2026-01-05 09:00:00', '0.1', 'complete', 'ci')"
            )
        assert "deadlines" not in {c["name"] for c in inspect(s.engine).get_columns("runs")}
        s.upgrade()
        assert s.revision() == store.head_revision()
        with s.engine.connect() as conn:
            row = conn.execute(select(schema.runs)).one()
            assert (row.secscan_version, row.deadlines) == ("0.1", None)
            diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        assert diff == []
        assert [r.repository for r in s.runs()] == ["old-repo"]
    finally:
        s.close()


def test_a_run_round_trips(history_url: str) -> None:
    s = SqlStore.open(history_url)
    try:
        waiver = WaiverInForce("W1", "alice", date(2026, 3, 1), False, "accepted for now")
        run = make_run(
            0,
            (seen("f1", controls=("iso27001-2022:A.8.28",), waiver="W1"), seen("f2", "b.py")),
        )
        run = replace(run, waivers=(waiver,), settings_digest="d" * 64)
        run_id = s.record(run)
        (back,) = s.load(run.repository, "main")
        assert back.id == run_id
        assert back.at == run.at and back.at.tzinfo is not None
        assert back.findings == run.findings
        assert back.waivers == (waiver,)
        assert back.scanners == run.scanners
        assert back.controls == run.controls
        assert back.deadlines == ((Severity.HIGH, 30),)
        assert back.settings_digest == "d" * 64
        (summary,) = s.runs()
        assert (summary.findings, summary.state, summary.branch) == (2, "complete", "main")
        assert s.has_run(run.repository, run.commit or "", run.started_at)
        assert s.load(run.repository, "other-branch") == []
    finally:
        s.close()


def test_tags_replace_a_repositorys_labels_and_may_come_before_its_first_run(
    history_url: str,
) -> None:
    s = SqlStore.open(history_url)
    try:
        s.set_tags("git.example/a", {"team": "payments", "criticality": "high"})
        assert s.repositories() == ["git.example/a"]
        s.record(replace(make_run(0, (seen("f1"),)), repository="git.example/a"))
        s.record(replace(make_run(1, ()), repository="git.example/b"))
        s.set_tags("git.example/a", {"team": "identity"})
        assert s.tags() == {"git.example/a": {"team": "identity"}}
        assert s.tags("git.example/b") == {}
        # The recorded run found the repository the tags created: one row, not two.
        assert s.repositories() == ["git.example/a", "git.example/b"]
        assert [r.repository for r in s.runs("git.example/a")] == ["git.example/a"]
    finally:
        s.close()


def test_a_run_is_recorded_whole_or_not_at_all(
    history_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = SqlStore.open(history_url)
    try:
        s.record(make_run(0, (seen("f1"),)))

        def broken(*_: object) -> dict[str, int]:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(store, "_finding_ids", broken)
        with pytest.raises(RuntimeError):
            s.record(make_run(1, (seen("f1"), seen("f2"))))
        monkeypatch.undo()
        # Neither the run row nor its scanner rows of the failed attempt are there.
        assert [r.commit for r in s.runs()] == [f"{0:040x}"]
        with s.engine.connect() as conn:
            assert len(conn.execute(select(schema.scanner_runs)).all()) == 1
    finally:
        s.close()


def test_two_writers_at_once_both_land(history_url: str) -> None:
    """Two CI jobs recording at the same moment, the same new findings in each."""
    # Each job's store is opened (and the schema migrated) before the race starts, so a
    # failure to open can never leave the other job waiting at the barrier.
    stores = [SqlStore.open(history_url), SqlStore.open(history_url)]
    errors: list[BaseException] = []
    start = threading.Barrier(2, timeout=60)

    def job(s: SqlStore, offset: int) -> None:
        try:
            start.wait()
            for i in range(8):
                shared = tuple(seen(f"shared-{i}-{k}") for k in range(30))
                s.record(make_run(offset + 2 * i, shared))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=job, args=(st, n)) for n, st in enumerate(stores)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert errors == []
    s = SqlStore.open(history_url)
    try:
        assert len(s.runs()) == 16
        with s.engine.connect() as conn:
            assert len(conn.execute(select(schema.findings)).all()) == 8 * 30
    finally:
        s.close()


def test_urls_name_the_driver_and_never_print_the_password() -> None:
    assert engine_url(with_password("postgresql", "db/h")).drivername == "postgresql+psycopg"
    assert engine_url("postgres://u@db/h").drivername == "postgresql+psycopg"
    assert shown(with_password("postgresql", "db/h")) == "postgresql://u:***@db/h"
    with pytest.raises(HistoryError, match="sqlite:///PATH or postgresql"):
        engine_url(with_password("mysql", "db/h"))
    with pytest.raises(HistoryError) as e:
        engine_url(with_password("mysql", "db/h"))
    assert MARK not in e.value.diagnostics()
    with pytest.raises(HistoryError, match="needs a file"):
        engine_url("sqlite://")


def test_an_unreachable_database_is_an_error_naming_it_without_password(tmp_path: object) -> None:
    with pytest.raises(HistoryError) as e:
        SqlStore.open(with_password("postgresql", "127.0.0.1:1/h"))
    text = e.value.diagnostics()
    assert "127.0.0.1:1" in text and MARK not in text
