"""The exploit gate keys: `gate.kev` fails on a vulnerability CISA lists as exploited,
`gate.epss_at_least` on one FIRST's EPSS rates likely to be, whatever their severity. The
score itself is secscan.model.risk (docs/risk.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from secscan.model.decision import Reason
from secscan.model.risk import exploit_text, risk_score

if TYPE_CHECKING:
    from secscan.policy.gate import Context, Verdict

__all__ = ["EPSS_RULE", "KEV_RULE", "exploit_text", "exploited", "risk_score"]

#: Reason rule ids of the two exploit gate keys.
KEV_RULE = "kev"
EPSS_RULE = "epss"


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
