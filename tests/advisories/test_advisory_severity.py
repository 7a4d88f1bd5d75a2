"""Severity from CVSS vectors (the `cvss` library), the database's own word, else the default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secscan.advisories.osv import parse_advisory
from secscan.advisories.severity import DEFAULT_SEVERITY, advisory_severity, rating
from secscan.model.findings import Severity

DATA = Path(__file__).resolve().parents[1] / "data" / "osv" / "PyPI"


def _record(**extra: Any) -> Any:
    base = {
        "id": "T-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]}],
    }
    return parse_advisory({**base, **extra})


def test_real_cvss_v3_vector() -> None:
    adv = parse_advisory(json.loads((DATA / "PYSEC-2023-192.json").read_text()))
    got = advisory_severity(adv, "PyPI", "urllib3")
    # CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N: base score 8.1 (FIRST's calculator)
    assert (got.severity, got.score, got.source) == (Severity.HIGH, 8.1, "CVSS_V3")


def test_v4_preferred_over_v3_and_per_package_over_record() -> None:
    adv = _record(
        severity=[
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"},
            {
                "type": "CVSS_V4",
                "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            },
        ]
    )
    got = advisory_severity(adv, "PyPI", "demo")
    assert (got.severity, got.score, got.source) == (Severity.CRITICAL, 9.3, "CVSS_V4")


def test_malformed_vector_falls_back() -> None:
    adv = _record(
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}],
        database_specific={"severity": "MODERATE"},
    )
    got = advisory_severity(adv, "PyPI", "demo")
    assert (got.severity, got.source) == (Severity.MEDIUM, "database_specific")


def test_no_vector_is_the_documented_default() -> None:
    adv = parse_advisory(json.loads((DATA / "PYSEC-2018-28.json").read_text()))
    got = advisory_severity(adv, "PyPI", "requests")
    assert (got.severity, got.score, got.vector, got.source) == (
        DEFAULT_SEVERITY,
        None,
        None,
        "default",
    )
    assert DEFAULT_SEVERITY is Severity.HIGH


def test_rating_boundaries() -> None:
    assert [rating(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        Severity.INFO, Severity.LOW, Severity.LOW, Severity.MEDIUM, Severity.MEDIUM,
        Severity.HIGH, Severity.HIGH, Severity.CRITICAL, Severity.CRITICAL,
    ]  # fmt: skip
