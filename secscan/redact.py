"""Credentials never leave secscan: mask the string literals of credential findings.

Secret scanners mask their own previews, but a code scanner's credential rule (bandit B105,
our semgrep hard-coded-secret rules) quotes the literal in its message and snippet. The
pipeline applies this before fingerprinting, so results files, caches and every report only
ever hold the masked form.
"""

from __future__ import annotations

import re
from dataclasses import replace

from secscan.findings import Finding, FindingKind

#: Hard-coded credential weaknesses: the matched code *is* the secret.
CREDENTIAL_CWES = frozenset({256, 259, 260, 321, 522, 547, 798})
#: Tools whose credential rules carry no CWE label.
CREDENTIAL_RULES = frozenset({"B105", "B106", "B107"})
_QUOTED = re.compile(r"""(?P<q>["'`])(?P<body>[^"'`\n]{4,})(?P=q)""")
MASK = "********"


def redact(f: Finding) -> Finding:
    """The finding with every quoted literal of a credential finding masked."""
    if not (
        f.kind is FindingKind.SECRET
        or CREDENTIAL_CWES.intersection(f.cwe)
        or f.rule_id in CREDENTIAL_RULES
    ):
        return f
    loc = f.location
    snippet = _QUOTED.sub(_mask, loc.snippet) if loc.snippet else loc.snippet
    message = _QUOTED.sub(_mask, f.message)
    if snippet == loc.snippet and message == f.message:
        return f
    return replace(f, message=message, location=replace(loc, snippet=snippet))


def _mask(m: re.Match[str]) -> str:
    body = m.group("body")
    # Already masked by the scanner (all one character): keep it as it is.
    if len(set(body)) == 1:
        return m.group(0)
    return f"{m.group('q')}{MASK}{m.group('q')}"
