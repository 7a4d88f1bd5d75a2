"""Judge a scan: the inputs a judgement needs (policy, profile, waivers, baseline, fail-on
override), the judgement, and the exit code it gives. Finding and loading those inputs is
settings work (`secscan.app.settings`); this module only judges.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from secscan.errors import ExitCode
from secscan.model.decision import Decision
from secscan.model.findings import ScanResult, Severity
from secscan.policy.baseline import Baseline
from secscan.policy.engine import evaluate
from secscan.policy.models import Policy, Profile
from secscan.policy.waivers import Waivers

DEFAULT_PROFILE = "ci"
__all__ = ["DEFAULT_PROFILE", "Inputs", "exit_code", "judge"]


@dataclass(frozen=True)
class Inputs:
    policy: Policy
    profile: Profile
    policy_dir: Path | None = None
    waivers: Waivers | None = None
    baseline: Baseline | None = None
    fail_on: Severity | None = None


def judge(result: ScanResult, inputs: Inputs, now: datetime) -> tuple[ScanResult, Decision]:
    mapped, decision = evaluate(
        result,
        inputs.policy,
        inputs.profile,
        inputs.waivers,
        inputs.baseline,
        now,
        fail_on=inputs.fail_on,
    )
    return mapped, replace(
        decision, policy_dir=str(inputs.policy_dir) if inputs.policy_dir else None
    )


def exit_code(decision: Decision) -> ExitCode:
    """3 when a scanner error the profile treats as failing, else 1 on a failed gate, else 0."""
    if decision.scanner_failure:
        return ExitCode.SCANNER_ERROR
    return ExitCode.PASS if decision.passed else ExitCode.GATE_FAILED
