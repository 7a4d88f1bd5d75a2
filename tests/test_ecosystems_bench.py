"""benchmarks/ecosystems_bench.py keeps working between measured runs (tiny sizes, no timing)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "ecosystems_bench.py"


def test_the_npm_scale_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("secscan_bench_ecosystems", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    rng = random.Random(1)
    packages = bench.write_zip(tmp_path / "all.zip", 60, rng)
    seconds, rss = bench.import_in_child(tmp_path / "all.zip", tmp_path / "db")
    assert seconds > 0 and rss > 0
    bench.lock_file(tmp_path, packages, 40, 0.5, rng)
    _, _, components, findings = bench.match(tmp_path, tmp_path / "db")
    assert components == 40
    assert findings > 0  # half the packages carry records, and their bounds are asked
