"""One line of history (a repository's branch) read for its trends in SQL, not row by row.

`SqlStore.load` reads every occurrence of every run back (a million rows at 1,000 runs of
1,000 findings) so that a walk over the runs can tell each finding's story. Most of those rows
say only "still there". Here window functions over the occurrences keep the sightings where a
story may turn (first, last, each edge of a gap, each waived sighting: `lifecycle.Sighting`),
control states arrive counted per run, and `lifecycle.replay` tells the same stories from
those. The result is the same `Trends` as `trends.compute(store.load(...))`; a test compares
the two on both back ends.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, cast, func, or_, select

from secscan.history import schema as t
from secscan.history.lifecycle import Lifecycle, Sighting, replay
from secscan.history.model import Run, ScannerRecord, Seen, WaiverInForce
from secscan.history.store import SqlStore, run_from_row, scanner_record, waiver_in_force
from secscan.history.trends import Trends, from_lifecycles
from secscan.model.findings import Severity


@dataclass(frozen=True, slots=True)
class Line:
    """A line's runs (scanners and waivers, no findings), each run's control states counted,
    and each finding's sightings."""

    #: The repository's database id.
    repository_id: int
    runs: tuple[Run, ...]
    control_states: tuple[Counter[str], ...]
    sightings: dict[str, list[Sighting]]
    #: The database id of each finding by fingerprint.
    finding_ids: dict[str, int]

    def lifecycles(self, now: datetime | None) -> dict[str, Lifecycle]:
        return replay(self.runs, self.sightings, now)


def trends(store: SqlStore, repository: str, branch: str | None, now: datetime) -> Trends | None:
    """The trends of one line, or None when it has no runs."""
    with store._read() as conn:
        line = read(conn, repository, branch)
    if line is None:
        return None
    return from_lifecycles(line.runs, line.control_states, line.lifecycles(now), now)


def read(conn: Connection, repository: str, branch: str | None) -> Line | None:
    r, rp = t.runs, t.repositories
    repo_id = conn.scalar(select(rp.c.id).where(rp.c.identity == repository))
    if repo_id is None:
        return None
    where = (
        r.c.repository_id == repo_id,
        r.c.branch.is_(None) if branch is None else r.c.branch == branch,
    )
    rows = conn.execute(select(r).where(*where).order_by(r.c.at, r.c.id)).all()
    if not rows:
        return None
    ids = select(r.c.id).where(*where).scalar_subquery()
    scanners = _scanners(conn, ids)
    waivers, waiver_key = _waivers(conn, ids)
    runs = tuple(
        run_from_row(
            row, repository, scanners=scanners.get(row.id, ()), waivers=waivers.get(row.id, ())
        )
        for row in rows
    )
    states = _control_states(conn, ids)
    finding_ids: dict[str, int] = {}
    return Line(
        repository_id=int(repo_id),
        runs=runs,
        control_states=tuple(states.get(row.id, Counter()) for row in rows),
        sightings=_sightings(conn, repo_id, where, runs, waiver_key, finding_ids),
        finding_ids=finding_ids,
    )


def _scanners(conn: Connection, ids: Any) -> dict[int, list[ScannerRecord]]:
    s = t.scanner_runs
    out: dict[int, list[ScannerRecord]] = {}
    for row in conn.execute(select(s).where(s.c.run_id.in_(ids)).order_by(s.c.id)):
        out.setdefault(row.run_id, []).append(scanner_record(row))
    return out


def _waivers(conn: Connection, ids: Any) -> tuple[dict[int, list[WaiverInForce]], dict[int, str]]:
    w = t.waivers
    waivers: dict[int, list[WaiverInForce]] = {}
    key: dict[int, str] = {}
    for row in conn.execute(select(w).where(w.c.run_id.in_(ids))):
        key[row.id] = row.waiver
        waivers.setdefault(row.run_id, []).append(waiver_in_force(row))
    return waivers, key


def _control_states(conn: Connection, ids: Any) -> dict[int, Counter[str]]:
    c = t.run_controls
    q = (
        select(c.c.run_id, c.c.state, func.count().label("n"))
        .where(c.c.run_id.in_(ids))
        .group_by(c.c.run_id, c.c.state)
    )
    out: dict[int, Counter[str]] = {}
    for row in conn.execute(q):
        out.setdefault(row.run_id, Counter())[row.state] = int(row.n)
    return out


def _sightings(
    conn: Connection,
    repo_id: int,
    where: tuple[Any, ...],
    runs: Sequence[Run],
    waiver_key: dict[int, str],
    ids: dict[str, int],
) -> dict[str, list[Sighting]]:
    """Each finding's turning sightings, findings in the order of their first run (then by
    fingerprint), as `lifecycles` meets them; `ids` gets each finding's database id.

    A line recorded in order (run ids rise with time, as a line only recording new scans
    does) is read by aggregates over the index of a finding's runs: a finding seen in every
    run from its first to its last, never waived, needs only those two sightings; the rest
    are read whole. A backfilled line is read with window functions (slower on SQLite).
    """
    run_ids = [run.id or 0 for run in runs]
    if run_ids == sorted(run_ids):
        rows = _by_aggregate(conn, repo_id, where, {rid: i for i, rid in enumerate(run_ids)})
    else:
        rows = _by_window(conn, where)
    found: dict[str, list[Sighting]] = {}
    decoded: dict[str, tuple[str, ...]] = {}
    for row, pos, next_pos in rows:
        controls = decoded.get(row.controls)
        if controls is None:
            controls = decoded[row.controls] = tuple(json.loads(row.controls))
        found.setdefault(row.fingerprint, []).append(
            Sighting(pos, _seen(row, controls, waiver_key), next_pos)
        )
        ids[row.fingerprint] = row.finding_id
    order = sorted(found, key=lambda fp: (found[fp][0].pos, fp))
    return {fp: sorted(found[fp], key=lambda x: x.pos) for fp in order}


def _seen(row: Any, controls: tuple[str, ...], waiver_key: dict[int, str]) -> Seen:
    return Seen(
        fingerprint=row.fingerprint,
        scanner=row.scanner,
        rule_id=row.rule_id,
        kind=row.kind,
        title=row.title,
        severity=Severity(row.severity),
        path=row.path,
        start_line=row.start_line,
        end_line=row.end_line,
        controls=controls,
        scope=row.scope,
        waiver=waiver_key.get(row.waiver_id) if row.waiver_id else None,
    )


def _detail(*extra: Any) -> tuple[Any, ...]:
    o, f = t.occurrences, t.findings
    return (
        o.c.finding_id,
        o.c.run_id,
        o.c.severity,
        o.c.path,
        o.c.start_line,
        o.c.end_line,
        cast(o.c.controls, String).label("controls"),
        o.c.scope,
        o.c.waiver_id,
        f.c.fingerprint,
        f.c.scanner,
        f.c.rule_id,
        f.c.kind,
        f.c.title,
        *extra,
    )


def _by_aggregate(
    conn: Connection, repo_id: int, where: tuple[Any, ...], pos_of: dict[int, int]
) -> list[tuple[Any, int, int | None]]:
    """(row, next position) of each turning sighting, from each finding's first run, last
    run, number of runs and of waived runs (one pass over the index of a finding's runs)."""
    o, f = t.occurrences, t.findings
    repo_findings = select(f.c.id).where(f.c.repository_id == repo_id)
    span = (
        select(
            o.c.finding_id,
            func.min(o.c.run_id).label("first"),
            func.max(o.c.run_id).label("last"),
            func.count().label("n"),
            func.count(o.c.waiver_id).label("waived"),
        )
        .where(o.c.finding_id.in_(repo_findings), _in_line(where))
        .group_by(o.c.finding_id)
    )
    whole: set[int] = set()
    single: set[int] = set()
    for row in conn.execute(span):
        if row.waived or pos_of[row.last] - pos_of[row.first] + 1 != row.n:
            whole.add(row.finding_id)
        elif row.n == 1:
            single.add(row.finding_id)
    ends = span.subquery("span")
    q = (
        select(*_detail(ends.c.first))
        .join_from(o, ends, ends.c.finding_id == o.c.finding_id)
        .join(f, f.c.id == o.c.finding_id)
        .where(or_(o.c.run_id == ends.c.first, o.c.run_id == ends.c.last))
    )
    out: list[tuple[Any, int, int | None]] = []
    for row in conn.execute(q):
        if row.finding_id in whole:
            continue
        p = pos_of[row.run_id]
        # Seen in every run from the first to the last: the first's next sighting is the
        # run after it; nothing follows the last.
        first = row.run_id == row.first and row.finding_id not in single
        out.append((row, p, p + 1 if first else None))
    return out + _whole(conn, where, sorted(whole), pos_of)


def _in_line(where: tuple[Any, ...]) -> Any:
    """The occurrence is of a run of the line. `run_id + 0`: an expression, so SQLite's
    planner walks a finding's runs on the (finding_id, run_id) index and checks each against
    the line, instead of probing every finding with every run of the line."""
    r, o = t.runs, t.occurrences
    return (o.c.run_id + 0).in_(select(r.c.id).where(*where))


def _whole(
    conn: Connection, where: tuple[Any, ...], finding_ids: list[int], pos_of: dict[int, int]
) -> list[tuple[Any, int, int | None]]:
    """Every sighting of these findings (gaps or waivers in their story)."""
    o, f = t.occurrences, t.findings
    rows: dict[int, list[tuple[int, Any]]] = {}
    for i in range(0, len(finding_ids), 500):
        q = (
            select(*_detail())
            .join_from(o, f, f.c.id == o.c.finding_id)
            .where(o.c.finding_id.in_(finding_ids[i : i + 500]), _in_line(where))
        )
        for row in conn.execute(q):
            rows.setdefault(row.finding_id, []).append((pos_of[row.run_id], row))
    out: list[tuple[Any, int, int | None]] = []
    for seen in rows.values():
        seen.sort(key=lambda x: x[0])
        for i, (p, row) in enumerate(seen):
            out.append((row, p, seen[i + 1][0] if i + 1 < len(seen) else None))
    return out


def _by_window(conn: Connection, where: tuple[Any, ...]) -> list[tuple[Any, int, int | None]]:
    """(row, position, next position) of each turning sighting, by window functions over the
    line's runs in order."""
    r, o, f = t.runs, t.occurrences, t.findings
    pos = (func.row_number().over(order_by=(r.c.at, r.c.id)) - 1).label("pos")
    line = select(r.c.id, pos).where(*where).subquery("line")
    by, at = o.c.finding_id, line.c.pos
    occ = (
        select(
            *_detail(),
            line.c.pos,
            func.lag(line.c.pos).over(partition_by=by, order_by=at).label("prev_pos"),
            func.lead(line.c.pos).over(partition_by=by, order_by=at).label("next_pos"),
            func.lag(o.c.waiver_id).over(partition_by=by, order_by=at).label("prev_waiver"),
        )
        .join_from(o, line, line.c.id == o.c.run_id)
        .join(f, f.c.id == o.c.finding_id)
        .subquery("occ")
    )
    turning = or_(
        occ.c.prev_pos.is_(None),
        occ.c.prev_pos != occ.c.pos - 1,
        occ.c.next_pos.is_(None),
        occ.c.next_pos != occ.c.pos + 1,
        occ.c.waiver_id.is_not(None),
        occ.c.prev_waiver.is_not(None),
    )
    return [(row, row.pos, row.next_pos) for row in conn.execute(select(occ).where(turning))]
