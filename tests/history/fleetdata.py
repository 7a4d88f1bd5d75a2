"""A small organisation's history, recorded through the real store and summaries: repositories
with team tags, weekly runs with findings opening and closing, a failed scanner, a waiver,
deadlines, control states, and hostile text in names, paths and titles (a scanned tree picks
its file paths; titles can carry scanned text)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from secscan.history import summary
from secscan.history.model import Run, ScannerRecord, Seen, Source, WaiverInForce
from secscan.history.store import SqlStore
from secscan.model.findings import RunStatus, Severity

T0 = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(weeks=8, days=2)
HOSTILE_REPO = 'https://git.example.org/web/<script>alert("repo")</script>.git'
HOSTILE_TITLE = '<script>alert("title")</script> in a title'
HOSTILE_PATH = "src/<img src=x onerror=alert(1)>.py"
CONTROLS = ("iso27001-2022:A.8.28", "iso27001-2022:A.8.8", "iso27001-2022:A.5.7", "gdpr:Art.32")
DEADLINES = ((Severity.CRITICAL, 7), (Severity.HIGH, 14), (Severity.MEDIUM, 30))

REPOS: tuple[tuple[str, dict[str, str]], ...] = (
    ("https://git.example.org/payments/api.git", {"team": "payments", "criticality": "high"}),
    ("https://git.example.org/payments/ledger.git", {"team": "payments"}),
    ("https://git.example.org/identity/login.git", {"team": "identity", "criticality": "high"}),
    (HOSTILE_REPO, {"team": "<b>web</b>"}),
    ("https://git.example.org/data/etl.git", {"team": "data"}),
    ("/srv/checkouts/untagged", {}),
)


@dataclass
class Fleet:
    """What was recorded, for the tests' own arithmetic."""

    runs: dict[str, list[Run]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)


def _finding(rng: random.Random, repo: int, n: int) -> Seen:
    hostile = repo == 3 and n % 4 == 0
    return Seen(
        fingerprint=f"{repo:04d}{n:060x}",
        scanner="bandit" if n % 3 else "semgrep",
        rule_id=f"B{600 + n % 9}",
        kind="code",
        title=HOSTILE_TITLE if hostile else f"finding {n}",
        severity=rng.choice(list(Severity)),
        path=HOSTILE_PATH if hostile else f"src/mod_{n % 5}.py",
        start_line=n + 1,
        controls=(CONTROLS[n % 3],),
    )


def build(store: SqlStore, *, weeks: int = 8, seed: int = 11) -> Fleet:
    rng = random.Random(seed)
    fleet = Fleet()
    paths = tuple(f"src/mod_{i}.py" for i in range(5)) + (HOSTILE_PATH,)
    for ri, (identity, tags) in enumerate(REPOS):
        store.set_tags(identity, tags) if tags else None
        fleet.tags[identity] = tags
        pool = [_finding(rng, ri, n) for n in range(12)]
        open_now = set(rng.sample(range(12), 6))
        runs = []
        for w in range(weeks):
            at = T0 + timedelta(weeks=w, hours=ri)
            if w:
                for n in rng.sample(range(12), 3):
                    open_now ^= {n}
            last = w == weeks - 1
            failed = last and ri == 4
            waived = {pool[n].fingerprint for n in sorted(open_now)[:1]} if ri == 0 else set()
            findings = tuple(
                Seen(
                    **{
                        **_fields(pool[n]),
                        "waiver": "W-1" if pool[n].fingerprint in waived else None,
                    }
                )
                for n in sorted(open_now)
            )
            run = Run(
                repository=identity,
                at=at,
                started_at=at,
                secscan_version="test",
                source=Source.CI,
                branch="main",
                commit=f"{ri:02d}{w:038x}",
                profile="ci",
                outcome="fail" if any(f.severity >= Severity.HIGH for f in findings) else "pass",
                deadlines=DEADLINES,
                scanners=(
                    ScannerRecord("bandit", "code", RunStatus.OK, "1.8", None, paths),
                    ScannerRecord(
                        "semgrep",
                        "code",
                        RunStatus.ERROR if failed else RunStatus.OK,
                        "1.90",
                        "semgrep timed out" if failed else None,
                        () if failed else paths,
                    ),
                ),
                findings=findings,
                waivers=(WaiverInForce("W-1", "sec", date(2027, 6, 30), False, "accepted"),)
                if ri == 0
                else (),
                controls=tuple(
                    (c, rng.choice(["pass", "fail", "not_assessed"]))
                    for c in CONTROLS[: 2 + ri % 3]
                ),
            )
            store.record(run)
            summary.record_line(store, identity, "main", at + timedelta(minutes=5))
            runs.append(run)
        fleet.runs[identity] = runs
    return fleet


def _fields(seen: Seen) -> dict[str, object]:
    return {name: getattr(seen, name) for name in Seen.__slots__}
