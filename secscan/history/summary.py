"""What the dashboard adds up, written when a run is recorded: per run and severity the findings
that opened and were fixed (run_changes), and each line's open findings with their due dates
(open_findings). Both come from the same lifecycles as `history trends`, so the dashboard and
the command agree; the dashboard then reads a few rows per run instead of every occurrence.

The line's summaries are rewritten whole each time (a backfilled older run changes what came
after it), in the transaction that reads the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from secscan.history import lines
from secscan.history import schema as t
from secscan.history.lifecycle import Lifecycle, State
from secscan.history.store import SqlStore, _insert_many
from secscan.history.trends import Trends, from_lifecycles
from secscan.model.findings import Severity


def record_line(store: SqlStore, repository: str, branch: str | None, now: datetime) -> Trends:
    """Rewrite the line's summaries and return its trends (the line has a run)."""

    def go(conn: Connection) -> Trends:
        line = lines.read(conn, repository, branch)
        if line is None:
            raise ValueError(f"no recorded run of {repository} on {branch}")
        lives = line.lifecycles(now)
        trends = from_lifecycles(line.runs, line.control_states, lives, now)
        write(conn, line, lives, dict(trends.deadlines))
        return trends

    return store._retry(go, what="summarise the line")


def write(
    conn: Connection,
    line: lines.Line,
    lives: Mapping[str, Lifecycle],
    deadlines: Mapping[Severity, int],
) -> None:
    run_ids = [run.id for run in line.runs if run.id is not None]
    for table in (t.run_changes, t.open_findings):
        for i in range(0, len(run_ids), 500):
            conn.execute(table.delete().where(table.c.run_id.in_(run_ids[i : i + 500])))
    days = {run.id: f"{run.at.astimezone(UTC):%Y-%m-%d}" for run in line.runs}
    _insert_many(conn, t.run_changes, changes(lives, line.repository_id, days))
    newest = run_ids[-1]
    _insert_many(conn, t.open_findings, open_rows(newest, lives, line.finding_ids, deadlines))


def changes(
    lives: Mapping[str, Lifecycle], repository_id: int, days: Mapping[int | None, str]
) -> list[dict[str, Any]]:
    """run_changes rows: each episode opens in one run and may be fixed in a later one;
    `days` gives each run's UTC day (YYYY-MM-DD)."""
    counts: dict[tuple[int, str], list[float]] = {}
    for life in lives.values():
        for ep in life.episodes:
            sev = ep.severity.value
            counts.setdefault((ep.opened_run, sev), [0, 0, 0.0])[0] += 1
            if ep.fixed_run is not None and ep.days_to_fix is not None:
                row = counts.setdefault((ep.fixed_run, sev), [0, 0, 0.0])
                row[1] += 1
                row[2] += ep.days_to_fix
    return [
        {
            "run_id": run_id,
            "severity": sev,
            "repository_id": repository_id,
            "day": days[run_id],
            "opened": int(o),
            "fixed": int(f),
            "fix_days": d,
        }
        for (run_id, sev), (o, f, d) in sorted(counts.items())
    ]


def open_rows(
    run_id: int,
    lives: Mapping[str, Lifecycle],
    finding_ids: Mapping[str, int],
    deadlines: Mapping[Severity, int],
) -> list[dict[str, Any]]:
    """open_findings rows: the open, unwaived findings after the line's newest run (those
    `history trends` lists), each with the moment it opened and its due date."""
    rows = []
    for fp, life in sorted(lives.items()):
        since = life.open_since
        if since is None or life.state is State.WAIVED:
            continue
        sev = life.latest.severity
        days = deadlines.get(sev)
        rows.append(
            {
                "run_id": run_id,
                "finding_id": finding_ids[fp],
                "severity": sev.value,
                "open_since": since,
                "due_at": None if days is None else since + timedelta(days=days),
            }
        )
    return rows
