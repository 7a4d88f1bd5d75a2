"""What recording adds to a cold scan of the bundled example: scan + judge, then record.

    python benchmarks/history_overhead.py [--repeat 3] [--url sqlite:///...]

Times, per repetition, the cold scan (no result cache) and `history.record` (write the run,
read the branch back, compute its trends) on the same judged result, so machine load hits
both alike; prints each pair and the median ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from secscan import history
from secscan.app.registry import installed
from secscan.history.model import Source
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.scan import pipeline

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "vulnerable-shop"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/history.sqlite"
    config = installed().load_config(EXAMPLE)
    inputs = judge.resolve(
        EXAMPLE, config, profile="ci", policy_dir=None, waivers=None, baseline=None,
        catalog=judge.default_catalog(),
    )  # fmt: skip
    ratios = []
    for n in range(args.repeat):
        t = time.perf_counter()
        result = pipeline.scan(EXAMPLE, config, use_cache=False)
        result, decision = judge.judge(result, inputs, pipeline.utcnow())
        scan_s = time.perf_counter() - t
        t = time.perf_counter()
        history.record(
            SavedResults(result, decision),
            url,
            source=Source.CI,
            root=EXAMPLE,
            deadlines=inputs.profile.deadlines.days(),
            now=pipeline.utcnow(),
        )
        record_s = time.perf_counter() - t
        ratios.append(record_s / scan_s)
        print(
            f"run {n + 1}: cold scan {scan_s:.2f} s, record {record_s * 1000:.0f} ms "
            f"({100 * record_s / scan_s:.2f} %), {len(result.findings)} findings",
            flush=True,
        )
    print(f"median overhead {100 * statistics.median(ratios):.2f} % ({url.split(':')[0]})")


if __name__ == "__main__":
    main()
