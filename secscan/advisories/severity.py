"""An advisory's severity: from its CVSS vector (the `cvss` library), else a stated default."""

from __future__ import annotations

from dataclasses import dataclass

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from secscan.advisories import matcher
from secscan.advisories.osv import Advisory, SeverityScore
from secscan.model.findings import Severity

#: Known vulnerability, nobody scored it. A flaw that is known and fixed upstream is treated as
#: serious until someone scores it: a low default would let most unscored advisories pass the
#: default gate (fail_on: high), which is the opposite of failing closed. Waive with a reason.
DEFAULT_SEVERITY = Severity.HIGH

#: Newest CVSS first: when a record carries several vectors, the newest standard decides.
_PREFERENCE = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


@dataclass(frozen=True, slots=True)
class AdvisorySeverity:
    severity: Severity
    score: float | None = None
    vector: str | None = None
    #: "CVSS_V4" | "CVSS_V3" | "CVSS_V2" | "database_specific" | "default"
    source: str = "default"


def rating(score: float) -> Severity:
    """CVSS v3/v4 qualitative rating scale (also applied to v2 base scores)."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def score_vector(kind: str, vector: str) -> float | None:
    """The base score of one vector; None when the vector is malformed or of an unknown kind."""
    try:
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V3":
            return float(CVSS3(vector).base_score)
        if kind == "CVSS_V2":
            return float(CVSS2(vector).base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def advisory_severity(
    advisory: Advisory, ecosystem: str | None = None, name: str | None = None
) -> AdvisorySeverity:
    """Severity for one package: its own `affected[].severity` first, then the record's.

    Fallbacks, in order: a parseable CVSS vector (v4, v3, v2); the database's own word
    (`database_specific.severity`, as GHSA writes it); DEFAULT_SEVERITY.
    """
    scored: list[SeverityScore] = []
    words: list[str] = []
    if ecosystem is not None and name is not None and matcher.base_ecosystem(ecosystem):
        for entry in matcher.matching_entries(advisory, ecosystem, name):
            scored.extend(entry.severity)
            if entry.database_severity:
                words.append(entry.database_severity)
    scored.extend(advisory.severity)
    if advisory.database_severity:
        words.append(advisory.database_severity)
    for kind in _PREFERENCE:
        for s in scored:
            if s.type != kind:
                continue
            score = score_vector(kind, s.score)
            if score is not None:
                return AdvisorySeverity(rating(score), score, s.score, kind)
    for word in words:
        if word.strip().lower() in {"low", "moderate", "medium", "high", "critical"}:
            return AdvisorySeverity(Severity.parse(word), source="database_specific")
    return AdvisorySeverity(DEFAULT_SEVERITY)
