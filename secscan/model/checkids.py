"""Check-id canonical forms (`DS-0001`), shared by the trivy scanners and policy matching.

At the bottom layer so scanners can name a check the way policies match it without
importing the policy package.
"""

from __future__ import annotations

import re

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
