"""A finding's life by fingerprint over one line of runs: new, fixed, reopened, waived.

Pure: runs in, lifecycles out. "Fixed" needs evidence: a later run in which the scanner that
found it ran successfully over the finding's file and did not report it. A failed scanner, an
excluded file or a file the tool could not read is "not scanned", and never a fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from secscan.history.model import Run, Seen, WaiverInForce
from secscan.model.findings import RunStatus, Severity


class State(StrEnum):
    OPEN = "open"
    #: Open again after a fix.
    REOPENED = "reopened"
    FIXED = "fixed"
    #: Open, but accepted by a waiver that had not expired when last seen.
    WAIVED = "waived"

    @property
    def is_open(self) -> bool:
        return self is not State.FIXED


class EventKind(StrEnum):
    NEW = "new"
    FIXED = "fixed"
    REOPENED = "reopened"
    #: Absent from a run that could not have seen it (scanner failed, file not assessed).
    NOT_SCANNED = "not_scanned"
    WAIVED = "waived"
    UNWAIVED = "unwaived"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    run_id: int
    at: datetime
    commit: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Episode:
    """One stretch of being open: from the run that saw it to the run that fixed it."""

    opened_at: datetime
    opened_run: int
    severity: Severity
    fixed_at: datetime | None = None
    fixed_run: int | None = None

    @property
    def days_to_fix(self) -> float | None:
        if self.fixed_at is None:
            return None
        return (self.fixed_at - self.opened_at).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class Lifecycle:
    fingerprint: str
    latest: Seen
    state: State
    first_seen: datetime
    last_seen: datetime
    first_run: int
    last_run: int
    episodes: tuple[Episode, ...]
    events: tuple[Event, ...] = ()
    waiver: WaiverInForce | None = None

    @property
    def open_since(self) -> datetime | None:
        return None if not self.state.is_open else self.episodes[-1].opened_at

    @property
    def fixed_at(self) -> datetime | None:
        return self.episodes[-1].fixed_at

    def age_days(self, now: datetime) -> float | None:
        since = self.open_since
        return None if since is None else (now - since).total_seconds() / 86400


@dataclass
class _Track:
    """One fingerprint's lifecycle while the runs are walked."""

    latest: Seen
    first_seen: datetime
    first_run: int
    last_seen: datetime
    last_run: int
    state: State
    episodes: list[Episode]
    events: list[Event] = field(default_factory=list)
    waiver: WaiverInForce | None = None

    @classmethod
    def new(cls, run: Run, run_id: int, seen: Seen) -> _Track:
        track = cls(
            latest=seen,
            first_seen=run.at,
            first_run=run_id,
            last_seen=run.at,
            last_run=run_id,
            state=State.OPEN,
            episodes=[Episode(run.at, run_id, seen.severity)],
        )
        track.events.append(Event(EventKind.NEW, run_id, run.at, run.commit))
        return track

    def seen_in(self, run: Run, run_id: int, seen: Seen, waiver: WaiverInForce | None) -> None:
        """The run reported the finding: open (again, if it was fixed), waived or not."""
        if self.state is State.FIXED:
            self.episodes.append(Episode(run.at, run_id, seen.severity))
            self.events.append(Event(EventKind.REOPENED, run_id, run.at, run.commit))
        if waiver is not None and self.waiver is None:
            self.events.append(
                Event(EventKind.WAIVED, run_id, run.at, run.commit, _waiver_text(waiver))
            )
        elif waiver is None and self.waiver is not None:
            self.events.append(Event(EventKind.UNWAIVED, run_id, run.at, run.commit))
        self.waiver = waiver
        self.latest, self.last_seen, self.last_run = seen, run.at, run_id
        if waiver is not None:
            self.state = State.WAIVED
        else:
            self.state = State.REOPENED if len(self.episodes) > 1 else State.OPEN

    def absent_from(self, run: Run, run_id: int, ok: Mapping[str, frozenset[str]]) -> bool:
        """The run did not report the finding: fixed (True) when the scanner that found it
        assessed its file, else "not scanned" (said once for each reason in a row)."""
        seen = self.latest
        if seen.path in ok.get(seen.scanner, ()):
            self.state = State.FIXED
            self.waiver = None
            self.episodes[-1] = replace(self.episodes[-1], fixed_at=run.at, fixed_run=run_id)
            self.events.append(Event(EventKind.FIXED, run_id, run.at, run.commit))
            return True
        why = _why_not(run, seen)
        last = self.events[-1]
        if last.kind is not EventKind.NOT_SCANNED or last.detail != why:
            self.events.append(Event(EventKind.NOT_SCANNED, run_id, run.at, run.commit, why))
        return False

    def lifecycle(self, fingerprint: str, now: datetime | None) -> Lifecycle:
        state, waiver = self.state, self.waiver
        if state is State.WAIVED and waiver is not None and now is not None:
            if waiver.expires < now.date():
                state = State.OPEN  # the waiver ran out after the last run
        return Lifecycle(
            fingerprint=fingerprint,
            latest=self.latest,
            state=state,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            first_run=self.first_run,
            last_run=self.last_run,
            episodes=tuple(self.episodes),
            events=tuple(self.events),
            waiver=waiver if state is State.WAIVED else None,
        )


def assessed(run: Run) -> Mapping[str, frozenset[str]]:
    """Per scanner that ran successfully, the files it assessed."""
    return {s.scanner: frozenset(s.paths) for s in run.scanners if s.status is RunStatus.OK}


def lifecycles(runs: Sequence[Run], now: datetime | None = None) -> dict[str, Lifecycle]:
    """Walk the runs oldest first; `now` lets a waiver that has since expired stop counting."""
    tracks: dict[str, _Track] = {}
    #: The tracks not fixed: only they can be fixed by a run (a long history is mostly fixed).
    live: dict[str, _Track] = {}
    for index, run in enumerate(runs):
        run_id = run.id if run.id is not None else index
        present = {s.fingerprint: s for s in run.findings}
        for fp, seen in present.items():
            track = tracks.get(fp)
            if track is None:
                track = tracks[fp] = _Track.new(run, run_id, seen)
            track.seen_in(run, run_id, seen, _active(run, seen))
            live[fp] = track
        ok = assessed(run)
        for fp, track in list(live.items()):
            if fp not in present and track.absent_from(run, run_id, ok):
                del live[fp]
    return {fp: track.lifecycle(fp, now) for fp, track in tracks.items()}


def _active(run: Run, seen: Seen) -> WaiverInForce | None:
    w = run.waiver(seen.waiver)
    if w is None or w.expired or w.expires < run.at.date():
        return None
    return w


def _waiver_text(w: WaiverInForce) -> str:
    return f"waiver {w.key} (owner {w.owner}, expires {w.expires.isoformat()})"


def _why_not(run: Run, seen: Seen) -> str:
    scanner = next((s for s in run.scanners if s.scanner == seen.scanner), None)
    if scanner is None:
        return f"{seen.scanner} did not run"
    if scanner.status is not RunStatus.OK:
        return f"{seen.scanner} {scanner.status.value}"
    return f"{seen.scanner} did not assess {seen.path}"


@dataclass(frozen=True, slots=True)
class Sighting:
    """A run (by position in its line) that saw a finding where the finding's story may turn:
    its first and last sightings, the edges of every gap, and every waived sighting. The runs
    in between saw it unchanged, so a replay of the sightings alone gives the same lifecycle
    as a walk over every run (`lifecycles`)."""

    pos: int
    seen: Seen
    #: The position of the next run that saw the finding (None: no later run did).
    next_pos: int | None


def replay(
    runs: Sequence[Run],
    sightings: Mapping[str, Sequence[Sighting]],
    now: datetime | None = None,
) -> dict[str, Lifecycle]:
    """`lifecycles` from sparse sightings (each finding's in run order, findings in the order
    `lifecycles` meets them). `runs` need their scanners and waivers, not their findings: a
    run that did not see a finding is asked only whether its scanner assessed the file."""
    ids = [run.id if run.id is not None else i for i, run in enumerate(runs)]
    ok: dict[int, Mapping[str, frozenset[str]]] = {}

    def assessed_at(pos: int) -> Mapping[str, frozenset[str]]:
        found = ok.get(pos)
        if found is None:
            found = ok[pos] = assessed(runs[pos])
        return found

    out: dict[str, Lifecycle] = {}
    for fp, seen_in in sightings.items():
        track: _Track | None = None
        for s in seen_in:
            run = runs[s.pos]
            if track is None:
                track = _Track.new(run, ids[s.pos], s.seen)
            track.seen_in(run, ids[s.pos], s.seen, _active(run, s.seen))
            end = len(runs) if s.next_pos is None else s.next_pos
            for pos in range(s.pos + 1, end):
                if track.absent_from(runs[pos], ids[pos], assessed_at(pos)):
                    break
        if track is not None:
            out[fp] = track.lifecycle(fp, now)
    return out
