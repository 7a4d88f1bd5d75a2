"""What to fix first: a finding's risk score from EPSS, KEV and severity, and the gate rule
that fails on exploited vulnerabilities whatever their severity (docs/risk.md).

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

from typing import TYPE_CHECKING

from secscan.advisories.exploits import threat_vector
from secscan.model.decision import Reason
from secscan.model.findings import Finding, Severity

if TYPE_CHECKING:
    from secscan.policy.gate import Context, Verdict

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
#: Reason rule ids of the two exploit gate keys.
KEV_RULE = "kev"
EPSS_RULE = "epss"


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


# --- the gate keys ---------------------------------------------------------------------


def exploited(ctx: Context) -> Verdict:
    """`gate.kev` and `gate.epss_at_least`: a counted finding whose vulnerability is exploited
    (KEV) or likely to be (EPSS at or above the key) fails whatever its severity.

    The gate imports this module, so its Verdict is imported when the rule runs."""
    from secscan.policy.gate import Verdict

    return _kev(ctx, Verdict) + _epss(ctx, Verdict)


def _kev(ctx: Context, verdict: type[Verdict]) -> Verdict:
    action = ctx.profile.gate.kev
    hits = [i for i in sorted(ctx.counted) if ctx.findings[i].kev is not None]
    if not hits or action == "ignore":
        return verdict()
    cves = sorted({k.cve for i in hits if (k := ctx.findings[i].kev) is not None})
    text = (
        f"{len(hits)} finding(s) whose vulnerability CISA's Known Exploited Vulnerabilities "
        f"catalog lists as exploited in the wild ({', '.join(cves[:10])}"
        f"{' ...' if len(cves) > 10 else ''}), whatever their severity: an actively "
        "exploited vulnerability in a product on the EU market is reportable under the "
        "Cyber Resilience Act, Art. 14"
    )
    if action == "warn":
        return verdict(warnings=(text,))
    return verdict(
        (Reason(KEV_RULE, text, fingerprints=ctx.fps(hits), controls=_controls(ctx, hits)),)
    )


def _epss(ctx: Context, verdict: type[Verdict]) -> Verdict:
    limit = ctx.profile.gate.epss_at_least
    if limit is None:
        return verdict()
    hits = [
        i
        for i in sorted(ctx.counted)
        if (e := ctx.findings[i].epss) is not None and e.score >= limit
    ]
    if not hits:
        return verdict()
    dates = sorted({e.date for i in hits if (e := ctx.findings[i].epss) is not None})
    text = (
        f"{len(hits)} finding(s) with an EPSS score at or above {limit} (FIRST's probability "
        f"of exploitation activity within 30 days, scored {', '.join(dates)}), whatever "
        "their severity"
    )
    return verdict(
        (Reason(EPSS_RULE, text, fingerprints=ctx.fps(hits), controls=_controls(ctx, hits)),)
    )


def _controls(ctx: Context, idxs: list[int]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(q for i in idxs for q in ctx.findings[i].controls))
