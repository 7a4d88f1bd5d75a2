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
from secscan.history.model import Run, ScannerRecord, Seen, Source, WaiverInForce
from secscan.history.store import SqlStore, _date, _utc
from secscan.history.trends import Trends, from_lifecycles
from secscan.model.findings import RunStatus, Severity


@dataclass(frozen=True, slots=True)
class Line:
    """A line's runs (scanners and waivers, no findings), each run's control states counted,
    and each finding's sightings."""

    runs: tuple[Run, ...]
    control_states: tuple[Counter[str], ...]
    sightings: dict[str, list[Sighting]]

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
        _run(row, repository, scanners.get(row.id, ()), waivers.get(row.id, ())) for row in rows
    )
    states = _control_states(conn, ids)
    return Line(
        runs=runs,
        control_states=tuple(states.get(row.id, Counter()) for row in rows),
        sightings=_sightings(conn, where, waiver_key),
    )


def _run(
    row: Any, repository: str, scanners: Sequence[ScannerRecord], waivers: Sequence[WaiverInForce]
) -> Run:
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
        waivers=tuple(sorted(waivers, key=lambda x: x.key)),
        settings_digest=row.settings_digest,
    )


def _scanners(conn: Connection, ids: Any) -> dict[int, list[ScannerRecord]]:
    s = t.scanner_runs
    out: dict[int, list[ScannerRecord]] = {}
    for row in conn.execute(select(s).where(s.c.run_id.in_(ids)).order_by(s.c.id)):
        out.setdefault(row.run_id, []).append(
            ScannerRecord(
                scanner=row.scanner,
                kind=row.kind,
                status=RunStatus(row.status),
                tool_version=row.tool_version,
                error=row.error,
                paths=tuple(row.paths),
            )
        )
    return out


def _waivers(conn: Connection, ids: Any) -> tuple[dict[int, list[WaiverInForce]], dict[int, str]]:
    w = t.waivers
    waivers: dict[int, list[WaiverInForce]] = {}
    key: dict[int, str] = {}
    for row in conn.execute(select(w).where(w.c.run_id.in_(ids))):
        key[row.id] = row.waiver
        waivers.setdefault(row.run_id, []).append(
            WaiverInForce(row.waiver, row.owner, _date(row.expires), row.expired, row.reason)
        )
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
    conn: Connection, where: tuple[Any, ...], waiver_key: dict[int, str]
) -> dict[str, list[Sighting]]:
    """Each finding's turning sightings, findings in the order of their first run (then by
    fingerprint), as `lifecycles` meets them."""
    r, o, f = t.runs, t.occurrences, t.findings
    pos = (func.row_number().over(order_by=(r.c.at, r.c.id)) - 1).label("pos")
    line = select(r.c.id, pos).where(*where).subquery("line")
    by, at = o.c.finding_id, line.c.pos
    occ = (
        select(
            o.c.finding_id,
            line.c.pos,
            o.c.severity,
            o.c.path,
            o.c.start_line,
            o.c.end_line,
            cast(o.c.controls, String).label("controls"),
            o.c.scope,
            o.c.waiver_id,
            func.lag(line.c.pos).over(partition_by=by, order_by=at).label("prev_pos"),
            func.lead(line.c.pos).over(partition_by=by, order_by=at).label("next_pos"),
            func.lag(o.c.waiver_id).over(partition_by=by, order_by=at).label("prev_waiver"),
        )
        .join_from(o, line, line.c.id == o.c.run_id)
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
    q = (
        select(occ, f.c.fingerprint, f.c.scanner, f.c.rule_id, f.c.kind, f.c.title)
        .join_from(occ, f, f.c.id == occ.c.finding_id)
        .where(turning)
        .order_by(f.c.fingerprint, occ.c.pos)
    )
    found: dict[str, list[Sighting]] = {}
    decoded: dict[str, tuple[str, ...]] = {}
    for row in conn.execute(q):
        controls = decoded.get(row.controls)
        if controls is None:
            controls = decoded[row.controls] = tuple(json.loads(row.controls))
        seen = Seen(
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
        found.setdefault(row.fingerprint, []).append(Sighting(row.pos, seen, row.next_pos))
    order = sorted(found, key=lambda fp: (found[fp][0].pos, fp))
    return {fp: found[fp] for fp in order}
