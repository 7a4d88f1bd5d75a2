"""The organisation's history in aggregates: what the dashboard shows, each page one or a few
SQL queries that group in the database (never a Python loop over findings or runs).

Every repository is shown by its newest run (any branch): `_latest()` picks it per repository
with an index seek (runs by repository and time). Posture counts the newest run's unwaived
findings and its failed scanners, and its line's SLA breaches from `open_findings` (due
dates written when the run was recorded). Trends add up `run_changes` per day and severity.
Compliance counts the newest runs' control states. Drill-down reads one run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.expression import ColumnElement

from secscan.history import schema as t
from secscan.history.store import _utc
from secscan.model.findings import Severity

#: Most severe first.
SEVERITIES: tuple[str, ...] = tuple(s.value for s in sorted(Severity, reverse=True))

#: What the posture table may be sorted by (the request names one of these, nothing else).
POSTURE_SORTS = (
    "repository",
    "outcome",
    "critical",
    "high",
    "medium",
    "low",
    "open",
    "breaches",
    "age",
    "failures",
)


@dataclass(frozen=True, slots=True)
class Tag:
    key: str
    value: str

    @classmethod
    def parse(cls, text: str | None) -> Tag | None:
        """`key:value` (the dashboard's filter), or None."""
        if not text or ":" not in text:
            return None
        key, _, value = text.partition(":")
        return cls(key.strip(), value.strip()) if key.strip() else None

    def __str__(self) -> str:
        return f"{self.key}:{self.value}"


@dataclass(frozen=True, slots=True)
class PostureRow:
    repository_id: int
    repository: str
    run_id: int
    branch: str | None
    at: datetime
    outcome: str | None
    status: str
    #: Unwaived findings of the newest run, most severe first (SEVERITIES' order).
    open: tuple[int, ...]
    breaches: int
    failures: int
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def open_total(self) -> int:
        return sum(self.open)


@dataclass(frozen=True, slots=True)
class Changes:
    """Findings opened and fixed in a period (or on a day), per severity."""

    day: str
    severity: str
    opened: int
    fixed: int
    fix_days: float


@dataclass(frozen=True, slots=True)
class GroupChanges:
    group: str
    severity: str
    opened: int
    fixed: int
    fix_days: float

    @property
    def mean_days(self) -> float | None:
        return self.fix_days / self.fixed if self.fixed else None


@dataclass(frozen=True, slots=True)
class ControlCount:
    control: str
    state: str
    repositories: int


@dataclass(frozen=True, slots=True)
class ControlCell:
    repository_id: int
    repository: str
    run_id: int
    control: str
    state: str


@dataclass(frozen=True, slots=True)
class RunFacts:
    id: int
    repository_id: int
    repository: str
    branch: str | None
    commit: str | None
    at: datetime
    profile: str | None
    outcome: str | None
    status: str
    source: str
    secscan_version: str
    settings_digest: str | None
    deadlines: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class RunScanner:
    scanner: str
    kind: str
    status: str
    tool_version: str | None
    error: str | None
    files: int


@dataclass(frozen=True, slots=True)
class RunFinding:
    fingerprint: str
    severity: str
    scanner: str
    rule_id: str
    title: str
    path: str
    line: int | None
    controls: tuple[str, ...]
    waiver: str | None


def _latest(*, shared: bool = False) -> Any:
    """(repository_id, run_id) of each repository's newest run; `shared`: as a common table
    expression, computed once for a statement that reads it several times."""
    r, rp = t.runs, t.repositories
    newest = (
        select(r.c.id)
        .where(r.c.repository_id == rp.c.id)
        .order_by(r.c.at.desc(), r.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    q = select(rp.c.id.label("repository_id"), newest.label("run_id"))
    return q.cte("latest") if shared else q.subquery("latest")


def _tagged(repository_id: Any, tag: Tag | None) -> list[ColumnElement[bool]]:
    if tag is None:
        return []
    tg = t.repository_tags
    return [
        exists().where(
            tg.c.repository_id == repository_id, tg.c.key == tag.key, tg.c.value == tag.value
        )
    ]


def _named(identity: Any, search: str | None) -> list[ColumnElement[bool]]:
    if not search:
        return []
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [identity.like(f"%{escaped}%", escape="\\")]


def tags(conn: Connection) -> list[tuple[str, str, int]]:
    """Every (key, value) in use, with how many repositories carry it."""
    tg = t.repository_tags
    q = (
        select(tg.c.key, tg.c.value, func.count().label("n"))
        .group_by(tg.c.key, tg.c.value)
        .order_by(tg.c.key, tg.c.value)
    )
    return [(row.key, row.value, int(row.n)) for row in conn.execute(q)]


def posture(
    conn: Connection,
    *,
    now: datetime,
    tag: Tag | None = None,
    search: str | None = None,
    sort: str = "breaches",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[PostureRow]]:
    """(number of repositories that match, one page of their posture rows)."""
    if sort not in POSTURE_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    r, rp, o, of, s = t.runs, t.repositories, t.occurrences, t.open_findings, t.scanner_runs
    latest = _latest(shared=True)
    where = [*_tagged(rp.c.id, tag), *_named(rp.c.identity, search)]
    ids = select(latest.c.run_id)
    counts = (
        select(
            o.c.run_id,
            *(func.sum(case((o.c.severity == sev, 1), else_=0)).label(sev) for sev in SEVERITIES),
        )
        .where(o.c.run_id.in_(ids), o.c.waiver_id.is_(None))
        .group_by(o.c.run_id)
        .subquery("counts")
    )
    due = (
        select(of.c.run_id, func.count().label("breaches"))
        .where(of.c.run_id.in_(ids), of.c.due_at < now)
        .group_by(of.c.run_id)
        .subquery("due")
    )
    failed = (
        select(s.c.run_id, func.count().label("failures"))
        .where(s.c.run_id.in_(ids), s.c.status != "ok")
        .group_by(s.c.run_id)
        .subquery("failed")
    )
    sev_cols = [func.coalesce(counts.c[sev], 0).label(sev) for sev in SEVERITIES]
    breaches = func.coalesce(due.c.breaches, 0).label("breaches")
    failures = func.coalesce(failed.c.failures, 0).label("failures")
    base = (
        select(rp.c.id.label("repository_id"), rp.c.identity, r, *sev_cols, breaches, failures)
        .join_from(latest, rp, rp.c.id == latest.c.repository_id)
        .join(r, r.c.id == latest.c.run_id)
        .outerjoin(counts, counts.c.run_id == r.c.id)
        .outerjoin(due, due.c.run_id == r.c.id)
        .outerjoin(failed, failed.c.run_id == r.c.id)
        .where(*where)
    )
    total = conn.scalar(
        select(func.count())
        .select_from(latest)
        .join(rp, rp.c.id == latest.c.repository_id)
        .where(latest.c.run_id.is_not(None), *where)
    )
    key = _posture_key(sort, sev_cols, breaches, failures)
    ordered = key.desc() if descending else key.asc()
    q = base.order_by(ordered, rp.c.identity).offset(offset).limit(limit)
    rows = [
        PostureRow(
            repository_id=row.repository_id,
            repository=row.identity,
            run_id=row.id,
            branch=row.branch,
            at=_utc(row.at),
            outcome=row.outcome,
            status=row.status,
            open=tuple(int(getattr(row, sev)) for sev in SEVERITIES),
            breaches=int(row.breaches),
            failures=int(row.failures),
        )
        for row in conn.execute(q)
    ]
    return int(total or 0), _with_tags(conn, rows)


def _posture_key(
    sort: str, sev_cols: Sequence[Any], breaches: Any, failures: Any
) -> ColumnElement[Any]:
    r, rp = t.runs, t.repositories
    by_name: dict[str, Any] = {
        "repository": rp.c.identity,
        "outcome": func.coalesce(r.c.outcome, ""),
        "breaches": breaches,
        "failures": failures,
        "age": r.c.at,
        "open": sum(sev_cols[1:], sev_cols[0]),
    }
    by_name.update(zip(SEVERITIES, sev_cols, strict=True))
    key: ColumnElement[Any] = by_name[sort]
    return key


def _with_tags(conn: Connection, rows: list[PostureRow]) -> list[PostureRow]:
    if not rows:
        return rows
    tg = t.repository_tags
    found: dict[int, list[tuple[str, str]]] = {}
    q = (
        select(tg.c.repository_id, tg.c.key, tg.c.value)
        .where(tg.c.repository_id.in_([row.repository_id for row in rows]))
        .order_by(tg.c.key)
    )
    for row in conn.execute(q):
        found.setdefault(row.repository_id, []).append((row.key, row.value))
    return [
        PostureRow(**{**_fields(row), "tags": tuple(found.get(row.repository_id, ()))})
        for row in rows
    ]


def _fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


def _days(since: datetime, until: datetime) -> tuple[str, str]:
    return f"{since.astimezone(UTC):%Y-%m-%d}", f"{until.astimezone(UTC):%Y-%m-%d}"


def _share(conn: Connection, first: str, end: str) -> float:
    """The share of run_changes' days (between the oldest and the newest) in [first, end):
    two seeks on the (day, ...) index."""
    c = t.run_changes
    lo = conn.scalar(select(func.min(c.c.day)))
    hi = conn.scalar(select(func.max(c.c.day)))
    if lo is None or hi is None:
        return 1.0
    oldest, newest = date.fromisoformat(lo), date.fromisoformat(hi)
    start, stop = max(date.fromisoformat(first), oldest), min(date.fromisoformat(end), newest)
    inside = (stop - start).days + (1 if date.fromisoformat(end) > newest else 0)
    return min(1.0, max(0.001, inside / ((newest - oldest).days + 1)))


def _period_by_repository(conn: Connection, first: str, end: str) -> list[ColumnElement[bool]]:
    """run_changes of the period, to be summed per repository and severity. SQLite's planner
    keeps no histogram of days, so it is told the period's share of the rows (likelihood()):
    a short period is then read from the (day, ...) range and sorted, a long one summed along
    the (repository_id, severity, day) index without a sort (3x faster at 1,000 repositories
    x 100 runs). PostgreSQL estimates from its own statistics and aggregates by hash."""
    c = t.run_changes
    where = [c.c.day >= first, c.c.day < end]
    if conn.dialect.name != "sqlite":
        return where
    share: ColumnElement[Any] = literal_column(f"{_share(conn, first, end):.3f}")
    return [func.likelihood(where[0], share), where[1]]


def changes_by_day(
    conn: Connection, *, since: datetime, until: datetime, tag: Tag | None = None
) -> list[Changes]:
    """Findings opened and fixed per UTC day and severity, over every line of history, from
    the UTC day of `since` up to (not including) the day of `until`: one range of the
    (day, severity, ...) index."""
    c = t.run_changes
    first, end = _days(since, until)
    where = [c.c.day >= first, c.c.day < end]
    if tag is not None:
        tg = t.repository_tags
        where.append(
            c.c.repository_id.in_(
                select(tg.c.repository_id).where(tg.c.key == tag.key, tg.c.value == tag.value)
            )
        )
    q = (
        select(
            c.c.day,
            c.c.severity,
            func.sum(c.c.opened).label("opened"),
            func.sum(c.c.fixed).label("fixed"),
            func.sum(c.c.fix_days).label("fix_days"),
        )
        .where(*where)
        .group_by(c.c.day, c.c.severity)
        .order_by(c.c.day, c.c.severity)
    )
    return [
        Changes(row.day, row.severity, int(row.opened), int(row.fixed), float(row.fix_days))
        for row in conn.execute(q)
    ]


def changes_by_tag(
    conn: Connection, *, key: str, since: datetime, until: datetime
) -> list[GroupChanges]:
    """Findings opened and fixed in the period per value of one tag (team, product, ...) and
    severity; repositories without the tag are grouped under an empty value. The period is
    first summed per repository, then grouped by tag."""
    c, tg = t.run_changes, t.repository_tags
    first, end = _days(since, until)
    per_repo = (
        select(
            c.c.repository_id,
            c.c.severity,
            func.sum(c.c.opened).label("opened"),
            func.sum(c.c.fixed).label("fixed"),
            func.sum(c.c.fix_days).label("fix_days"),
        )
        .where(*_period_by_repository(conn, first, end))
        .group_by(c.c.repository_id, c.c.severity)
        .subquery("per_repo")
    )
    group = func.coalesce(tg.c.value, literal("")).label("grp")
    q = (
        select(
            group,
            per_repo.c.severity,
            func.sum(per_repo.c.opened).label("opened"),
            func.sum(per_repo.c.fixed).label("fixed"),
            func.sum(per_repo.c.fix_days).label("fix_days"),
        )
        .select_from(per_repo)
        .outerjoin(tg, and_(tg.c.repository_id == per_repo.c.repository_id, tg.c.key == key))
        .group_by(group, per_repo.c.severity)
        .order_by(group, per_repo.c.severity)
    )
    return [
        GroupChanges(row.grp, row.severity, int(row.opened), int(row.fixed), float(row.fix_days))
        for row in conn.execute(q)
    ]


def control_counts(
    conn: Connection, *, framework: str | None = None, tag: Tag | None = None
) -> list[ControlCount]:
    """Per control and state, how many repositories' newest runs are in that state."""
    c = t.run_controls
    latest = _latest()
    q = (
        select(c.c.control, c.c.state, func.count().label("n"))
        .join_from(latest, c, c.c.run_id == latest.c.run_id)
        .where(*_framework(framework), *_tagged(latest.c.repository_id, tag))
        .group_by(c.c.control, c.c.state)
        .order_by(c.c.control, c.c.state)
    )
    return [ControlCount(row.control, row.state, int(row.n)) for row in conn.execute(q)]


def _framework(framework: str | None) -> list[ColumnElement[bool]]:
    if not framework:
        return []
    c = t.run_controls
    escaped = framework.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [c.c.control.like(f"{escaped}:%", escape="\\")]


def control_grid(
    conn: Connection,
    *,
    framework: str,
    tag: Tag | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[tuple[int, str, int | None]], list[ControlCell]]:
    """(repositories with a run, one page of them as (repository id, identity, newest run),
    the framework's control states in those runs)."""
    rp, c = t.repositories, t.run_controls
    latest = _latest()
    where = [latest.c.run_id.is_not(None), *_tagged(rp.c.id, tag)]
    total = conn.scalar(
        select(func.count())
        .select_from(latest)
        .join(rp, rp.c.id == latest.c.repository_id)
        .where(*where)
    )
    page = conn.execute(
        select(rp.c.id, rp.c.identity, latest.c.run_id)
        .join_from(latest, rp, rp.c.id == latest.c.repository_id)
        .where(*where)
        .order_by(rp.c.identity)
        .offset(offset)
        .limit(limit)
    ).all()
    runs = {row.run_id: row for row in page}
    cells = [
        ControlCell(
            runs[row.run_id].id, runs[row.run_id].identity, row.run_id, row.control, row.state
        )
        for row in conn.execute(
            select(c.c.run_id, c.c.control, c.c.state).where(
                c.c.run_id.in_(list(runs)), *_framework(framework)
            )
        )
    ]
    return int(total or 0), [(row.id, row.identity, row.run_id) for row in page], cells


def frameworks(conn: Connection) -> list[str]:
    """The frameworks the newest runs judged (the part of each control id before ':')."""
    c = t.run_controls
    latest = _latest()
    q = select(c.c.control).join_from(latest, c, c.c.run_id == latest.c.run_id).distinct()
    return sorted({str(row.control).partition(":")[0] for row in conn.execute(q)})


def run_facts(conn: Connection, run_id: int) -> RunFacts | None:
    r, rp = t.runs, t.repositories
    row = conn.execute(
        select(r, rp.c.identity).join(rp, rp.c.id == r.c.repository_id).where(r.c.id == run_id)
    ).first()
    if row is None:
        return None
    return RunFacts(
        id=row.id,
        repository_id=row.repository_id,
        repository=row.identity,
        branch=row.branch,
        commit=row.commit_sha,
        at=_utc(row.at),
        profile=row.profile,
        outcome=row.outcome,
        status=row.status,
        source=row.source,
        secscan_version=row.secscan_version,
        settings_digest=row.settings_digest,
        deadlines=dict(row.deadlines) if row.deadlines else None,
    )


def run_scanners(conn: Connection, run_id: int) -> list[RunScanner]:
    s = t.scanner_runs
    q = select(s).where(s.c.run_id == run_id).order_by(s.c.scanner)
    return [
        RunScanner(row.scanner, row.kind, row.status, row.tool_version, row.error, len(row.paths))
        for row in conn.execute(q)
    ]


def run_controls(conn: Connection, run_id: int) -> list[tuple[str, str]]:
    c = t.run_controls
    q = select(c.c.control, c.c.state).where(c.c.run_id == run_id).order_by(c.c.control)
    return [(row.control, row.state) for row in conn.execute(q)]


def run_severities(conn: Connection, run_id: int) -> dict[str, int]:
    o = t.occurrences
    q = (
        select(o.c.severity, func.count().label("n"))
        .where(o.c.run_id == run_id)
        .group_by(o.c.severity)
    )
    return {row.severity: int(row.n) for row in conn.execute(q)}


def _rank() -> ColumnElement[int]:
    o = t.occurrences
    return cast(
        case({sev: i for i, sev in enumerate(SEVERITIES)}, value=o.c.severity, else_=99), Integer
    )


def run_findings(
    conn: Connection, run_id: int, *, severity: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[int, list[RunFinding]]:
    """(findings of the run, one page of them: most severe first, then by file and line)."""
    o, f, w = t.occurrences, t.findings, t.waivers
    where = [o.c.run_id == run_id]
    if severity:
        where.append(o.c.severity == severity)
    total = conn.scalar(select(func.count()).select_from(o).where(*where))
    q = (
        select(o, f.c.fingerprint, f.c.scanner, f.c.rule_id, f.c.title, w.c.waiver)
        .join_from(o, f, f.c.id == o.c.finding_id)
        .outerjoin(w, w.c.id == o.c.waiver_id)
        .where(*where)
        .order_by(_rank(), o.c.path, o.c.start_line, f.c.fingerprint)
        .offset(offset)
        .limit(limit)
    )
    rows = [
        RunFinding(
            fingerprint=row.fingerprint,
            severity=row.severity,
            scanner=row.scanner,
            rule_id=row.rule_id,
            title=row.title,
            path=row.path,
            line=row.start_line,
            controls=tuple(row.controls),
            waiver=row.waiver,
        )
        for row in conn.execute(q)
    ]
    return int(total or 0), rows


def repository_identity(conn: Connection, repository_id: int) -> str | None:
    rp = t.repositories
    found = conn.scalar(select(rp.c.identity).where(rp.c.id == repository_id))
    return None if found is None else str(found)


def repository_runs(
    conn: Connection, repository_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[int, list[tuple[int, str | None, datetime, str | None, str, str | None]]]:
    """(number of runs, one page of (id, branch, at, outcome, status, commit)), newest
    first."""
    r = t.runs
    total = conn.scalar(
        select(func.count()).select_from(r).where(r.c.repository_id == repository_id)
    )
    q = (
        select(r.c.id, r.c.branch, r.c.at, r.c.outcome, r.c.status, r.c.commit_sha)
        .where(r.c.repository_id == repository_id)
        .order_by(r.c.at.desc(), r.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = [
        (row.id, row.branch, _utc(row.at), row.outcome, row.status, row.commit_sha)
        for row in conn.execute(q)
    ]
    return int(total or 0), rows
