"""Measure the local OSV mirror on synthetic records: index build, reopen, and query rates.

    /work/venv/bin/python benchmarks/advisories_bench.py [--records 100000] [--queries 2000]

Records are written to a temporary directory (deleted afterwards): N records over N/5
package names in three ecosystems (PyPI, npm, Debian:12), each with one ECOSYSTEM range
(introduced/fixed) and a short explicit versions list, about 600 bytes each.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from secscan.advisories.server import serve
from secscan.advisories.store import AdvisoryStore

ECOSYSTEMS = ("PyPI", "npm", "Debian:12")


def _version(eco: str, major: int, minor: int) -> str:
    return f"{major}.{minor}-1" if eco.startswith("Debian") else f"{major}.{minor}.0"


def generate(root: Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    packages = [(ECOSYSTEMS[i % 3], f"pkg-{i}") for i in range(max(1, n // 5))]
    for i in range(n):
        eco, name = packages[i % len(packages)]
        major = rng.randint(0, 9)
        record = {
            "id": f"BENCH-{i}",
            "modified": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00Z",
            "published": "2023-01-01T00:00:00Z",
            "aliases": [f"CVE-2024-{i}"],
            "summary": f"synthetic advisory {i}",
            "affected": [
                {
                    "package": {"ecosystem": eco, "name": name},
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [
                                {"introduced": _version(eco, major, 0)},
                                {"fixed": _version(eco, major, rng.randint(1, 9))},
                            ],
                        }
                    ],
                    "versions": [_version(eco, major, 0)],
                }
            ],
            "references": [{"type": "WEB", "url": f"https://example.com/advisory/{i}"}],
        }
        folder = root / eco.partition(":")[0] / f"{i // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"BENCH-{i}.json").write_text(json.dumps(record))
    return packages


def _spent(t0: float, c0: float) -> str:
    """Wall time, and CPU time of this process (what an idle core would need)."""
    return f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU"


def _rate(n: int, t0: float, c0: float) -> str:
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return f"{n / wall:,.0f} queries/s wall, {n / cpu:,.0f} queries/s per CPU second"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="secscan-bench-"))
    try:
        t0 = time.perf_counter()
        packages = generate(tmp, args.records, rng)
        print(f"generated {args.records} records in {time.perf_counter() - t0:.1f} s")

        t0, c0 = time.perf_counter(), time.process_time()
        AdvisoryStore.open(tmp)
        print(f"first open (reads every record, writes the index): {_spent(t0, c0)}")

        t0, c0 = time.perf_counter(), time.process_time()
        store = AdvisoryStore.open(tmp)
        print(f"reopen (index reused, files only stat()ed): {_spent(t0, c0)}")

        queries = [
            (eco, name, _version(eco, rng.randint(0, 9), rng.randint(0, 9)))
            for eco, name in (rng.choice(packages) for _ in range(args.queries))
        ]
        hits = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for eco, name, version in queries:
            hits += len(store.query(eco, name, version))
        print(f"store.query: {_rate(len(queries), t0, c0)} ({hits} matches)")

        with serve(store) as url:
            parts = urlsplit(url)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            t0, c0 = time.perf_counter(), time.process_time()
            for eco, name, version in queries:
                body = json.dumps({"package": {"ecosystem": eco, "name": name}, "version": version})
                conn.request("POST", "/v1/query", body=body)
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200, resp.status  # noqa: S101 - a benchmark's sanity check
            conn.close()
            print(f"POST /v1/query, one client on loopback: {_rate(len(queries), t0, c0)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
