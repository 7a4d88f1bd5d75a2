"""Trends over one line of runs: new and fixed per run and per month, open by severity,
time to remediate, deadline breaches. Pure; the view-model every report and `history trends`
renders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from secscan.history.lifecycle import EventKind, Lifecycle, State, lifecycles
from secscan.history.model import Run, RunState, deadline_map
from secscan.model.findings import Severity

SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, reverse=True))


@dataclass(frozen=True, slots=True)
class RunPoint:
    run_id: int
    at: datetime
    commit: str | None
    new: int
    fixed: int
    reopened: int
    #: Open (unwaived) findings after the run, per severity, most severe first.
    open: tuple[tuple[Severity, int], ...]
    waived: int
    complete: bool
    #: Control states after the run: (state, count).
    controls: tuple[tuple[str, int], ...] = ()

    @property
    def open_total(self) -> int:
        return sum(n for _, n in self.open)


@dataclass(frozen=True, slots=True)
class MonthPoint:
    month: str
    new: int
    fixed: int


@dataclass(frozen=True, slots=True)
class Remediation:
    severity: Severity
    fixes: int
    mean_days: float | None


@dataclass(frozen=True, slots=True)
class OpenFinding:
    fingerprint: str
    severity: Severity
    state: State
    rule_id: str
    path: str
    line: int | None
    age_days: float
    deadline_days: int | None

    @property
    def breached(self) -> bool:
        return self.deadline_days is not None and self.age_days > self.deadline_days

    @property
    def overdue_days(self) -> float:
        return 0.0 if self.deadline_days is None else max(0.0, self.age_days - self.deadline_days)


@dataclass(frozen=True, slots=True)
class Trends:
    repository: str
    branch: str | None
    now: datetime
    runs: tuple[RunPoint, ...]
    months: tuple[MonthPoint, ...]
    remediation: tuple[Remediation, ...]
    open_findings: tuple[OpenFinding, ...]
    deadlines: tuple[tuple[Severity, int], ...]

    @property
    def breaches(self) -> tuple[OpenFinding, ...]:
        return tuple(f for f in self.open_findings if f.breached)

    @property
    def last(self) -> RunPoint | None:
        return self.runs[-1] if self.runs else None

    def summary_line(self) -> str:
        """One line for Markdown: what changed since the run before this one."""
        if not self.runs:
            return "no recorded runs"
        last = self.runs[-1]
        where = f" on {self.branch}" if self.branch else ""
        if len(self.runs) == 1:
            return f"first recorded run{where}: {last.new} open finding(s)"
        text = f"+{last.new} new, \u2212{last.fixed} fixed since the last run{where}"
        if last.reopened:
            text += f" ({last.reopened} reopened)"
        if not last.complete:
            text += "; incomplete run: a scanner failed, so nothing it found counts as fixed"
        if self.breaches:
            text += f"; {len(self.breaches)} past their remediation deadline"
        return text


def compute(runs: Sequence[Run], now: datetime) -> Trends:
    """Trends of one repository and branch (runs oldest first)."""
    if not runs:
        raise ValueError("trends need at least one run")
    states = [Counter(state for _, state in run.controls) for run in runs]
    return from_lifecycles(runs, states, lifecycles(runs, now), now)


def from_lifecycles(
    runs: Sequence[Run],
    control_states: Sequence[Counter[str]],
    lives: Mapping[str, Lifecycle],
    now: datetime,
) -> Trends:
    """Trends from the runs (oldest first), each run's control states counted, and the
    lifecycles of the findings over them (from `lifecycles` or `lifecycle.replay`)."""
    if not runs:
        raise ValueError("trends need at least one run")
    ids = [run.id if run.id is not None else i for i, run in enumerate(runs)]
    changes = _Changes.of(len(runs))
    # One sweep: each finding adds its changes to the run where they happened; the running
    # sums are then the open and waived counts after every run.
    index = {run_id: i for i, run_id in enumerate(ids)}
    for life in lives.values():
        changes.add(life, index)
    points = changes.points(runs, ids, control_states)
    deadlines = _deadlines(runs)
    return Trends(
        repository=runs[-1].repository,
        branch=runs[-1].branch,
        now=now,
        runs=points,
        months=_months(points),
        remediation=_remediation(lives.values()),
        open_findings=_open(lives.values(), now, deadlines),
        deadlines=tuple(sorted(deadlines.items(), key=lambda kv: -kv[0].rank)),
    )


@dataclass(frozen=True, slots=True)
class _Changes:
    """Per run (by position): its events by kind, and how its findings changed the open
    count per severity and the waived count."""

    events: list[Counter[EventKind]]
    opened: list[Counter[Severity]]
    waived: list[int]

    @classmethod
    def of(cls, runs: int) -> _Changes:
        return cls([Counter() for _ in range(runs)], [Counter() for _ in range(runs)], [0] * runs)

    def add(self, life: Lifecycle, index: Mapping[int, int]) -> None:
        """One finding's events, each at the run (position from `index`) where it happened."""
        episodes = iter(life.episodes)
        sev: Severity | None = None
        is_waived = False
        for ev in life.events:
            i = index[ev.run_id]
            self.events[i][ev.kind] += 1
            if ev.kind in (EventKind.NEW, EventKind.REOPENED):
                sev, is_waived = next(episodes).severity, False
                self.opened[i][sev] += 1
            elif sev is None:
                continue
            elif ev.kind is EventKind.WAIVED and not is_waived:
                self._waive(i, sev, 1)
                is_waived = True
            elif ev.kind is EventKind.UNWAIVED and is_waived:
                self._waive(i, sev, -1)
                is_waived = False
            elif ev.kind is EventKind.FIXED:
                if is_waived:
                    self.waived[i] -= 1
                else:
                    self.opened[i][sev] -= 1
                sev, is_waived = None, False

    def _waive(self, i: int, sev: Severity, n: int) -> None:
        """`n` open findings of `sev` waived at run `i` (unwaived when negative)."""
        self.opened[i][sev] -= n
        self.waived[i] += n

    def points(
        self, runs: Sequence[Run], ids: Sequence[int], control_states: Sequence[Counter[str]]
    ) -> tuple[RunPoint, ...]:
        """Each run's point, with the open and waived counts as they stood after it."""
        points = []
        running: Counter[Severity] = Counter()
        waived_now = 0
        for i, run in enumerate(runs):
            running.update(self.opened[i])
            waived_now += self.waived[i]
            counts = self.events[i]
            states = control_states[i]
            points.append(
                RunPoint(
                    run_id=ids[i],
                    at=run.at,
                    commit=run.commit,
                    new=counts[EventKind.NEW] + counts[EventKind.REOPENED],
                    fixed=counts[EventKind.FIXED],
                    reopened=counts[EventKind.REOPENED],
                    open=tuple((s, running[s]) for s in SEVERITIES),
                    waived=waived_now,
                    complete=run.state is RunState.COMPLETE,
                    controls=tuple(sorted(states.items())),
                )
            )
        return tuple(points)


def _months(points: Iterable[RunPoint]) -> tuple[MonthPoint, ...]:
    months: dict[str, list[int]] = {}
    for p in points:
        m = months.setdefault(p.at.strftime("%Y-%m"), [0, 0])
        m[0] += p.new
        m[1] += p.fixed
    return tuple(MonthPoint(k, v[0], v[1]) for k, v in sorted(months.items()))


def _deadlines(runs: Sequence[Run]) -> Mapping[Severity, int]:
    """The deadlines of the newest run that recorded its profile's."""
    newest = next((r.deadlines for r in reversed(runs) if r.deadlines is not None), None)
    return deadline_map(newest)


def _remediation(lives: Iterable[Lifecycle]) -> tuple[Remediation, ...]:
    days: dict[Severity, list[float]] = {}
    for life in lives:
        for ep in life.episodes:
            if ep.days_to_fix is not None:
                days.setdefault(ep.severity, []).append(ep.days_to_fix)
    return tuple(Remediation(s, len(days.get(s, [])), _mean(days.get(s, []))) for s in SEVERITIES)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _open(
    lives: Iterable[Lifecycle], now: datetime, deadlines: Mapping[Severity, int]
) -> tuple[OpenFinding, ...]:
    out = []
    for life in lives:
        if not life.state.is_open or life.state is State.WAIVED:
            continue
        seen = life.latest
        out.append(
            OpenFinding(
                fingerprint=life.fingerprint,
                severity=seen.severity,
                state=life.state,
                rule_id=seen.rule_id,
                path=seen.path,
                line=seen.start_line,
                age_days=life.age_days(now) or 0.0,
                deadline_days=deadlines.get(seen.severity),
            )
        )
    return tuple(sorted(out, key=lambda f: (-f.overdue_days, -f.severity.rank, f.fingerprint)))
