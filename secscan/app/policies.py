"""Policy directories as the `policy validate` and `controls` commands show them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secscan.errors import UsageError
from secscan.policy.loader import default_catalog, load_policy
from secscan.policy.models import Framework, Policy, qualify

__all__ = ["ControlEvidence", "FrameworkControls", "Rule", "controls", "validate"]


def validate(path: Path | None) -> Policy:
    """PATH merged over the shipped library (the library alone without PATH), checked."""
    return load_policy(path, catalog=default_catalog())


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    rationale: str


@dataclass(frozen=True)
class ControlEvidence:
    """A control, the finding kinds that assess it and the mapping rules that evidence it."""

    id: str
    title: str
    theme: str
    statement: str
    kinds: tuple[str, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class FrameworkControls:
    id: str
    title: str
    source: str
    controls: tuple[ControlEvidence, ...]


def controls(framework_id: str | None, policy_dir: Path | None) -> list[FrameworkControls]:
    """Every framework's controls (or one framework's, by id) with what evidences each."""
    policy = load_policy(policy_dir)
    frameworks = policy.frameworks
    if framework_id is not None:
        frameworks = tuple(f for f in frameworks if f.id == framework_id)
        if not frameworks:
            known = ", ".join(f.id for f in policy.frameworks)
            raise UsageError(f"unknown framework {framework_id!r}; known: {known}")
    return [_framework(policy, fw) for fw in frameworks]


def _framework(policy: Policy, fw: Framework) -> FrameworkControls:
    out = []
    for c in fw.controls:
        qid = qualify(fw.id, c.id)
        rules = [r for r in policy.rules if qid in r.controls or r.id in c.rules]
        kinds = c.evidence or tuple(dict.fromkeys(k for r in rules for k in r.match.kinds))
        out.append(
            ControlEvidence(
                c.id,
                c.title,
                c.theme,
                c.statement,
                tuple(k.value for k in kinds),
                tuple(Rule(r.id, r.description or r.rationale, r.rationale) for r in rules),
            )
        )
    return FrameworkControls(fw.id, fw.info.title, fw.info.source, tuple(out))
