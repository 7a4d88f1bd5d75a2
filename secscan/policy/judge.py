"""Find and load what a judgement needs (policy, profile, waivers, baseline) from options+config.

`scan`, `gate --from` and `baseline` all resolve the same inputs the same way; the saved
Decision records them, so re-judging a results file uses what the scan used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from secscan.config import Config
from secscan.errors import ConfigError, ExitCode
from secscan.findings import ScanResult, Severity
from secscan.policy.baseline import Baseline, load_baseline
from secscan.policy.decision import Decision
from secscan.policy.engine import evaluate
from secscan.policy.loader import Catalog, default_catalog, load_policy, profile_or_error
from secscan.policy.models import Policy, Profile
from secscan.policy.waivers import WAIVERS_FILE, Waivers, load_waivers

DEFAULT_PROFILE = "ci"
__all__ = ["DEFAULT_PROFILE", "Inputs", "default_catalog", "exit_code", "judge", "resolve"]


@dataclass(frozen=True)
class Inputs:
    policy: Policy
    profile: Profile
    policy_dir: Path | None = None
    waivers: Waivers | None = None
    baseline: Baseline | None = None
    fail_on: Severity | None = None


def resolve(
    root: Path,
    config: Config | None = None,
    *,
    profile: str | None = None,
    policy_dir: Path | None = None,
    waivers: Path | None = None,
    baseline: Path | None = None,
    fail_on: Severity | None = None,
    catalog: Catalog | None = None,
) -> Inputs:
    """Explicit options win over the config; a file that is named but missing is an error
    (a gate that silently judged without its waivers or baseline would judge differently).
    """
    cfg = config or Config(base_dir=root)
    user_dir = _absolute(policy_dir) or _absolute(cfg.resolve(cfg.policy))
    policy = load_policy(user_dir, catalog=catalog)
    chosen = profile_or_error(policy, profile or cfg.profile or DEFAULT_PROFILE)

    waivers_path = _absolute(waivers) or _absolute(cfg.resolve(cfg.waivers))
    if waivers_path is None and (root / WAIVERS_FILE).is_file():
        waivers_path = (root / WAIVERS_FILE).resolve()
    loaded_waivers = (
        load_waivers(waivers_path, max_days=chosen.gate.max_waiver_days)
        if waivers_path is not None
        else None
    )

    baseline_path = _absolute(baseline) or _absolute(cfg.resolve(cfg.baseline))
    loaded_baseline = load_baseline(baseline_path) if baseline_path is not None else None

    if fail_on is None and "fail_on" in cfg.model_fields_set:
        fail_on = cfg.fail_on
    return Inputs(policy, chosen, user_dir, loaded_waivers, loaded_baseline, fail_on)


def resolve_saved(
    decision: Decision | None,
    root: Path,
    *,
    profile: str | None = None,
    policy_dir: Path | None = None,
    waivers: Path | None = None,
    baseline: Path | None = None,
    fail_on: Severity | None = None,
    catalog: Catalog | None = None,
) -> Inputs:
    """The inputs a saved decision was made with, each replaceable by an explicit option."""
    if decision is not None:
        profile = profile or decision.profile
        policy_dir = policy_dir or _path(decision.policy_dir)
        waivers = waivers or _path(decision.waivers_file)
        baseline = baseline or _path(decision.baseline)
        if fail_on is None and decision.fail_on_override:
            fail_on = Severity(decision.fail_on_override)
    for what, p in (
        ("policy directory", policy_dir),
        ("waivers file", waivers),
        ("baseline", baseline),
    ):
        if p is not None and not p.exists():
            raise ConfigError(
                f"the {what} the results were judged with is gone; pass it again explicitly",
                path=str(p),
            )
    cfg = Config(base_dir=root)
    return resolve(
        root,
        cfg,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        fail_on=fail_on,
        catalog=catalog,
    )


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


def _absolute(p: Path | None) -> Path | None:
    return p.expanduser().resolve() if p is not None else None


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def exit_code(decision: Decision) -> ExitCode:
    """3 when a scanner error the profile treats as failing, else 1 on a failed gate, else 0."""
    if decision.scanner_failure:
        return ExitCode.SCANNER_ERROR
    return ExitCode.PASS if decision.passed else ExitCode.GATE_FAILED
