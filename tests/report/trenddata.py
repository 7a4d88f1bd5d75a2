"""Trends of a few synthetic runs, with hostile text where scanned data goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from secscan.history.model import Run, ScannerRecord, Seen, Source
from secscan.history.trends import Trends, compute
from secscan.model.findings import RunStatus, Severity

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png">'


def hostile_trends() -> Trends:
    def seen(fp: str, sev: Severity) -> Seen:
        return Seen(fp, "bandit", f"B1{fp}{HOSTILE}", "code", HOSTILE, sev, f"{HOSTILE}.py", 1)

    runs = []
    sets = [["1", "2", "3"], ["2", "3"], ["2", "3", "4"], ["3", "4"]]
    for n, fps in enumerate(sets):
        runs.append(
            Run(
                repository="r",
                at=T0 + timedelta(days=40 * n),
                started_at=T0 + timedelta(days=40 * n),
                secscan_version="t",
                source=Source.CI,
                branch="main",
                scanners=(ScannerRecord("bandit", "code", RunStatus.OK, paths=(f"{HOSTILE}.py",)),),
                findings=tuple(
                    seen(fp, Severity.HIGH if fp != "4" else Severity.LOW) for fp in fps
                ),
                controls=(("iso:A.1", "fail"), ("iso:A.2", "pass")),
            )
        )
    return compute(runs, T0 + timedelta(days=200))
