"""How mapping rules, waivers and check-id globs meet findings: pure, case-insensitive matching."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import lru_cache

from secscan.findings import Finding, FindingKind, RunStatus, ScannerRun
from secscan.policy.models import MappingRule, Match

_CHECK_ID = re.compile(r"^(?:AVD-)?([A-Z]{2,})-?(\d+)$")
_GLOB_META = frozenset("*?[")


def canonical_check_id(text: str) -> str:
    """The id form trivy 0.76 prints (`DS-0001`) for any older one (`DS001`, `AVD-DS-0001`).

    The number is compared as a number (`KSV-01010` and `KSV-1010` are one check: trivy has
    no two ids that differ only in leading zeros), so a finding keeps matching whichever way
    a scanner or an older trivy wrote it. Anything that is not a check id comes back
    unchanged, so semgrep and bandit rule ids pass through.
    """
    word = text.strip()
    m = _CHECK_ID.match(word.upper())
    if not m:
        return word
    prefix, number = m.groups()
    return f"{prefix}-{int(number):04d}"


def canonical_check_glob(pattern: str) -> str:
    """A check-id glob in canonical form: `AVD-KSV-*` and `KSV*` both become `KSV-*`-like globs."""
    word = pattern.strip().upper()
    if not any(ch in _GLOB_META for ch in word):
        return canonical_check_id(word)
    word = word.removeprefix("AVD-")
    m = re.match(r"^([A-Z]{2,})(\d.*)$", word)
    if m:  # DS00* -> DS-00*
        word = f"{m.group(1)}-{m.group(2)}"
    return word


def is_check_id(text: str) -> bool:
    return _CHECK_ID.match(text.strip().upper()) is not None


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
    """Every name a finding goes by: its rule id and aliases, plus their canonical check ids."""
    names = (f.rule_id, *f.aliases)
    return tuple(dict.fromkeys((*names, *(canonical_check_id(n) for n in names))))


def matches(m: Match, f: Finding) -> bool:
    if f.kind not in m.kinds:
        return False
    if m.scanners and not any_glob((f.scanner,), m.scanners):
        return False
    if m.rules and not any_glob(finding_ids(f), m.rules):
        return False
    if m.checks:
        checks = [canonical_check_id(n) for n in (f.rule_id, *f.aliases) if is_check_id(n)]
        if not any_glob(checks, (canonical_check_glob(p) for p in m.checks)):
            return False
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
