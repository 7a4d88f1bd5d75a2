"""Bidi controls and lone surrogates in every free-text field, through every format.

Issue 22 item 10: U+202E was written raw into JUnit, DefectDojo and Code Quality; a lone
surrogate (a byte a tool could not decode) crashed SARIF and GitLab. Each registered format
(scan and compliance) renders such a result with no bidi control or surrogate written raw,
and every JSON format is text secscan's own strict reader accepts (no lone `\\ud800`
escape either).
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import reportdata
from reportdata import FINISHED

from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    Package,
    RunStatus,
    ScannerRun,
    Severity,
)
from secscan.model.results import SavedResults
from secscan.report.formats import BUILTINS, Format, Kind
from secscan.report.model import build
from secscan.util import jsonio as _json

#: Every bidi control the issue names, and two lone surrogates.
HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\ud800\udfff"
_RAW = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _with_surrogates(saved: SavedResults) -> SavedResults:
    def odd(f: Finding) -> Finding:
        at = replace(f.location, path=f.location.path + "\ud800", snippet="s\udfff")
        return replace(f, title=f.title + "\ud800", message=f.message + "\udfff", location=at)

    runs = tuple(
        replace(r, findings=tuple(odd(f) for f in r.findings), error=(r.error or "") + "\ud800")
        for r in saved.result.runs
    )
    return replace(saved, result=replace(saved.result, runs=runs))


def _with_dependency(saved: SavedResults) -> SavedResults:
    """A vulnerable package with hostile text too: the VEX formats state only packages (and
    OpenVEX writes no file without a statement)."""
    evil = reportdata.EVIL
    finding = Finding(
        scanner="pip-audit",
        rule_id=f"PYSEC-{evil}",
        title=f"pkg{evil} 1.0: {evil}",
        message=f"message {evil}",
        severity=Severity.HIGH,
        kind=FindingKind.DEPENDENCY,
        location=Location(f"requirements{evil}.txt", 1, 1, snippet=f"pkg{evil}==1.0"),
        package=Package(f"pkg{evil}", "1.0", "PyPI", f"pkg:pypi/pkg{evil}@1.0", ("1.1",)),
    )
    run = ScannerRun(
        "pip-audit",
        FindingKind.DEPENDENCY,
        RunStatus.OK,
        "2.9.0",
        findings=tuple(reportdata._keyed([finding])),
    )
    return replace(saved, result=replace(saved.result, runs=(*saved.result.runs, run)))


@pytest.mark.parametrize("fmt", BUILTINS, ids=lambda f: f"{f.kind}-{f.name}")
def test_no_format_writes_a_bidi_control_or_a_lone_surrogate_raw(
    fmt: Format, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fingerprints are computed from text without the surrogates; they are added after.
    monkeypatch.setattr(reportdata, "EVIL", f"e{HIDDEN[:-2]}vil")
    saved = _with_surrogates(_with_dependency(reportdata.evil_saved()))
    frameworks = [fw.id for fw in build(saved, FINISHED).frameworks]
    texts = []
    for framework in frameworks if fmt.kind is Kind.COMPLIANCE else [None]:
        if fmt.files is not None:
            texts += list(fmt.outputs(saved, FINISHED).values())
        else:
            texts.append(fmt.render(saved, FINISHED, framework=framework))
    assert texts
    for text in texts:
        text.encode("utf-8")  # strict: a lone surrogate cannot be written at all
        assert not _RAW.search(text), fmt.name
        if fmt.filename.endswith(".json") or fmt.name in ("sarif", "json", "oscal"):
            _json.loads(text, max_depth=128)  # refuses a lone surrogate escape
