"""The plainest gate: fail on any finding at or above a severity, and on any scanner error."""

from __future__ import annotations

from datetime import datetime

from secscan.findings import ScanResult, Severity
from secscan.policy.decision import Decision, Outcome, Reason


def severity_gate(result: ScanResult, fail_on: Severity, now: datetime) -> Decision:
    reasons: list[Reason] = []
    hits = [f for f in result.findings if f.severity >= fail_on]
    if hits:
        reasons.append(
            Reason(
                rule=f"fail-on:{fail_on}",
                message=f"{len(hits)} finding(s) at or above {fail_on}",
                fingerprints=tuple(f.fingerprint for f in hits),
            )
        )
    for run in result.failed_runs:
        reasons.append(Reason(rule="scanner-error", message=run.error or f"{run.scanner} failed"))
    if not any(r.status.value == "ok" for r in result.runs):
        reasons.append(Reason(rule="nothing-scanned", message="no scanner assessed anything"))
    return Decision(
        outcome=Outcome.FAIL if reasons else Outcome.PASS,
        profile=f"fail-on-{fail_on}",
        evaluated_at=now,
        reasons=tuple(reasons),
    )
