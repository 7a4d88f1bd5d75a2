"""The dashboard's pages as plain values (pure): weeks folded from days, charts as geometry,
query strings for sorting and paging. web.py fills them from history.fleetview."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from secscan.history.fleetview import SEVERITIES, Changes, ControlCount, GroupChanges
from secscan.report.trend_charts import SEVERITY_CSS, Chart, stacked

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int
    total: int
    size: int

    @classmethod
    def of(cls, page: int, total: int, size: int = PAGE_SIZE) -> Pager:
        pages = max(1, -(-total // size))
        return cls(min(max(1, page), pages), pages, total, size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def query(params: Mapping[str, object], **changes: object) -> str:
    """The query string of the current page with some parameters changed (None drops one)."""
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def age(now: datetime, then: datetime) -> str:
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class Remediation:
    severity: str
    opened: int
    fixed: int
    mean_days: float | None


@dataclass(frozen=True, slots=True)
class TrendsView:
    weeks: tuple[date, ...]
    charts: tuple[Chart, ...]
    remediation: tuple[Remediation, ...]
    opened: int
    fixed: int


def trends(days: Sequence[Changes], since: date, until: date) -> TrendsView:
    """Weekly opened and fixed findings per severity (stacked bars) and the period's mean
    time to remediate per severity, from per-day sums."""
    weeks: list[date] = []
    w = week_of(since)
    while w < until:
        weeks.append(w)
        w += timedelta(days=7)
    index = {wk: i for i, wk in enumerate(weeks)}
    opened = [dict.fromkeys(SEVERITIES, 0) for _ in weeks]
    fixed = [dict.fromkeys(SEVERITIES, 0) for _ in weeks]
    totals: dict[str, list[float]] = {s: [0, 0, 0.0] for s in SEVERITIES}
    for c in days:
        i = index.get(week_of(date.fromisoformat(c.day)))
        if i is None or c.severity not in totals:
            continue
        opened[i][c.severity] += c.opened
        fixed[i][c.severity] += c.fixed
        totals[c.severity][0] += c.opened
        totals[c.severity][1] += c.fixed
        totals[c.severity][2] += c.fix_days
    legend = tuple((SEVERITY_CSS[s], s) for s in SEVERITIES)
    note = f"weeks of {weeks[0]:%Y-%m-%d} to {weeks[-1]:%Y-%m-%d}" if weeks else ""
    charts = (
        stacked("Findings opened per week", _columns(weeks, opened, "opened"), legend, note),
        stacked("Findings fixed per week", _columns(weeks, fixed, "fixed"), legend, note),
    )
    return TrendsView(
        weeks=tuple(weeks),
        charts=charts,
        remediation=tuple(
            Remediation(s, int(o), int(f), d / f if f else None) for s, (o, f, d) in totals.items()
        ),
        opened=int(sum(v[0] for v in totals.values())),
        fixed=int(sum(v[1] for v in totals.values())),
    )


def _columns(
    weeks: Sequence[date], counts: Sequence[Mapping[str, int]], what: str
) -> list[list[tuple[str, int, str]]]:
    return [
        [
            (SEVERITY_CSS[s], counts[i][s], f"week of {wk:%Y-%m-%d}: {counts[i][s]} {s} {what}")
            for s in reversed(SEVERITIES)
        ]
        for i, wk in enumerate(weeks)
    ]


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: str
    opened: int
    fixed: int
    #: (severity, mean days to remediate or None), most severe first.
    mean_days: tuple[tuple[str, float | None], ...]


def groups(rows: Iterable[GroupChanges]) -> list[GroupRow]:
    by: dict[str, dict[str, GroupChanges]] = {}
    for r in rows:
        by.setdefault(r.group, {})[r.severity] = r
    out = []
    for name, sev in sorted(by.items()):
        out.append(
            GroupRow(
                group=name,
                opened=sum(r.opened for r in sev.values()),
                fixed=sum(r.fixed for r in sev.values()),
                mean_days=tuple((s, sev[s].mean_days if s in sev else None) for s in SEVERITIES),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class ControlRow:
    control: str
    #: (state, repositories in it), in STATES order.
    states: tuple[tuple[str, int], ...]

    @property
    def overall(self) -> str:
        """The control across the fleet: failed if any repository fails it, else not
        assessed if any lacks evidence for it (an auditor gets no PASS without evidence),
        else waived or below threshold where any is, pass only where every repository
        passes."""
        held = {state for state, n in self.states if n}
        return next((s for s in OVERALL_ORDER if s in held), "not_assessed")


STATES = ("fail", "waived", "below_threshold", "not_assessed", "pass")
#: Which state colours a control's row across the fleet: the first any repository is in.
OVERALL_ORDER = ("fail", "not_assessed", "waived", "below_threshold", "pass")


def control_rows(counts: Iterable[ControlCount]) -> list[ControlRow]:
    by: dict[str, dict[str, int]] = {}
    for c in counts:
        by.setdefault(c.control, {})[c.state] = c.repositories
    known = [*STATES, *sorted({s for v in by.values() for s in v} - set(STATES))]
    return [
        ControlRow(control, tuple((s, states.get(s, 0)) for s in known))
        for control, states in sorted(by.items())
    ]
