"""Names and texts from the scanned tree (a lock file's package name, a stated licence, a
field or file name) reach the NOTICE file and the privacy inventory escaped: no bidi
control, lone surrogate, terminal escape or line break of theirs is written raw."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    Package,
    RunStatus,
    ScannerRun,
    ScanResult,
    Severity,
)
from secscan.model.results import SavedResults
from secscan.report.formats import FORMATS

EVIL = "x\u202e\u2066\x1b[31m\ud800\nINJECTED<script>"
RAW = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\x1b]")
WHEN = datetime(2026, 12, 7, tzinfo=UTC)


def saved() -> SavedResults:
    licence = ScannerRun(
        "license",
        FindingKind.LICENSE,
        RunStatus.OK,
        "license-expression 30.4.4",
        components=(
            Package(f"pkg{EVIL}", "1.0", "npm", None, license=f"Custom{EVIL}"),
            Package("ok", "2.0", "npm", None, license="MIT"),
        ),
    )
    finding = Finding(
        scanner="privacy",
        rule_id="PRIVACY-LOG",
        title=f"User Contact Email{EVIL}",
        message="m",
        severity=Severity.MEDIUM,
        kind=FindingKind.PRIVACY,
        location=Location(f"app/{EVIL}.py", 3),
        tags=(f"category:user.contact.email{EVIL}", "flow:log", f"recipient:{EVIL}"),
    )
    field = Finding(
        scanner="privacy",
        rule_id="PRIVACY-FIELD",
        title=f"Model.{EVIL}: User Contact Email (user.contact.email)",
        message="m",
        severity=Severity.INFO,
        kind=FindingKind.PRIVACY,
        location=Location(f"app/{EVIL}.py", 1),
        tags=("category:user.contact.email", "storage:database", f"model:{EVIL}"),
    )
    privacy = ScannerRun(
        "privacy", FindingKind.PRIVACY, RunStatus.OK, "secscan", findings=(finding, field)
    )
    result = ScanResult(
        root=f"/tmp/{EVIL}", started_at=WHEN, secscan_version="0", runs=(licence, privacy)
    )
    return SavedResults(result)


@pytest.mark.parametrize(
    "name",
    ["notice", "privacy-inventory", "privacy-inventory-json", "privacy-inventory-html"],
)
def test_hostile_text_is_escaped(name: str) -> None:
    text = FORMATS[name].render(saved(), WHEN)
    text.encode("utf-8")  # no lone surrogate
    assert not RAW.search(text), name
    assert "\nINJECTED" not in text, name  # a name's line break is no line of ours
    if name.endswith("-json"):
        json.loads(text)
    if name.endswith("-html"):
        assert "<script>" not in text


def test_the_notice_keeps_the_stated_licence_apart() -> None:
    text = FORMATS["notice"].render(saved(), WHEN)
    assert "Licence unknown" in text and "https://spdx.org/licenses/MIT.html" in text
