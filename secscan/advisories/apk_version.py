"""Alpine's package version ordering (apk), for the Alpine, Wolfi and Chainguard ecosystems.

univers orders Alpine versions by Gentoo's rules and refuses apk's post-release suffixes, so a
real musl record (`fixed: 1.2.4_git20230717-r5`, Alpine 3.19) could not be evaluated at all.
This follows apk-tools' documented version grammar and comparison, token by token:

    DIGIT{.DIGIT}...{LETTER}{_SUFFIX{NUMBER}}...{-rREVISION}

- numbers compare as integers; a dotted component with leading zeros ("1.05", "1.0") is first
  a token of minus its count of zeros (so "1.05" < "1.5"), as apk-tools reads it;
- suffixes rank alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p;
- where one version ends and the other goes on, the other is greater unless what follows is a
  pre-release suffix; a further dotted number outranks a letter, a suffix or a revision.

Versions outside this grammar (e.g. a `~commit` hash) raise ValueError, like univers' classes.
"""

from __future__ import annotations

import re
from functools import total_ordering

# token kinds, in apk-tools' order: where two versions part, the lower kind is the greater version
_DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _REVISION, _END = range(6)
_PRE = ("alpha", "beta", "pre", "rc")
_POST = ("cvs", "svn", "git", "hg", "p")
_GRAMMAR = re.compile(
    r"\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*(?:-r\d+)?\Z"
)
_TOKEN = re.compile(r"(\.?)(\d+)|([a-z])(?=[_-]|\Z)|_([a-z]+)(\d*)|-r(\d+)")

Token = tuple[int, int]


def _tokens(text: str) -> tuple[Token, ...]:
    """(kind, value) per token; the END token closes every version."""
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        dot, digits, letter, suffix, suffix_no, revision = m.groups()
        if digits is not None:
            rest = digits.lstrip("0")
            if dot and rest != digits:  # ".05", ".0": the leading zeros are a token of their own
                out.append((_DIGIT, len(rest) - len(digits)))
                if rest:
                    out.append((_DIGIT, int(rest)))
            else:
                out.append((_DIGIT, int(digits)))
        elif letter is not None:
            out.append((_LETTER, ord(letter)))
        elif suffix is not None:
            rank = _PRE.index(suffix) - len(_PRE) if suffix in _PRE else _POST.index(suffix)
            out.append((_SUFFIX, rank))
            if suffix_no:
                out.append((_SUFFIX_NO, int(suffix_no)))
        else:
            out.append((_REVISION, int(revision)))
    out.append((_END, 0))
    return tuple(out)


def compare(a: tuple[Token, ...], b: tuple[Token, ...]) -> int:
    """-1, 0 or 1, as apk-tools' version comparison."""
    for (kind_a, value_a), (kind_b, value_b) in zip(a, b, strict=False):
        if kind_a == kind_b:
            if value_a != value_b:
                return -1 if value_a < value_b else 1
            if kind_a == _END:
                return 0
            continue
        # one version goes on where the other does not: a pre-release suffix makes it lower
        if kind_a == _SUFFIX and value_a < 0:
            return -1
        if kind_b == _SUFFIX and value_b < 0:
            return 1
        return 1 if kind_a < kind_b else -1
    return 0


@total_ordering
class ApkVersion:
    """An Alpine package version, ordered as apk orders it."""

    __slots__ = ("_tokens", "string")

    def __init__(self, string: str) -> None:
        if not _GRAMMAR.match(string):
            raise ValueError(f"{string!r} is not a valid Alpine version")
        self.string = string
        self._tokens = _tokens(string)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApkVersion):
            return NotImplemented
        return compare(self._tokens, other._tokens) == 0

    def __lt__(self, other: ApkVersion) -> bool:
        return compare(self._tokens, other._tokens) < 0

    def __hash__(self) -> int:
        return hash(self._tokens)

    def __str__(self) -> str:
        return self.string

    def __repr__(self) -> str:
        return f"ApkVersion({self.string!r})"
