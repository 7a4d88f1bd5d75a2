"""The history store: one interface, SQLite or PostgreSQL behind it through SQLAlchemy.

A run is written in one transaction (all of it or nothing). Two CI jobs may record at once:
SQLite serialises writers (WAL, BEGIN IMMEDIATE, a busy timeout), PostgreSQL runs them side
by side; in both a conflict (a busy database, two jobs adding the same new fingerprint) rolls
the whole run back and it is tried again from the start.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import platformdirs
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, String, cast, create_engine, event, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool

from secscan.errors import HistoryError
from secscan.history import schema as t
from secscan.history.model import Run, ScannerRecord, Seen, Source, WaiverInForce
from secscan.model.findings import RunStatus, Severity

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"
#: Writers wait this long for each other (SQLite's busy timeout) ...
BUSY_TIMEOUT_S = 30.0
_BUSY_PRAGMA = "PRAGMA busy_timeout=30000"  # BUSY_TIMEOUT_S in milliseconds
#: ... and a conflicting transaction is tried again this many times.
ATTEMPTS = 8
#: Rows per INSERT statement: bounded so no driver meets a parameter limit.
BATCH = 500


_MIGRATING = threading.Lock()


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    repository: str
    branch: str | None
    commit: str | None
    at: datetime
    profile: str | None
    outcome: str | None
    state: str
    source: str
    findings: int


class HistoryStore(Protocol):
    """What the commands and reports need of a history back end."""

    def record(self, run: Run) -> int: ...

    def runs(
        self, repository: str | None = None, branch: str | None = None
    ) -> list[RunSummary]: ...

    def load(self, repository: str, branch: str | None) -> list[Run]: ...

    def has_run(self, repository: str, commit: str, started_at: datetime) -> bool: ...


def default_url() -> str:
    """A SQLite file in the user's data directory."""
    path = platformdirs.user_data_path("secscan") / "history.sqlite"
    return f"sqlite:///{path}"


def engine_url(text: str) -> URL:
    """The SQLAlchemy URL for what the user wrote: sqlite:///path or postgresql://...

    postgresql:// means the psycopg 3 driver (SQLAlchemy would otherwise pick psycopg2).
    """
    try:
        url = make_url(text)
    except ArgumentError as e:
        raise HistoryError(f"--history: not a database URL: {e}") from e
    backend, _, driver = url.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql" and driver in ("", "psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not url.database or url.database == ":memory:":
            raise HistoryError("--history sqlite:///PATH needs a file (a memory database forgets)")
        return url.set(drivername="sqlite")
    raise HistoryError(
        f"--history {shown(url)}: secscan records to sqlite:///PATH or postgresql://... only"
    )


def shown(url: URL | str) -> str:
    """A URL as it may be printed: never with its password."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<unparsable URL>"
    return url.render_as_string(hide_password=True)


class SqlStore:
    """The one implementation: SQLAlchemy Core over either back end."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._repos: dict[str, int] = {}

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlStore:
        target = engine_url(url)
        if target.get_backend_name() == "sqlite":
            assert target.database is not None  # noqa: S101 - engine_url checked it
            Path(target.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                target, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S}
            )
            _sqlite_setup(engine)
        else:
            engine = create_engine(target, poolclass=NullPool)
        store = cls(engine)
        if migrate:
            store.upgrade()
        return store

    def close(self) -> None:
        self.engine.dispose()

    # --- schema --------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` (two jobs migrating at once: one wins, the other
        retries and finds nothing left to do)."""

        def go(conn: Connection) -> None:
            cfg = alembic_config(conn)
            command.upgrade(cfg, revision)

        # Alembic keeps its running migration in module globals: one at a time per process.
        with _MIGRATING:
            if revision == "head" and self._read_revision() == head_revision():
                return  # the usual case: nothing to take a DDL lock for
            self._retry(go, what="migrate")

    def _read_revision(self) -> str | None:
        try:
            return self.revision()
        except DBAPIError as e:
            raise HistoryError(self._failed("open", e)) from e

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # --- writing -------------------------------------------------------------------------

    def record(self, run: Run) -> int:
        """Write the run and everything in it in one transaction; returns its id."""
        return self._retry(lambda conn: _insert_run(conn, run), what="record the run")

    def set_tags(self, repository: str, tags: Mapping[str, str]) -> None:
        """Make `tags` the repository's labels (replacing the ones it had), adding the
        repository if history has not seen it yet."""

        def go(conn: Connection) -> None:
            repo_id = _repository_id(conn, repository)
            conn.execute(
                t.repository_tags.delete().where(t.repository_tags.c.repository_id == repo_id)
            )
            _insert_many(
                conn,
                t.repository_tags,
                [{"repository_id": repo_id, "key": k, "value": v} for k, v in sorted(tags.items())],
            )

        self._retry(go, what="record the repository's tags")

    # --- reading -------------------------------------------------------------------------

    def tags(self, repository: str | None = None) -> dict[str, dict[str, str]]:
        """Each repository's labels (only those that have some), or one repository's."""
        rp, tg = t.repositories, t.repository_tags
        q = select(rp.c.identity, tg.c.key, tg.c.value).join(tg, tg.c.repository_id == rp.c.id)
        if repository is not None:
            q = q.where(rp.c.identity == repository)
        found: dict[str, dict[str, str]] = {}
        with self._read() as conn:
            for row in conn.execute(q.order_by(rp.c.identity, tg.c.key)):
                found.setdefault(row.identity, {})[row.key] = row.value
        return found

    def repositories(self) -> list[str]:
        with self._read() as conn:
            return list(conn.scalars(select(t.repositories.c.identity).order_by("identity")))

    def runs(self, repository: str | None = None, branch: str | None = None) -> list[RunSummary]:
        r, rp, o = t.runs, t.repositories, t.occurrences
        counts = select(o.c.run_id, func.count().label("n")).group_by(o.c.run_id).subquery("counts")
        q = (
            select(r, rp.c.identity, func.coalesce(counts.c.n, 0).label("n"))
            .join(rp, rp.c.id == r.c.repository_id)
            .outerjoin(counts, counts.c.run_id == r.c.id)
            .order_by(r.c.at, r.c.id)
        )
        if repository is not None:
            q = q.where(rp.c.identity == repository)
        if branch is not None:
            q = q.where(r.c.branch == branch)
        with self._read() as conn:
            return [
                RunSummary(
                    id=row.id,
                    repository=row.identity,
                    branch=row.branch,
                    commit=row.commit_sha,
                    at=_utc(row.at),
                    profile=row.profile,
                    outcome=row.outcome,
                    state=row.status,
                    source=row.source,
                    findings=row.n,
                )
                for row in conn.execute(q)
            ]

    def has_run(self, repository: str, commit: str, started_at: datetime) -> bool:
        """Whether this scan (same repository, commit and start) is already recorded."""
        r, rp = t.runs, t.repositories
        q = (
            select(r.c.id, r.c.started_at)
            .join(rp, rp.c.id == r.c.repository_id)
            .where(rp.c.identity == repository, r.c.commit_sha == commit)
        )
        with self._read() as conn:
            return any(_utc(row.started_at) == _utc(started_at) for row in conn.execute(q))

    def load(self, repository: str, branch: str | None) -> list[Run]:
        """Every run of one line of history, oldest first, with what it saw."""
        r, rp = t.runs, t.repositories
        with self._read() as conn:
            repo_id = conn.scalar(select(rp.c.id).where(rp.c.identity == repository))
            if repo_id is None:
                return []
            line = (
                r.c.repository_id == repo_id,
                r.c.branch.is_(None) if branch is None else r.c.branch == branch,
            )
            rows = conn.execute(select(r).where(*line).order_by(r.c.at, r.c.id)).all()
            if not rows:
                return []
            ids = select(r.c.id).where(*line).scalar_subquery()
            finding_rows = {
                row.id: row
                for row in conn.execute(
                    select(t.findings).where(t.findings.c.repository_id == repo_id)
                )
            }
            scanners: dict[int, list[ScannerRecord]] = {}
            s = t.scanner_runs
            for row in conn.execute(select(s).where(s.c.run_id.in_(ids)).order_by(s.c.id)):
                scanners.setdefault(row.run_id, []).append(scanner_record(row))
            waivers: dict[int, list[WaiverInForce]] = {}
            waiver_key: dict[int, str] = {}
            w = t.waivers
            for row in conn.execute(select(w).where(w.c.run_id.in_(ids))):
                waiver_key[row.id] = row.waiver
                waivers.setdefault(row.run_id, []).append(waiver_in_force(row))
            controls: dict[int, list[tuple[str, str]]] = {}
            c = t.run_controls
            for row in conn.execute(select(c).where(c.c.run_id.in_(ids))):
                controls.setdefault(row.run_id, []).append((row.control, row.state))
            seen = self._occurrences(conn, ids, finding_rows, waiver_key)
        return [
            run_from_row(
                row,
                repository,
                scanners=scanners.get(row.id, ()),
                waivers=waivers.get(row.id, ()),
                findings=sorted(seen.get(row.id, ()), key=lambda x: x.fingerprint),
                controls=sorted(controls.get(row.id, ())),
            )
            for row in rows
        ]

    @staticmethod
    def _occurrences(
        conn: Connection, ids: Any, finding_rows: dict[int, Any], waiver_key: dict[int, str]
    ) -> dict[int, list[Seen]]:
        """The findings of every run. A finding that did not change between runs is one
        shared value (a long history repeats most findings in every run), and its controls
        are read as text and decoded once."""
        o = t.occurrences
        cols = (
            o.c.run_id,
            o.c.finding_id,
            o.c.severity,
            o.c.path,
            o.c.start_line,
            o.c.end_line,
            cast(o.c.controls, String),
            o.c.waiver_id,
            o.c.scope,
        )
        shared: dict[tuple[Any, ...], Seen] = {}
        decoded: dict[str, tuple[str, ...]] = {}
        seen: dict[int, list[Seen]] = {}
        for row in conn.execute(select(*cols).where(o.c.run_id.in_(ids))):
            run_id, key = row[0], row[1:]
            value = shared.get(key)
            if value is None:
                fid, severity, path, start, end, controls, waiver_id, scope = key
                names = decoded.get(controls)
                if names is None:
                    names = decoded[controls] = tuple(json.loads(controls))
                f = finding_rows[fid]
                value = shared[key] = Seen(
                    fingerprint=f.fingerprint,
                    scanner=f.scanner,
                    rule_id=f.rule_id,
                    kind=f.kind,
                    title=f.title,
                    severity=Severity(severity),
                    path=path,
                    start_line=start,
                    end_line=end,
                    controls=names,
                    scope=scope,
                    waiver=waiver_key.get(waiver_id) if waiver_id else None,
                )
            bucket = seen.get(run_id)
            if bucket is None:
                bucket = seen[run_id] = []
            bucket.append(value)
        return seen

    # --- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as e:
            raise HistoryError(self._failed("read", e)) from e

    def _retry(self, work: Callable[[Connection], T], *, what: str) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except DBAPIError as e:
                if attempt == ATTEMPTS or not _transient(e):
                    raise HistoryError(self._failed(what, e)) from e
            # Back off with jitter so two colliding jobs do not collide again.
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, what: str, e: DBAPIError) -> str:
        first = str(e.orig).strip().splitlines()[0] if e.orig is not None else type(e).__name__
        return f"history {shown(self.engine.url)}: could not {what}: {first}"


def scanner_record(row: Any) -> ScannerRecord:
    """A scanner_runs row as history's value."""
    return ScannerRecord(
        scanner=row.scanner,
        kind=row.kind,
        status=RunStatus(row.status),
        tool_version=row.tool_version,
        error=row.error,
        paths=tuple(row.paths),
    )


def waiver_in_force(row: Any) -> WaiverInForce:
    """A waivers row as history's value."""
    return WaiverInForce(row.waiver, row.owner, _date(row.expires), row.expired, row.reason)


def run_from_row(
    row: Any,
    repository: str,
    *,
    scanners: Sequence[ScannerRecord] = (),
    waivers: Sequence[WaiverInForce] = (),
    findings: Sequence[Seen] = (),
    controls: Sequence[tuple[str, str]] = (),
) -> Run:
    """A runs row, with what was read of the run's other tables, as history's value."""
    return Run(
        id=row.id,
        repository=repository,
        branch=row.branch,
        commit=row.commit_sha,
        at=_utc(row.at),
        started_at=_utc(row.started_at),
        secscan_version=row.secscan_version,
        source=Source(row.source),
        profile=row.profile,
        outcome=row.outcome,
        deadlines=None
        if row.deadlines is None
        else tuple((Severity(k), int(v)) for k, v in sorted(row.deadlines.items())),
        scanners=tuple(scanners),
        findings=tuple(findings),
        waivers=tuple(sorted(waivers, key=lambda x: x.key)),
        controls=tuple(controls),
        settings_digest=row.settings_digest,
    )


def _transient(e: DBAPIError) -> bool:
    """A conflict another attempt may not meet: a locked SQLite file, a unique key another
    job just added, a PostgreSQL serialisation failure or deadlock, a duplicate table while
    two jobs migrate."""
    if isinstance(e, IntegrityError):
        return True
    text = str(e.orig).lower()
    return any(
        word in text
        for word in ("locked", "busy", "deadlock", "could not serialize", "already exists")
    )


def alembic_config(conn: Connection) -> AlembicConfig:
    """Alembic run in-process on our connection: the migrations ship in the package."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None  # noqa: S101 - the package ships its revisions
    return head


def _sqlite_setup(engine: Engine) -> None:
    """WAL (readers never block the writer), foreign keys, and BEGIN IMMEDIATE: a writer takes
    the lock when its transaction starts, so two writers queue on the busy timeout instead of
    one failing when it upgrades a read lock."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(_BUSY_PRAGMA)
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _repository_id(conn: Connection, identity: str) -> int:
    """The repository's id, adding it if history has not seen it. Two jobs adding the same
    repository at once make one transaction fail on the unique key; its retry finds it."""
    repo_id = conn.scalar(select(t.repositories.c.id).where(t.repositories.c.identity == identity))
    if repo_id is None:
        repo_id = conn.execute(
            t.repositories.insert().values(identity=identity).returning(t.repositories.c.id)
        ).scalar_one()
    return int(repo_id)


def _insert_run(conn: Connection, run: Run) -> int:
    repo_id = _repository_id(conn, run.repository)
    run_id = conn.execute(
        t.runs.insert()
        .values(
            repository_id=repo_id,
            branch=run.branch,
            commit_sha=run.commit,
            at=_utc(run.at),
            started_at=_utc(run.started_at),
            recorded_at=datetime.now(UTC),
            secscan_version=run.secscan_version,
            profile=run.profile,
            outcome=run.outcome,
            status=run.state.value,
            source=run.source.value,
            deadlines=None if run.deadlines is None else {s.value: d for s, d in run.deadlines},
            settings_digest=run.settings_digest,
        )
        .returning(t.runs.c.id)
    ).scalar_one()
    if run.scanners:
        conn.execute(
            t.scanner_runs.insert(),
            [
                {
                    "run_id": run_id,
                    "scanner": s.scanner,
                    "kind": s.kind,
                    "status": s.status.value,
                    "tool_version": s.tool_version,
                    "error": s.error,
                    "paths": list(s.paths),
                }
                for s in run.scanners
            ],
        )
    waiver_ids: dict[str, int] = {}
    for w in run.waivers:
        waiver_ids[w.key] = conn.execute(
            t.waivers.insert()
            .values(
                run_id=run_id,
                waiver=w.key,
                owner=w.owner,
                expires=w.expires,
                expired=w.expired,
                reason=w.reason,
            )
            .returning(t.waivers.c.id)
        ).scalar_one()
    if run.controls:
        _insert_many(
            conn,
            t.run_controls,
            [{"run_id": run_id, "control": c, "state": s} for c, s in run.controls],
        )
    finding_ids = _finding_ids(conn, repo_id, run.findings)
    _insert_many(
        conn,
        t.occurrences,
        [
            {
                "run_id": run_id,
                "finding_id": finding_ids[f.fingerprint],
                "severity": f.severity.value,
                "path": f.path,
                "start_line": f.start_line,
                "end_line": f.end_line,
                "controls": list(f.controls),
                "waiver_id": waiver_ids.get(f.waiver) if f.waiver else None,
                "scope": f.scope,
            }
            for f in run.findings
        ],
    )
    return int(run_id)


def _finding_ids(conn: Connection, repo_id: int, seen: Sequence[Seen]) -> dict[str, int]:
    """Ids of the run's findings, adding those this repository never had. A job adding the
    same new fingerprint at the same moment makes this transaction fail on the unique key,
    and the retry then finds it."""
    f = t.findings
    wanted = {s.fingerprint: s for s in seen}
    ids: dict[str, int] = {}
    keys = sorted(wanted)
    for i in range(0, len(keys), BATCH):
        chunk = keys[i : i + BATCH]
        q = select(f.c.fingerprint, f.c.id).where(
            f.c.repository_id == repo_id, f.c.fingerprint.in_(chunk)
        )
        ids.update((row.fingerprint, row.id) for row in conn.execute(q))
    missing = [wanted[k] for k in keys if k not in ids]
    if missing:
        _insert_many(
            conn,
            f,
            [
                {
                    "repository_id": repo_id,
                    "fingerprint": s.fingerprint,
                    "scanner": s.scanner,
                    "rule_id": s.rule_id,
                    "kind": s.kind,
                    "title": s.title,
                }
                for s in missing
            ],
        )
        chunk_keys = [s.fingerprint for s in missing]
        for i in range(0, len(chunk_keys), BATCH):
            q = select(f.c.fingerprint, f.c.id).where(
                f.c.repository_id == repo_id, f.c.fingerprint.in_(chunk_keys[i : i + BATCH])
            )
            ids.update((row.fingerprint, row.id) for row in conn.execute(q))
    return ids


def _insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        conn.execute(table.insert(), rows[i : i + BATCH])


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time in history is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
