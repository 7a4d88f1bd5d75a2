"""History benchmark: ingest RUNS runs of FINDINGS findings into each back end, then trends.

    python benchmarks/history.py --url sqlite:////tmp/h.sqlite --url postgresql://u@host/db
    python benchmarks/history.py --runs 200 --findings 1000 ...   # smaller

Each run keeps most findings of the run before and replaces a few (CHURN of them): fixes and
new findings, as a busy repository's nightly scans look. Prints, per back end: seconds per
recorded run (mean, p95), the database size, and the time of `history trends`: before
(every run read back, then computed) and in SQL (history.lines), which must give the same.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from secscan.history import lines
from secscan.history.model import Run, ScannerRecord, Seen, Source
from secscan.history.store import SqlStore, engine_url
from secscan.history.trends import compute
from secscan.model.findings import RunStatus, Severity

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def synthetic_runs(runs: int, findings: int, churn: float, seed: int = 7) -> list[Run]:
    rng = random.Random(seed)
    files = [f"src/module_{i:04d}.py" for i in range(max(1, findings // 4))]
    counter = 0

    def new() -> Seen:
        nonlocal counter
        counter += 1
        return Seen(
            fingerprint=f"{counter:064x}",
            scanner="bandit",
            rule_id=f"B{rng.randint(100, 700)}",
            kind="code",
            title="synthetic finding",
            severity=rng.choice(SEVERITIES),
            path=rng.choice(files),
            start_line=rng.randint(1, 500),
            controls=("iso27001-2022:A.8.28",),
        )

    current = [new() for _ in range(findings)]
    out = []
    for n in range(runs):
        if n:
            for i in rng.sample(range(findings), int(findings * churn)):
                current[i] = new()
        out.append(
            Run(
                repository="https://example.org/bench.git",
                at=T0 + timedelta(hours=12 * n),
                started_at=T0 + timedelta(hours=12 * n),
                secscan_version="bench",
                source=Source.CI,
                branch="main",
                commit=f"{n:040x}",
                profile="ci",
                outcome="fail",
                scanners=(
                    ScannerRecord("bandit", "code", RunStatus.OK, "1.8", None, tuple(files)),
                ),
                findings=tuple(current),
                controls=(("iso27001-2022:A.8.28", "fail"),),
            )
        )
    return out


def size_bytes(store: SqlStore) -> int:
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        db = Path(url.database or "")
        return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def bench(url: str, runs: list[Run]) -> dict[str, float]:
    store = SqlStore.open(url)
    times = []
    try:
        for run in runs:
            t = time.perf_counter()
            store.record(run)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        loaded = store.load(runs[0].repository, "main")
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        tr = compute(loaded, runs[-1].at)
        compute_s = time.perf_counter() - t
        t = time.perf_counter()
        in_sql = lines.trends(store, runs[0].repository, "main", runs[-1].at)
        sql_s = time.perf_counter() - t
        if in_sql != tr:
            raise SystemExit("trends in SQL differ from load + compute")
        return {
            "runs": len(runs),
            "findings_per_run": len(runs[0].findings),
            "mean_record_s": statistics.mean(times),
            "p95_record_s": sorted(times)[int(len(times) * 0.95) - 1],
            "size_mib": size_bytes(store) / 2**20,
            "trends_load_s": load_s,
            "trends_compute_s": compute_s,
            "trends_sql_s": sql_s,
            "open_now": tr.runs[-1].open_total,
        }
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", action="append", required=True)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--findings", type=int, default=1000)
    ap.add_argument("--churn", type=float, default=0.02)
    args = ap.parse_args()
    runs = synthetic_runs(args.runs, args.findings, args.churn)
    for url in args.url:
        result = bench(url, runs)
        backend = engine_url(url).get_backend_name()
        print(
            f"{backend:<10} runs={result['runs']} findings/run={result['findings_per_run']} "
            f"record mean={result['mean_record_s'] * 1000:.1f} ms p95="
            f"{result['p95_record_s'] * 1000:.1f} ms size={result['size_mib']:.1f} MiB "
            f"trends: load {result['trends_load_s']:.2f} s + compute "
            f"{result['trends_compute_s']:.2f} s; in SQL {result['trends_sql_s']:.2f} s "
            f"(open now {result['open_now']:.0f}; cpus {os.cpu_count()})",
            flush=True,
        )


if __name__ == "__main__":
    main()
