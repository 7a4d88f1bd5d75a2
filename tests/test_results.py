"""secscan-results.json round-trips losslessly and refuses what it cannot read."""

import json
from pathlib import Path

import pytest

from secscan.errors import ReportError
from secscan.model import results

FIX = Path(__file__).resolve().parent / "fixtures" / "bandit" / "src"


@pytest.mark.integration
def test_real_scan_round_trips(tmp_path: Path, run_cli) -> None:
    for name in ("views.py", "broken.py"):
        (tmp_path / "proj" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "proj" / name).write_text((FIX / name).read_text())
    res = run_cli(
        "scan", str(tmp_path / "proj"), "--scanner", "bandit", "--output-dir", str(tmp_path / "out")
    )
    assert res.code == 1, res.err
    text = (tmp_path / "out" / "secscan-results.json").read_text()
    saved = results.loads(text)
    # six findings plus the `# nosec B602` one, kept with its suppression (lossless round trip)
    assert len(saved.result.findings) == 7
    (marked,) = [f for f in saved.result.findings if f.suppression]
    assert marked.suppression is not None and marked.suppression.directive == "# nosec B602"
    assert saved.result.runs[0].inline_suppressions == 1
    assert saved.result.runs[0].not_analyzed[0].path == "broken.py"
    assert results.dumps(saved.result, saved.decision) == text
    raw = json.loads(text)["result"]["runs"][0]["findings"]
    assert {"directive": "# nosec B602", "kind": "inSource", "line": 24} in [
        f["suppression"] for f in raw
    ]
    finding = json.loads(text)["result"]["runs"][0]["findings"][0]
    for key in ("scanner", "rule_id", "severity", "kind", "location", "fingerprint", "controls"):
        assert key in finding


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("nope", "not JSON"),
        ("{}", "not a secscan results file"),
        ('{"schema": "secscan-results", "schema_version": 99, "result": {}}', "schema version 99"),
        (
            '{"schema": "secscan-results", "schema_version": 1, "result": {"root": 1}}',
            "invalid results file",
        ),
    ],
)
def test_bad_results_files(text: str, words: str) -> None:
    with pytest.raises(ReportError, match=words):
        results.loads(text, "x.json")
