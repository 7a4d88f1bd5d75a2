"""The all-ecosystem matcher at npm's scale: import a whole ecosystem's records, then match a
5,000-package lock file against them.

    .venv/bin/python benchmarks/ecosystems_bench.py [--records 200000] [--packages 5000]

(200,000 is the size issue 26 names for npm's OSV export; results in BENCHMARKS.md.)

The full npm export cannot be downloaded here, so the records are the real npm records of
tests/data/osv-ecosystems/npm (GitHub advisory database, CC-BY 4.0) cloned with new ids and
package names: the shapes, sizes and range kinds of real records, at the count asked for,
written as OSV's all.zip. Targets (issue 26): import <= 60 s and <= 1 GiB; match <= 2 s warm.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "tests" / "data" / "osv-ecosystems" / "npm"


def write_zip(path: Path, n: int, rng: random.Random) -> list[tuple[str, list[str]]]:
    """n records over n/3 package names; returns (name, versions worth asking) per package."""
    templates = [json.loads(p.read_text()) for p in sorted(TEMPLATES.glob("*.json"))]
    templates = [t for t in templates if not t.get("withdrawn")]
    names = max(1, n // 3)
    asked: dict[str, list[str]] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            rec = copy.deepcopy(templates[i % len(templates)])
            rec["id"] = f"GHSA-bench-{i:07d}"
            rec["aliases"] = [f"CVE-2099-{i}"]
            name = f"bench-pkg-{i % names}"
            for entry in rec["affected"]:
                entry["package"] = {"ecosystem": "npm", "name": name}
            bounds = [
                v for e in rec["affected"] for r in e.get("ranges", []) for ev in r["events"]
                for v in ev.values() if v and v != "0"
            ]  # fmt: skip
            asked.setdefault(name, bounds or ["1.0.0"])
            zf.writestr(f"{rec['id']}.json", json.dumps(rec))
    return list(asked.items())


def import_in_child(zip_path: Path, db: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of `secscan advisories import` in its own process."""
    code = (
        "import sys,time;from pathlib import Path;"
        "from secscan.advisories.importer import import_records;"
        "t=time.perf_counter();c=time.process_time();"
        "r=import_records(Path(sys.argv[1]),Path(sys.argv[2]));"
        "print(time.perf_counter()-t, time.process_time()-c, r.added, len(r.invalid))"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code, str(zip_path), str(db)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, cpu, added, invalid = done.stdout.split()
    print(f"  imported {added} records ({invalid} invalid), {float(cpu):.1f} s CPU")
    return float(seconds), max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def lock_file(
    root: Path, packages: list[tuple[str, list[str]]], k: int, hits: float, rng: random.Random
) -> None:
    """k packages, a share `hits` of them named by some record (the rest have none)."""
    chosen = rng.sample(packages, min(int(k * hits), len(packages)))
    chosen += [(f"clean-pkg-{i}", ["1.0.0"]) for i in range(k - len(chosen))]
    entries: dict[str, dict[str, object]] = {"": {"dependencies": {n: "*" for n, _ in chosen}}}
    for name, versions in chosen:
        entries[f"node_modules/{name}"] = {"version": rng.choice(versions)}
    (root / "package-lock.json").write_text(
        json.dumps({"lockfileVersion": 3, "packages": entries}, indent=2)
    )


def match(root: Path, db: Path) -> tuple[float, float, int, int]:
    from secscan.scanners.base import ScanContext, ScanRequest
    from secscan.scanners.osv_deps import OsvDepsScanner
    from secscan.settings.config import Config

    ctx = ScanContext(
        root=root, targets=("package-lock.json",), config=Config(), timeout=600,
        request=ScanRequest(advisory_db=db, advisory_digest=f"bench:{db}"),
    )  # fmt: skip
    t, cpu = time.perf_counter(), time.process_time()
    outcome = OsvDepsScanner().scan(ctx)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    return wall, cpu, len(outcome.components), len(outcome.findings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--packages", type=int, default=5_000)
    ap.add_argument("--hits", type=float, default=0.1, help="share of packages with records")
    args = ap.parse_args()
    rng = random.Random(26)
    with tempfile.TemporaryDirectory(prefix="secscan-eco-bench-") as tmp:
        work = Path(tmp)
        # the mirror's index (tens of MB) goes with the mirror, not into the user's cache
        os.environ["SECSCAN_CACHE_DIR"] = str(work / "cache")
        t = time.perf_counter()
        packages = write_zip(work / "all.zip", args.records, rng)
        size = (work / "all.zip").stat().st_size
        print(f"wrote {args.records} npm records ({size / 1e6:.0f} MB zip) "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        seconds, rss_kib = import_in_child(work / "all.zip", work / "db")
        print(f"import: {seconds:.1f} s, peak RSS {rss_kib / 1024:.0f} MiB")
        lock_file(work, packages, args.packages, args.hits, rng)
        for label in ("cold (records read from disk)", "warm (records held by the open store)"):
            wall, cpu, components, findings = match(work, work / "db")
            print(f"match {components} packages ({args.hits:.0%} with records), {findings} "
                  f"findings, {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")  # fmt: skip


if __name__ == "__main__":
    main()
