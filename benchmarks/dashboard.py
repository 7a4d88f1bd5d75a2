"""Dashboard benchmark: every page's server time over REPOS repositories x RUNS runs each.

    python benchmarks/dashboard.py --url sqlite:////tmp/d.sqlite [--url postgresql://...]
    python benchmarks/dashboard.py --repos 100 --runs 20 ...        # smaller

The history is generated directly with bulk inserts (recording 100,000 runs one by one would
take hours and measure the recorder, not the dashboard): each repository has one branch, a
run a day, FINDINGS open findings of which CHURN are replaced per run (one fixed, one new),
two scanners, CONTROLS control states per run, a team tag among 20 and a criticality, and the
summaries `secscan` writes when it records (run_changes, open_findings of the newest run).

Each page is requested in process through the ASGI app (Starlette's client: routing, SQL,
template rendering, no network); printed per page: the median and the worst of REPEAT
requests after one warm-up, in milliseconds. Target: every page <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from secscan.history import schema as t
from secscan.history.store import SqlStore, engine_url

SEVERITIES = ("critical", "high", "medium", "low", "info")
FRAMEWORK = "iso27001-2022"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
BATCH = 20_000


class Writer:
    """Rows gathered per table, inserted in large batches, parents first."""

    def __init__(self, conn: Connection, tables: tuple[Any, ...]) -> None:
        self.conn = conn
        self.tables = tables
        self.rows: dict[str, list[dict[str, Any]]] = {tb.name: [] for tb in tables}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        bucket = self.rows[table.name]
        bucket.append(row)
        if len(bucket) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            bucket = self.rows[table.name]
            if bucket:
                self.conn.execute(table.insert(), bucket)
                bucket.clear()


def generate(store: SqlStore, repos: int, runs: int, findings: int, controls: int) -> None:
    rng = random.Random(5)
    tables = (
        t.repositories,
        t.repository_tags,
        t.runs,
        t.scanner_runs,
        t.findings,
        t.occurrences,
        t.run_controls,
        t.run_changes,
        t.open_findings,
    )
    run_id = finding_id = 0
    control_ids = [f"{FRAMEWORK}:A.8.{i}" for i in range(controls)]
    with store.engine.begin() as conn:
        w = Writer(conn, tables)
        for r in range(1, repos + 1):
            w.add(
                t.repositories,
                {"id": r, "identity": f"https://git.example.org/org/repo-{r:04d}.git"},
            )
            w.add(
                t.repository_tags,
                {"repository_id": r, "key": "team", "value": f"team-{r % 20:02d}"},
            )
            w.add(
                t.repository_tags,
                {"repository_id": r, "key": "criticality", "value": ("high", "low")[r % 2]},
            )
            current: dict[int, tuple[str, datetime]] = {}
            start = NOW - timedelta(days=runs, minutes=r)
            for n in range(runs):
                run_id += 1
                at = start + timedelta(days=n)
                changes: dict[str, list[float]] = {}
                if n == 0:
                    for _ in range(findings):
                        finding_id = _new_finding(w, rng, r, current, finding_id, at)
                    for sev, _ in current.values():
                        changes.setdefault(sev, [0, 0, 0.0])[0] += 1
                else:
                    for fid in rng.sample(sorted(current), 1):
                        sev, since = current.pop(fid)
                        c = changes.setdefault(sev, [0, 0, 0.0])
                        c[1] += 1
                        c[2] += (at - since).total_seconds() / 86400
                    finding_id = _new_finding(w, rng, r, current, finding_id, at)
                    sev = current[finding_id][0]
                    changes.setdefault(sev, [0, 0, 0.0])[0] += 1
                failed = rng.random() < 0.02
                w.add(
                    t.runs,
                    {
                        "id": run_id,
                        "repository_id": r,
                        "branch": "main",
                        "commit_sha": f"{run_id:040x}",
                        "at": at,
                        "started_at": at,
                        "recorded_at": at,
                        "secscan_version": "bench",
                        "profile": "ci",
                        "outcome": "fail"
                        if any(s in ("critical", "high") for s, _ in current.values())
                        else "pass",
                        "status": "incomplete" if failed else "complete",
                        "source": "ci",
                        "deadlines": {"critical": 7, "high": 30, "medium": 90, "low": 180},
                        "settings_digest": None,
                    },
                )
                for name in ("bandit", "semgrep"):
                    bad = failed and name == "semgrep"
                    w.add(
                        t.scanner_runs,
                        {
                            "run_id": run_id,
                            "scanner": name,
                            "kind": "code",
                            "status": "error" if bad else "ok",
                            "tool_version": "1",
                            "error": "timed out" if bad else None,
                            "paths": [] if bad else ["src/a.py", "src/b.py"],
                        },
                    )
                for fid, (sev, _) in current.items():
                    w.add(
                        t.occurrences,
                        {
                            "run_id": run_id,
                            "finding_id": fid,
                            "severity": sev,
                            "path": f"src/mod_{fid % 50}.py",
                            "start_line": fid % 400 + 1,
                            "end_line": None,
                            "controls": [control_ids[fid % controls]],
                            "waiver_id": None,
                            "scope": None,
                        },
                    )
                for c in control_ids:
                    w.add(
                        t.run_controls,
                        {
                            "run_id": run_id,
                            "control": c,
                            "state": rng.choice(("pass", "fail", "not_assessed")),
                        },
                    )
                for sev, (o, f, d) in changes.items():
                    w.add(
                        t.run_changes,
                        {
                            "run_id": run_id,
                            "severity": sev,
                            "repository_id": r,
                            "day": f"{at:%Y-%m-%d}",
                            "opened": int(o),
                            "fixed": int(f),
                            "fix_days": d,
                        },
                    )
            deadline = {"critical": 7, "high": 30, "medium": 90, "low": 180}
            for fid, (sev, since) in current.items():
                days = deadline.get(sev)
                w.add(
                    t.open_findings,
                    {
                        "run_id": run_id,
                        "finding_id": fid,
                        "severity": sev,
                        "open_since": since,
                        "due_at": None if days is None else since + timedelta(days=days),
                    },
                )
        w.flush()
    _analyze(store)


def _new_finding(
    w: Writer,
    rng: random.Random,
    repo: int,
    current: dict[int, tuple[str, datetime]],
    finding_id: int,
    at: datetime,
) -> int:
    """Add a finding first seen at `at` to the repository's open ones; return its id."""
    finding_id += 1
    sev = rng.choice(SEVERITIES)
    current[finding_id] = (sev, at)
    w.add(
        t.findings,
        {
            "id": finding_id,
            "repository_id": repo,
            "fingerprint": f"{finding_id:064x}",
            "scanner": "bandit",
            "rule_id": f"B{rng.randint(100, 700)}",
            "kind": "code",
            "title": "synthetic finding",
        },
    )
    return finding_id


def _analyze(store: SqlStore) -> None:
    """Planner statistics, as a maintained database has them (SQLite ANALYZE, PostgreSQL
    VACUUM ANALYZE)."""
    if store.engine.url.get_backend_name() == "sqlite":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def pages(conn: Connection) -> dict[str, str]:
    run = conn.scalar(select(func.max(t.runs.c.id)))
    repo = conn.scalar(select(func.max(t.repositories.c.id))) // 2
    return {
        "posture (breaches, page 1)": "/",
        "posture (by critical, page 7)": "/?sort=critical&page=7",
        "posture (one team)": "/?tag=team:team-07&sort=repository&dir=asc",
        "posture (name search)": "/?q=repo-09",
        "trends (12 weeks, per team)": "/trends",
        "trends (one team, 52 weeks)": "/trends?tag=team:team-03&weeks=52",
        "compliance (matrix page 1)": f"/compliance?framework={FRAMEWORK}",
        "compliance (one team)": f"/compliance?framework={FRAMEWORK}&tag=team:team-11",
        "run drill-down": f"/runs/{run}",
        "repository runs": f"/repositories/{repo}",
    }


def measure(url: str, repeat: int) -> list[tuple[str, float, float]]:
    from starlette.testclient import TestClient

    from secscan.serve.web import create_app

    app = create_app(url, clock=lambda: NOW)
    client = TestClient(app, base_url="http://127.0.0.1:8765")
    with app.state.dashboard.engine.connect() as conn:
        wanted = pages(conn)
    out = []
    for name, path in wanted.items():
        _ok(client.get(path), path)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - t0)
            _ok(response, path)
        out.append((name, statistics.median(times) * 1000, max(times) * 1000))
    return out


def _ok(response: Any, path: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", action="append", required=True)
    ap.add_argument("--repos", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--findings", type=int, default=20)
    ap.add_argument("--controls", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reuse", action="store_true", help="measure an already generated history")
    args = ap.parse_args()
    for url in args.url:
        backend = engine_url(url).get_backend_name()
        store = SqlStore.open(url)
        try:
            if not args.reuse:
                t0 = time.perf_counter()
                generate(store, args.repos, args.runs, args.findings, args.controls)
                took = time.perf_counter() - t0
                print(f"{backend}: generated {args.repos} x {args.runs} runs in {took:.0f} s")
            with store.engine.connect() as conn:
                occ = conn.scalar(select(func.count()).select_from(t.occurrences))
            print(f"{backend}: {occ} occurrences; cpus {os.cpu_count()}", flush=True)
        finally:
            store.close()
        for name, median, worst in measure(url, args.repeat):
            flag = "" if worst <= 300 else "  (over 300 ms)"
            print(
                f"{backend:<10} {name:<32} median {median:7.1f} ms  worst {worst:7.1f} ms{flag}",
                flush=True,
            )


if __name__ == "__main__":
    main()
