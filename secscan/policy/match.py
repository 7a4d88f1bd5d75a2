"""How mapping rules, waivers and check-id globs meet findings: pure, case-insensitive matching."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import lru_cache

from secscan.model.checkids import canonical_check_glob, canonical_check_id, is_check_id
from secscan.model.findings import Finding, FindingKind, RunStatus, ScannerRun
from secscan.policy.models import MappingRule, Match

#: Re-exported: policy code and plugins have always found the check-id helpers here.
__all__ = [
    "any_glob",
    "can_evidence",
    "canonical_check_glob",
    "canonical_check_id",
    "evidencing_run",
    "finding_ids",
    "glob_match",
    "is_check_id",
    "matches",
    "rules_for",
]


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()))


def glob_match(value: str, pattern: str) -> bool:
    """fnmatch, case-insensitive on every platform (rule ids differ in case between tools)."""
    return _compiled(pattern).match(value.lower()) is not None


def any_glob(values: Iterable[str], patterns: Iterable[str]) -> bool:
    pats = tuple(patterns)
    return any(glob_match(v, p) for v in values for p in pats)


def finding_ids(f: Finding) -> tuple[str, ...]:
    """Every name a finding goes by: its rule id and aliases, the rule ids of the other tools
    that reported the same flaw, plus their canonical check ids."""
    names = (f.rule_id, *f.aliases, *(s.rule_id for s in f.also_reported_by))
    return tuple(dict.fromkeys((*names, *(canonical_check_id(n) for n in names))))


def finding_scanners(f: Finding) -> tuple[str, ...]:
    """The scanner that reported a finding and every other one that reported the same flaw."""
    return tuple(dict.fromkeys((f.scanner, *(s.scanner for s in f.also_reported_by))))


def matches(m: Match, f: Finding) -> bool:
    return f.kind in m.kinds and _names_match(m, f) and _traits_match(m, f)


def _names_match(m: Match, f: Finding) -> bool:
    """The scanner, rule and check ids the rule asks for (any name the finding goes by)."""
    if m.scanners and not any_glob(finding_scanners(f), m.scanners):
        return False
    if m.rules and not any_glob(finding_ids(f), m.rules):
        return False
    if m.checks:
        checks = [canonical_check_id(n) for n in (f.rule_id, *f.aliases) if is_check_id(n)]
        return any_glob(checks, (canonical_check_glob(p) for p in m.checks))
    return True


def _traits_match(m: Match, f: Finding) -> bool:
    """The CWEs, tags and lowest severity the rule asks for."""
    if m.cwe and not set(m.cwe) & set(f.cwe):
        return False
    if m.tags and not {t.lower() for t in m.tags} & {t.lower() for t in f.tags}:
        return False
    return m.min_severity is None or f.severity >= m.min_severity


def can_evidence(m: Match, scanner: str, kind: FindingKind) -> bool:
    """Whether a scanner of this name and kind could ever produce a finding the rule matches."""
    return kind in m.kinds and (not m.scanners or any_glob((scanner,), m.scanners))


def evidencing_run(run: ScannerRun) -> bool:
    """A run counts as evidence only if it finished and actually looked at something."""
    if run.kind is FindingKind.POLICY:
        return False  # secscan's check of its own settings assessed no code
    return run.status is RunStatus.OK and (run.targets > 0 or bool(run.findings))


def rules_for(f: Finding, rules: Iterable[MappingRule]) -> tuple[MappingRule, ...]:
    return tuple(r for r in rules if matches(r.match, f))
