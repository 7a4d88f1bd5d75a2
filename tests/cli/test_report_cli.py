"""`secscan report`: render saved results in-process; merge shard results; usage errors exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secscan.model.results import dumps, loads
from secscan.report.formats import CI_FORMATS, FORMATS

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "samples" / "secscan-results.json"


def write_shards(tmp_path: Path) -> tuple[Path, Path]:
    saved = loads(SAMPLE.read_text(encoding="utf-8"))
    half = len(saved.result.runs) // 2
    a = replace(saved.result, runs=saved.result.runs[:half])
    b = replace(saved.result, runs=saved.result.runs[half:])
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(dumps(a, saved.decision))
    pb.write_text(dumps(b, saved.decision))
    return pa, pb


def test_report_renders_every_format_from_saved_results(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    r = run_cli("report", "--from", str(SAMPLE), "--output-dir", str(out))
    assert r.code == 0, r.err
    written = sorted(p.name for p in out.iterdir())
    saved = loads(SAMPLE.read_text(encoding="utf-8"))
    # Every format `ci` writes (`oscal-1.0.6` only on request).
    expected = [name for n in CI_FORMATS if n != "json" for name in FORMATS[n].outputs(saved, NOW)]
    assert written == sorted(expected)
    assert "secscan-defectdojo-pip-audit.json" in written  # one file per scanner
    assert json.loads((out / "secscan.sarif").read_text())["version"] == "2.1.0"
    assert (out / "secscan-report.html").read_text().startswith("<!DOCTYPE html>")


def test_report_one_format(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    r = run_cli(
        "report", "--from", str(SAMPLE), "--format", "markdown", "--output-dir", str(tmp_path)
    )
    assert r.code == 0, r.err
    assert [p.name for p in tmp_path.iterdir()] == ["secscan-summary.md"]


def test_merge_shards(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    a, b = write_shards(tmp_path)
    merged = tmp_path / "merged.json"
    r = run_cli("report", "--merge", str(a), str(b), "-o", str(merged))
    assert r.code == 0, r.err
    original = loads(SAMPLE.read_text(encoding="utf-8"))
    back = loads(merged.read_text(encoding="utf-8"))
    assert len(back.result.runs) == len(original.result.runs)
    assert {f.fingerprint for f in back.result.findings} == {
        f.fingerprint for f in original.result.findings
    }
    assert back.decision is not None and not back.decision.passed


def test_usage_errors_exit_2(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    assert run_cli("report").code == 2
    assert run_cli("report", "--merge", "-o", str(tmp_path / "m.json")).code == 2
    assert run_cli("report", "--merge", str(SAMPLE)).code == 2  # no -o and no --format
    assert run_cli("report", str(SAMPLE)).code == 2  # files only with --merge
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run_cli("report", "--from", str(bad), "--output-dir", str(tmp_path))
    assert r.code == 2 and "not JSON" in r.err
    r = run_cli("report", "--from", str(tmp_path / "missing.json"))
    assert r.code == 2 and "cannot read" in r.err
