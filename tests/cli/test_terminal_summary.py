"""The terminal summary stays short: long lists are counted, with where to look."""

from __future__ import annotations

from pathlib import Path

from secscan.cli.views.terminal import REPORTS_SHOWN, reports_line, summary
from secscan.model import results

SAMPLES = Path(__file__).resolve().parents[2] / "reports" / "samples"


def test_a_ci_runs_report_list_is_one_short_line_pointing_at_the_folder() -> None:
    written = sorted(str(p) for p in SAMPLES.iterdir() if p.name != "README.md")
    assert len(written) > 30  # what `secscan ci` writes: every format and framework
    saved = results.loads((SAMPLES / "secscan-results.json").read_text())
    (line,) = [x for x in summary(saved, written).splitlines() if x.startswith("  reports:")]
    assert line == (
        f"  reports: {len(written)} files in {SAMPLES}/ ("
        + ", ".join(Path(w).name for w in written[:REPORTS_SHOWN])
        + f" and {len(written) - REPORTS_SHOWN} more)"
    )
    assert len(line) < 130 + len(str(SAMPLES))  # was ~1,000 characters


def test_a_few_reports_are_all_named() -> None:
    assert reports_line(["out/secscan-results.json", "out/secscan.sarif"]) == (
        "secscan-results.json, secscan.sarif in out/"
    )
    assert reports_line(["a/x.json", "b/y.json"]) == "a/x.json, b/y.json"
    many = [f"d{i}/r.json" for i in range(REPORTS_SHOWN + 2)]
    assert reports_line(many) == (
        f"{len(many)} files (" + ", ".join(many[:REPORTS_SHOWN]) + " and 2 more)"
    )
