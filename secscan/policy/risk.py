"""The exploit gate keys: `gate.kev` fails on a vulnerability CISA lists as exploited,
`gate.epss_at_least` on one FIRST's EPSS rates likely to be, whatever their severity. The
score itself is secscan.model.risk (docs/risk.md); the gate rule is `gate.exploited`."""

from __future__ import annotations

from secscan.model.risk import exploit_text, risk_score

__all__ = ["EPSS_RULE", "KEV_RULE", "exploit_text", "risk_score"]

#: Reason rule ids of the two exploit gate keys.
KEV_RULE = "kev"
EPSS_RULE = "epss"
