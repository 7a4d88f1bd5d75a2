"""Hashing overhead of tool integrity (issue 30): each scanner executable's SHA-256 and
RECORD lookup, cold (first time in a process, file in the page cache) and memoised (every
later scanner run of the process), plus one whole `secscan tools lock`.

    python benchmarks/tool_digest_bench.py [--repeat N]

Prints one line per executable: size, cold and memoised times (medians of N fresh
processes for cold, N calls for memoised).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from secscan.app.registry import installed
from secscan.scanners.base import tool_identity

COLD = """
import json, sys, time
from secscan.util.tooldigest import identify
t = time.perf_counter(); identify(sys.argv[1]); cold = time.perf_counter() - t
t = time.perf_counter(); identify(sys.argv[1]); warm = time.perf_counter() - t
print(json.dumps([cold, warm]))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    paths: dict[str, list[str]] = {}
    for name, cls in installed().scanners.classes.items():
        try:
            identity = tool_identity(cls())
        except Exception as e:  # noqa: BLE001 - a missing tool is left out of the benchmark
            print(f"{name}: {e}", file=sys.stderr)
            identity = None
        if identity is not None:
            paths.setdefault(identity.path, []).append(name)
    for path, names in sorted(paths.items()):
        cold, warm = [], []
        for _ in range(args.repeat):
            done = subprocess.run(
                [sys.executable, "-c", COLD, path], capture_output=True, text=True, check=True
            )
            c, w = json.loads(done.stdout)
            cold.append(c)
            warm.append(w)
        size = Path(path).stat().st_size
        print(
            f"{','.join(names):24} {size / 1e6:8.2f} MB"
            f"  cold {statistics.median(cold) * 1e3:8.2f} ms"
            f"  memoised {statistics.median(warm) * 1e6:7.1f} us  {path}"
        )
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "secscan", "tools", "lock", "-o", "-"],
        capture_output=True,
        check=False,
    )
    print(f"secscan tools lock (whole process, versions included): {time.perf_counter() - t:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
