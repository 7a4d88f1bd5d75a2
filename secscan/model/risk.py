"""What to fix first: a finding's risk score from EPSS, KEV and severity (docs/risk.md).

The score is Grype's published formula (anchore/grype, DB v6 `--sort-by risk`):

    risk = min(threat × severity × kev_factor, 1) × 100

- threat: 1.0 when CISA's KEV catalog lists the CVE (exploitation attested), else the EPSS
  score (probability of exploitation activity in the next 30 days);
- severity: the mean of the severity word's score and the CVSS base score, each over 10
  (the word alone without a CVSS score); words: info 0.5, low 3, medium 5, high 7.5,
  critical 9 (Grype's negligible/low/medium/high/critical);
- kev_factor: 1.1 when KEV says ransomware campaigns use it, 1.05 for any other KEV entry,
  1.0 otherwise.

Where Grype says 0 for a vulnerability with neither EPSS nor KEV data, secscan says
nothing (None): a zero would read as "not exploitable" when it only means "not known".
"""

from __future__ import annotations

from cvss import CVSS4, CVSSError

from secscan.model.findings import Finding, Kev, Severity

#: Grype's scores of the severity words, on the CVSS 0-10 scale.
SEVERITY_SCORES = {
    Severity.INFO: 0.5,
    Severity.LOW: 3.0,
    Severity.MEDIUM: 5.0,
    Severity.HIGH: 7.5,
    Severity.CRITICAL: 9.0,
}
KEV_FACTOR = 1.05
KEV_RANSOMWARE_FACTOR = 1.1


def threat(f: Finding) -> float | None:
    if f.kev is not None:
        return 1.0
    if f.epss is not None:
        return f.epss.score
    return None


def severity_factor(f: Finding) -> float:
    word = SEVERITY_SCORES[f.severity] / 10.0
    base = cvss_score(f)
    return word if not base else (word + base / 10.0) / 2.0


def cvss_score(f: Finding) -> float | None:
    """The finding's CVSS score; a v4 vector's CVSS-BT score when KEV attests exploitation."""
    bt = threat_vector(f.cvss_vector, f.kev)
    return bt[1] if bt is not None else f.cvss_score


def kev_factor(f: Finding) -> float:
    if f.kev is None:
        return 1.0
    return KEV_RANSOMWARE_FACTOR if f.kev.ransomware else KEV_FACTOR


def risk_score(f: Finding) -> float | None:
    """0-100, rounded to 0.1; None without exploit data (see the module docstring)."""
    t = threat(f)
    if t is None:
        return None
    return round(min(t * severity_factor(f) * kev_factor(f), 1.0) * 100.0, 1)


def exploit_text(f: Finding) -> str:
    """One line on what is known of a finding's exploitation ("" when nothing is)."""
    parts = []
    if f.kev is not None:
        ransom = ", used by ransomware campaigns" if f.kev.ransomware else ""
        parts.append(
            f"CISA KEV {f.kev.cve}: exploited, listed {f.kev.date_added}, "
            f"due {f.kev.due_date}{ransom}"
        )
    if f.epss is not None:
        parts.append(
            f"EPSS {f.epss.cve} {f.epss.score:.5f} (percentile {f.epss.percentile:.5f}, "
            f"{f.epss.date})"
        )
    return "; ".join(parts)


def threat_vector(vector: str | None, kev: Kev | None) -> tuple[str, float] | None:
    """A CVSS v4 vector with its threat metric set from attested exploitation, and its
    CVSS-BT score: `E:A` (Attacked) when CISA lists the CVE. EPSS is a prediction, not an
    attestation, so it sets nothing. None: not a v4 vector, or nothing attested.

    CVSS v4 scores an unset `E` as `A` (worst case), so the score only moves when the
    advisory's own vector said `E:P` or `E:U`."""
    if not vector or not vector.startswith("CVSS:4.0/") or kev is None:
        return None
    parts = [p for p in vector.split("/") if not p.startswith("E:")]
    bt = "/".join([*parts, "E:A"])
    try:
        return bt, float(CVSS4(bt).base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
