"""Regenerate reports/samples/: every report of the bundled example, viewable without installing.

    python scripts/samples.py          # re-render from reports/samples/secscan-results.json
    python scripts/samples.py --scan   # scan examples/vulnerable-shop afresh first

Run from a source checkout. The reports are rendered with the scan's own finish time as the
clock, so re-rendering unchanged results gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from secscan.model.findings import ScanResult
from secscan.model.redact import redact
from secscan.model.results import RESULTS_FILE, SavedResults, dumps, loads
from secscan.report.formats import COMPLIANCE_FORMATS, FORMATS
from secscan.report.model import build
from secscan.util.atomic import write_atomic
from secscan.util.resources import data_dir

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = "examples/vulnerable-shop"
#: Every format of the registry; the results JSON is the samples' input, not re-rendered.
SAMPLE_FORMATS = tuple(name for name in FORMATS if name != "json")


def samples_dir() -> Path:
    return data_dir("reports") / "samples"


def render_samples(saved: SavedResults) -> dict[str, str]:
    """File name -> content for every sample, from the saved results alone."""
    now = saved.result.finished_at or saved.result.started_at
    out = {
        filename: text
        for name in SAMPLE_FORMATS
        for filename, text in FORMATS[name].outputs(saved, now).items()
    }
    for fw in build(saved, now).frameworks:
        for fmt in COMPLIANCE_FORMATS.values():
            out[fmt.target(fw.id)] = fmt.render(saved, now, framework=fw.id)
    return out


def portable(text: str, repo: Path = REPO) -> str:
    """The results JSON without this checkout's path, so the sample reads the same anywhere."""
    return text.replace(str(repo) + "/", "").replace(str(repo), ".")


def scan_example(repo: Path = REPO) -> SavedResults:
    """A fresh scan and judgement of the example, exactly as `secscan scan` makes them."""
    import os

    from secscan.app.registry import installed
    from secscan.policy import judge
    from secscan.scan import pipeline

    os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
    root = repo / EXAMPLE
    config = installed().load_config(root)
    inputs = judge.resolve(root.resolve(), config, catalog=judge.default_catalog())
    result = pipeline.scan(root, config, clock=pipeline.utcnow, use_cache=False)
    result, decision = judge.judge(result, inputs, pipeline.utcnow())
    text = portable(dumps(redacted(result), decision), repo)
    return loads(text, "fresh scan")


def redacted(result: ScanResult) -> ScanResult:
    """The published sample never repeats the example's (fake) credentials, even in the JSON."""
    runs = tuple(replace(r, findings=tuple(redact(f) for f in r.findings)) for r in result.runs)
    return replace(result, runs=runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/samples.py", description=__doc__)
    parser.add_argument("--scan", action="store_true", help="scan the example afresh first")
    parser.add_argument("--out", type=Path, default=None, help="[default: reports/samples]")
    args = parser.parse_args(argv)
    out: Path = args.out or samples_dir()
    results = out / RESULTS_FILE
    if args.scan:
        saved = scan_example()
        write_atomic(results, dumps(saved.result, saved.decision))
    else:
        saved = loads(results.read_text(encoding="utf-8"), str(results))
    for name, text in sorted(render_samples(saved).items()):
        write_atomic(out / name, text)
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
