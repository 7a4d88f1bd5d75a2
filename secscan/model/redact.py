"""The one redaction stage: credential spans of the scanned text, masked before anything is kept.

Every piece of text that came from the scanned tree (snippets, messages, titles, error texts,
NotAnalyzed reasons, tool stderr) is treated as carrying a credential until it has passed
through a `Redactor`. A Redactor learns the credentials of each file it meets from every
source that knows them (detect-secrets' token-format plugins, secscan's keyword and entropy
rules, Python string literals found with `tokenize`, the ranges of credential findings and
the columns trivy masked) and then masks every 8-character piece of any of them wherever it
appears, whichever case it is printed in. The mask keeps a hint (kind, length and at most
the first four characters of a public prefix such as `ghp_`) so a reviewer knows what to
rotate. The pipeline applies it before fingerprinting, caching, baselining and rendering.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import tokenize
from array import array
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector

from secscan.model.findings import (
    Excluded,
    FileFate,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Package,
    ScannerRun,
    ScanResult,
)
from secscan.util import files as _files
from secscan.util import pysource as _python

#: Changes whenever what is masked changes: part of every cache key, so an entry masked by
#: older rules is scanned again rather than served (more masked, or less, than now).
RULES_VERSION = "5"
#: Hard-coded credential weaknesses: the matched code *is* the secret.
CREDENTIAL_CWES = frozenset({256, 259, 260, 321, 522, 547, 798})
#: (scanner, rule id) pairs a scanner names as credential rules without a CWE label
#: (`Scanner.credential_rules`); the pipeline and the reports pass them to the Redactor.
CredentialRules = Collection[tuple[str, str]]
#: A known credential is masked wherever any piece this long of it appears.
PIECE = 8
#: Shortest value a rule reports: anything shorter cannot leak a PIECE.
MIN_SECRET = 6
#: What every mask starts with; a mask is never masked again.
MASK_PREFIX = "[redacted"
#: Exactly the masks `hint` writes (kind, at most 4 prefix characters, length): text that
#: merely looks like a mask around a credential is not one, and is masked.
MASK_RE = re.compile(r"\[redacted [a-z0-9\-]+(?: [^\s,\]]{1,4}\.\.\.)?, \d+ chars(?: #\d+)?\]")
#: Files larger than this are not read back for their credentials (secscan's scan limit
#: is far lower; this only bounds the work on a pathological file).
MAX_FILE_BYTES = 16 * 1024 * 1024

#: Public prefixes: up to four characters of these are kept in the mask as a hint.
PUBLIC_PREFIXES: tuple[tuple[str, str], ...] = (
    ("github_pat_", "github-fine-grained-token"),
    ("ghp_", "github-token"),
    ("gho_", "github-oauth-token"),
    ("ghu_", "github-user-token"),
    ("ghs_", "github-app-token"),
    ("ghr_", "github-refresh-token"),
    ("glpat-", "gitlab-token"),
    ("xoxb-", "slack-bot-token"),
    ("xoxp-", "slack-user-token"),
    ("xoxa-", "slack-token"),
    ("xoxe-", "slack-token"),
    ("xapp-", "slack-app-token"),
    ("AKIA", "aws-access-key-id"),
    ("ASIA", "aws-access-key-id"),
    ("sk_live_", "stripe-key"),
    ("sk_test_", "stripe-key"),
    ("rk_live_", "stripe-key"),
    ("AIza", "google-api-key"),
    ("npm_", "npm-token"),
    ("pypi-", "pypi-token"),
    ("eyJ", "jwt"),
    ("SG.", "sendgrid-key"),
    ("hf_", "hugging-face-token"),
    ("sk-", "api-key"),
)

#: Token formats detect-secrets does not know (or knows too narrowly); public shapes only.
_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("github-fine-grained-token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}")),
    ("gitlab-token", re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt|soat)-[A-Za-z0-9_\-]{16,}")),
    ("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9\-]{10,}")),
    (
        "slack-webhook",
        re.compile(r"hooks\.slack\.com/(?:services|workflows)/([A-Za-z0-9/_\-]{16,})"),
    ),
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b")),
    ("stripe-key", re.compile(r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("google-api-key", re.compile(r"\bAIza[A-Za-z0-9_\-]{30,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{30,}")),
    ("pypi-token", re.compile(r"\bpypi-[A-Za-z0-9_\-]{40,}")),
    ("hugging-face-token", re.compile(r"\bhf_[A-Za-z]{30,}")),
    ("azure-storage-key", re.compile(r"(?i)AccountKey=([A-Za-z0-9+/=]{40,})")),
    ("url-password", re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:([^\s@'\"/]{3,})@")),
    ("authorization", re.compile(r"(?i)\b(?:bearer|basic|token)\s+([A-Za-z0-9_\-.+/=~]{12,})")),
)
#: A key block's body: base64 lines (real or escaped line breaks), the PEM headers
#: (`Proc-Type: 4,ENCRYPTED`); it ends at `-----END` or at the first other character, never
#: running on into the rest of the file when the END line is missing.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?P<body>(?:(?!-----)[A-Za-z0-9+/=\s\\:,\-])*)"
)
_KEY_RUN = re.compile(r"[A-Za-z0-9+/=]{16,}")
#: A name that says its value is a credential (`DB_PASSWORD`, `api_key`, `clientSecret`).
_SECRET_NAME = re.compile(
    r"(?i)(?:pass(?:word|wd|phrase)|(?<![a-z])pass(?![a-z])|pwd|(?<![a-z])pw(?![a-z])|secret|token|api[_\-.]?key|apikey|access[_\-.]?key"
    r"|private[_\-.]?key|signing[_\-.]?key|account[_\-.]?key|credential|auth(?!or)"
    r"|session[_\-.]?key|cookie|[_\-]key\b)"
)
#: What follows a secret word in a name that holds no secret: `auth_method`, `authType`,
#: `token_url`, `tokenizer`, `secret_name`, `password_policy`, `api_key_header`.
_NOT_SECRET_AFTER = re.compile(
    r"(?i)[_\-.]?(?:method|type|scheme|mode|provider|name|url|uri|endpoint|file|path|dir|ref"
    r"|kind|header|prefix|suffix|length|len|expiry|expires|ttl|lifetime|policy|izer|ization"
    r"|enabled|required|backend|strategy|domain|host|flow|field|format|source|store|manager"
    r"|version|count|regex|pattern|env|var|label|selector)s?(?![a-z])"
)


#: Keys that are no secrets, by the word before `_key`/`-key`.
_NOT_SECRET_KEY = re.compile(
    r"(?i)(?:primary|foreign|sort|cache|idempotency|partition|lookup|unique|natural|public"
    r"|group|index|hash|order|routing|shard|object|translation|field|column|attr|lock|dict"
    r"|map|state|storage|item|row|search|setting|config|bucket|redis|s3)$"
)


def secret_name(name: str) -> bool:
    """Whether a name says its value is a credential (`DB_PASSWORD`, `api_key`,
    `clientSecret`), and not what kind of credential is used or where it is kept
    (`auth_method`, `authType`, `token_url`, `secret_name`)."""
    for m in _SECRET_NAME.finditer(name):
        if _NOT_SECRET_AFTER.match(name, m.end()):
            continue
        if m.group(0)[:1] in "_-" and _NOT_SECRET_KEY.search(name, 0, m.start()):
            continue  # `primary_key`, `Idempotency-Key`, `public_key`, `cache_key`
        return True
    return False


_ASSIGN = re.compile(
    r"(?<![\w.\-/])(?P<name>[A-Za-z_][\w.\-]*)[\"'`]?\]?\s*(?::=|=>|={1,3}|:)\s*(?=\S)",
    re.IGNORECASE,
)
_KEY_VALUE_NAME = re.compile(r"^\s*-?\s*(?:name|key)\s*:\s*[\"']?(?P<name>[\w.\-]+)")
_KEY_VALUE_VALUE = re.compile(r"^\s*-?\s*value\s*:\s*(?=\S)")
_OPTION = re.compile(
    r"(?i)(?<!\S)(?:--?(?:password|passwd|token|secret|api-key|key)[=\s]|-p)(?=[^\s\-])"
)
_WORD = re.compile(r"[A-Za-z0-9+/=_\-~]{20,}")
_PLACEHOLDER = re.compile(
    r"^(?:\$|\{\{|<|%\(|\*+$|os\.|env\b|getenv|process\.env|true$|false$|null$|none$)", re.I
)
_NAME_WORD = re.compile(r"(?:[a-z]{2,}|[A-Z]{2,}|[A-Z][a-z]+)\d{0,5}")
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9+/=_\-.~]+")
#: A word of an identifier: lower, Capitalised or UPPER letters (`parse`, `String`, `XML`).
_CAMEL_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_VERSION_SPEC = re.compile(
    r"^(?:[<>=!~^]{1,3}\s*)?v?\d+(?:\.[0-9A-Za-z*]+)+(?:[-+][\w.]+)?"
    r"(?:\s*,\s*[<>=!~^]{1,3}\s*\d[\w.*]*)*$"
)
_FORMAT_FIELD = re.compile(r"%\([A-Za-z_]\w*\)[sdr]|\{[A-Za-z_]\w*\}|\$\{[A-Za-z_]\w*\}")
_CONSTANT = re.compile(r"^[A-Z]{2,}\d{0,3}(?:_[A-Z]{2,}\d{0,3})+$")
_CALL = re.compile(r"^[A-Za-z_][\w.]*[(\[]")
_QUOTES = "\"'`"
#: Where a learnt span splits into segments: space, escaped newlines, URL punctuation.
_SEGMENT_SPLIT = re.compile(r"\s+|\\n|\\r|://|[@?&;]")


def _detect_secrets_plugins() -> tuple[RegexBasedDetector, ...]:
    """detect-secrets' token-format plugins; only their regexes are used, never `verify`
    (which would call the issuer's API) nor their keyword and entropy plugins (secscan's own
    rules below know the scanned file's syntax)."""
    out: list[RegexBasedDetector] = []
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    for cls in classes:
        if issubclass(cls, RegexBasedDetector) and cls.__name__ not in _SKIPPED_PLUGINS:
            out.append(cls())
    return tuple(sorted(out, key=lambda p: type(p).__name__))


#: Public IPs are not credentials; the keyword plugin is replaced by secscan's own.
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "KeywordDetector"})
_PLUGINS = _detect_secrets_plugins()


@dataclass(frozen=True, slots=True)
class Span:
    """Characters [start, end) of a text hold a credential of this kind."""

    start: int
    end: int
    kind: str


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(word: str) -> bool:
    """A long token of mixed letters and digits with high entropy (not a hash, not a name)."""
    if len(word) < 20 or MASK_PREFIX in word or "CVE-" in word or "GHSA-" in word:
        return False
    if not _TOKEN_ALPHABET.fullmatch(word):
        # prose has high entropy too (a key has no spaces), and so do URLs, paths with a
        # query and escaped text (`HTTP://HoStNaMe:40/test.php`, `%40userA%2C%2B…`): a key
        # is written in a token alphabet (base64, base64url, hex, dotted JWT parts)
        return False
    if _mostly_words(word):
        return False
    digits = sum(ch.isdigit() for ch in word)
    upper = sum(ch.isupper() for ch in word)
    lower = sum(ch.islower() for ch in word)
    return digits >= 2 and upper >= 2 and lower >= 2 and entropy(word) >= 4.0


def _mostly_words(word: str) -> bool:
    """`Identification_and_Authentication_Failures` is prose, not a key: mostly words (a
    capital only at the start). Base64 has alphabetic runs too (`VXMTP+…+Tcma`), but few
    that read as words and never most of its length."""
    parts = re.split(r"[_\-/+.=~]", word)
    words = [w for w in parts if len(w) >= 4 and w.isalpha() and w[1:].islower()]
    return len(words) >= 2 and sum(map(len, words)) * 2 >= len(word)


def plausible_value(value: str) -> bool:
    """A value assigned to a secret-like name that could be the credential itself."""
    v = _literal_text(value)
    if _too_plain(v) or _not_a_literal(v):
        return False
    # `token: settings.TOKEN` is code too; `Hunter22` is not
    # (by the shape of its words: `lOQcBSQWMyCfGYuxsmmdcx` has no digit and is no name)
    return not identifier_like(v)


def _literal_text(value: str) -> str:
    """An assigned value without its quotes, bytes prefix and escapes."""
    v = value.strip()
    if len(v) > 2 and v[0] in "bB" and v[1] in _QUOTES:
        v = v[1:]  # a bytes literal: `b'password'`
    return v.strip(_QUOTES + "\\").strip()


def _too_plain(v: str) -> bool:
    """Too short, already masked, too few distinct characters, a comment, a placeholder,
    stars, or a collection: not a credential."""
    if len(v) < MIN_SECRET or MASK_RE.search(v) or len(set(v)) <= 2 or v.startswith("//"):
        return True
    return bool(_PLACEHOLDER.match(v) or v.count("*") * 2 >= len(v) or v[0] in "([{")


def _not_a_literal(v: str) -> bool:
    """A link, prose, a template, code, a version constraint or a constant's name."""
    if v.startswith(("http://", "https://")) and "@" not in v:
        return True  # a link; a password in one is the URL rule's
    words = [w.strip(".,;:!?") for w in v.split()]
    if len(words) >= 2 and all(w.isalpha() for w in words if w):
        return True  # prose: `"secrets": "trivy fs --scanners secret"`, `CSRF token missing.`
    return bool(
        _FORMAT_FIELD.search(v)  # a template: `ALTER USER %(user)s IDENTIFIED BY "%(password)s"`
        or _CALL.match(v)  # code, not a literal: `password = get_password()`
        or _VERSION_SPEC.match(v)  # `passlib: ~1.7.4`, `secret-manager: >=2.12.5`
        or _CONSTANT.match(v)  # a constant's name: `OAUTH2_PASSWORD_BEARER`
    )


def name_shaped(value: str) -> bool:
    """Words joined by name punctuation, digits only ending a word: `oauth2-token`,
    `OAUTH2_PASSWORD_BEARER`, `gpt2-medium`, and `hunter2-prod`. Masked where a secret-like
    name binds it (a weak password has this shape too); learnt from a file that binds it,
    never from a tool's text (bandit's "Possible hardcoded password: 'oauth2-token'" on an
    enum member masked the auth method's name in six other texts)."""
    if identifier_like(value):
        return True
    parts = re.split(r"[._\-/:]", value)
    return len(parts) >= 2 and all(_NAME_WORD.fullmatch(p) for p in parts)


def identifier_like(value: str) -> bool:
    """Words, not a secret: no digit, nothing but letters and the punctuation of names and
    paths, each word of identifier shape (`/passwd=`, `.Values.`, `features`, `parseString`,
    `TELEGRAM_CHAT`). Random letters split into short words (`QwErTyUiOp`): not this."""
    if not value or any(ch.isdigit() for ch in value):
        return False
    if re.search(r"[^A-Za-z/._\-=:]", value):
        return False
    words = _CAMEL_WORD.findall(value)
    if not words:
        return False
    if value.islower() or value.isupper():
        return True  # `features`, `HTTP_X_CSRFTOKEN`
    # a few short words (`WithoutIsActive`, `ValueB`); random case is mostly short words
    # (`QwErTyUiOp`, `lOQcBSQWMyCf…`)
    short = sum(len(w) <= 2 for w in words)
    return short <= 1 or short * 4 <= len(words)


def find(text: str) -> list[Span]:
    """Credential spans of a piece of text, from its content alone (no file context)."""
    spans: list[Span] = []
    # Token formats run over the lines that could hold one (a long token, a URL, a key
    # block), joined: a code file is mostly lines that cannot, and 40 regexes over every
    # line of every file cost more than the scan.
    reduced, offsets = _candidates(text)
    if reduced:
        for s in _format_spans(reduced):
            spans.append(_shift(s, offsets))
    spans += _private_key_spans(text)
    spans += _assignment_spans(text)
    spans += _random_spans(text)
    return spans


def _random_spans(text: str) -> list[Span]:
    """Random runs, without the names around them in a URL path (`…/sendMessage`,
    `com/services/…`): leading and trailing parts that read as identifiers are kept."""
    out = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if not looks_random(word):
            continue
        start, end = m.start(), m.end()
        parts = word.split("/")
        while len(parts) > 1 and (not parts[0] or identifier_like(parts[0])):
            start += len(parts.pop(0)) + 1
        while len(parts) > 1 and (not parts[-1] or identifier_like(parts[-1])):
            end -= len(parts.pop()) + 1
        out.append(Span(start, end, "high-entropy-string"))
    return out


def find_python(source: str) -> list[Span]:
    """Credential spans of Python source: as `find`, except that the keyword rules
    (`name = value`, `--password x`) read only the bodies of string literals and comments
    (configuration pasted into a string, a commented-out line). Code itself is read with
    `tokenize` (`python_spans`), so `assert self.kind == "telegram"` or
    `f(token_b='abcd', token_c=None)` never make a "value" out of the code around a literal.
    Source the tokenizer rejects keeps the keyword rules over all of it (more masked)."""
    reduced, offsets = _candidates(source)
    spans = [_shift(s, offsets) for s in _format_spans(reduced)] if reduced else []
    spans += _private_key_spans(source)
    spans += _random_spans(source)
    literal, _, keyword, rest = _token_pass(source, keyword_rules=True)
    if rest is not None:
        # a fragment (a snippet cut inside a call or a string): the tokens before the error
        # are sound; what the tokenizer could not read gets the keyword rules whole
        spans += [
            Span(rest + x.start, rest + x.end, x.kind) for x in _assignment_spans(source[rest:])
        ]
    return spans + keyword + literal


def is_python(path: str | None) -> bool:
    return bool(path) and str(path).endswith((".py", ".pyi", ".pyw"))


@lru_cache(maxsize=8192)
def _found(text: str, python: bool = False) -> tuple[Span, ...]:
    """find() of a finding's text, remembered: titles, messages and remediations repeat across
    thousands of findings (one rule, one message), and find() is a pure function of the text.
    A Python file's snippet is read as Python (`find_python`)."""
    return tuple(find_python(text) if python else find(text))


def find_tokens(text: str) -> list[Span]:
    """Only the credentials whose format says what they are (issuers' token shapes, URL
    passwords, private key blocks): precise enough to report as findings, unlike the
    keyword and entropy rules that only decide what to mask."""
    reduced, offsets = _candidates(text)
    spans = [_shift(s, offsets) for s in _format_spans(reduced)] if reduced else []
    spans += _private_key_spans(text)
    return [s for s in spans if s.kind != "authorization"]


def _name_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A token format as it may sit in a name: `test_ghp_…`, `x.AKIA…`. `\\b` does not
    separate `_` from a letter, so a name's token would hide behind an underscore."""
    source = pattern.pattern
    parts = source.split(r"\b")
    out = parts[0]
    for i, part in enumerate(parts[1:], 1):
        at_end = i == len(parts) - 1 and not part
        out += (r"(?![A-Za-z0-9])" if at_end else r"(?<![A-Za-z0-9])") + part
    return re.compile(out)


_NAME_FORMATS = tuple((kind, _name_pattern(p)) for kind, p in _FORMATS)
#: A name holds no token format without a run this long (the shortest format is 15).
_NAME_CANDIDATE = re.compile(r"[A-Za-z0-9+=_\-.]{12,}|://")


def name_spans(name: str) -> list[Span]:
    """Credential spans of a name (a path, a branch or tag, a URL): token formats only. A
    name is an identifier: the keyword and entropy rules, made for file content, would mask
    ordinary names (`features/api-key-rotation`, a content hash)."""
    if not _NAME_CANDIDATE.search(name):
        return []
    spans: list[Span] = []
    for kind, pattern in _NAME_FORMATS:
        for m in pattern.finditer(name):
            g = 1 if pattern.groups else 0
            if m.end(g) - m.start(g) >= MIN_SECRET:
                spans.append(Span(m.start(g), m.end(g), kind))
    spans += _plugin_spans(name)
    return [s for s in spans if not _inside_mask(name, s)]


def mask_name(name: str, pieces: Pieces | None = None) -> str:
    """A name with the token formats it shows masked, and, given `pieces`, every piece of a
    credential learnt elsewhere. A pure function of the name (and the pieces): the same path
    masks the same way in every output, and its fingerprint is keyed by `mask_name(path)`."""
    if not name:
        return name
    if not pieces:
        return _mask_tokens(name)
    spans = name_spans(name) + _known(name, pieces)
    return _apply(name, spans) if spans else name


@lru_cache(maxsize=65536)
def _mask_tokens(name: str) -> str:
    spans = name_spans(name)
    return _apply(name, spans) if spans else name


def _numbered(masked: str, n: int) -> str:
    """The n-th of several names that mask alike: its last mask numbered (`… chars #2]`)."""
    found = list(MASK_RE.finditer(masked))
    if not found:
        return masked
    end = found[-1].end()
    return f"{masked[: end - 1]} #{n}]{masked[end:]}"


def _private_key_spans(text: str) -> list[Span]:
    """Each base64 run of each key block (line breaks and headers stay visible)."""
    out = []
    for m in _PRIVATE_KEY.finditer(text):
        base = m.start("body")
        out += [
            Span(base + r.start(), base + r.end(), "private-key")
            for r in _KEY_RUN.finditer(m.group("body"))
        ]
    return out


_CANDIDATE_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{16,}")


def _candidates(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The lines that may hold a token format, joined, and (reduced, original) line starts."""
    # A line is kept for a URL or a long run; a text with neither has no such line (runs
    # cannot span lines: no line break is in their class). Most texts are short prose.
    if "://" not in text and not _CANDIDATE_RUN.search(text):
        return "", []
    kept: list[str] = []
    offsets: list[tuple[int, int]] = []
    at = 0
    for start, line in _lines(text):
        if "://" in line or any(
            any(ch.isdigit() or ch.isupper() for ch in m.group(0))
            for m in _CANDIDATE_RUN.finditer(line)
        ):
            offsets.append((at, start))
            kept.append(line)
            at += len(line) + 1
    return "\n".join(kept), offsets


def _shift(s: Span, offsets: list[tuple[int, int]]) -> Span:
    i = bisect.bisect_right(offsets, (s.start, 1 << 62)) - 1
    reduced, original = offsets[i]
    return Span(s.start - reduced + original, s.end - reduced + original, s.kind)


def _format_spans(text: str) -> Iterator[Span]:
    for kind, pattern in _FORMATS:
        for m in pattern.finditer(text):
            g = 1 if pattern.groups else 0
            if m.end(g) - m.start(g) >= MIN_SECRET and not _placeholder(kind, m.group(g)):
                yield Span(m.start(g), m.end(g), kind)
    for span in _plugin_spans(text):
        if not _placeholder(span.kind, text[span.start : span.end]):
            yield span


#: Formats that take whatever sits in a place (`user:…@host`, `Bearer …`): what they take
#: must not be a word or a placeholder (`user:password@host`, `:{passwd}@`, `Bearer token`).
_PLACE_KINDS = frozenset({"url-password", "basic-auth-credentials", "authorization"})


def _placeholder(kind: str, value: str) -> bool:
    if kind not in _PLACE_KINDS:
        return False
    v = value.strip()
    return (
        (v.isalpha() and v.islower())
        or bool(_PLACEHOLDER.match(v))
        or v[:1] in "{[(<"
        or MASK_RE.search(v) is not None
    )


def _plugin_spans(text: str) -> Iterator[Span]:
    # One pass of each plugin over the whole text: per line costs 25 regex calls a line.
    for plugin in _PLUGINS:
        kind = _slug(plugin.secret_type)
        # A plugin is third-party code: what it yields is checked, whatever it declares.
        found: Iterable[object] = plugin.analyze_string(text)
        for match in set(found):
            if not isinstance(match, str) or len(match) < MIN_SECRET or "\n" in match:
                continue
            at = text.find(match)
            while at != -1:
                yield Span(at, at + len(match), kind)
                at = text.find(match, at + len(match))


def _assignment_spans(text: str) -> Iterator[Span]:
    pending = False  # a `name: DB_PASSWORD` line: its `value:` on the next line is secret
    for line_start, line in _lines(text):
        if pending and (m := _KEY_VALUE_VALUE.match(line)):
            yield from _value_span(line, m.end(), line_start, "password")
        nm = _KEY_VALUE_NAME.match(line)
        pending = bool(nm and secret_name(nm.group("name")))
        for m in _ASSIGN.finditer(line):
            if secret_name(m.group("name")):
                query = m.start() > 0 and line[m.start() - 1] in "?&"
                yield from _value_span(
                    line, m.end(), line_start, "password", query=query, name=m.group("name")
                )
        for m in _OPTION.finditer(line):
            yield from _value_span(line, m.end(), line_start, "password")


def _value_span(
    line: str, at: int, offset: int, kind: str, *, query: bool = False, name: str = ""
) -> Iterator[Span]:
    """The value starting at `at`. Quoted: the string literal as Python reads it (escaped
    quotes and the other quote inside; literals written right after it, `'it''s'`, are part
    of it), so the literals after it (`token="…", f'{user}', "db"`) never decide what it
    is; where Python reads no such value, or reads none worth masking, to the line's last
    matching quote (more may be masked, never less). Unquoted: the run of non-space
    characters."""
    if at >= len(line):
        return
    q = line[at]
    if q in _QUOTES:
        literal = _python_literal(line, at)
        if literal is not None and _secret_value(line[literal[0] : literal[1]], name):
            yield Span(offset + literal[0], offset + literal[1], kind)
            return
        end = line.rfind(q)
        start, stop = at + 1, (end if end > at else len(line))
    else:
        start = at
        stop = start
        # in a URL query (`?user=u&pass=p&to=x`) a value ends at the next parameter
        ends = "&#" if query else ""
        while stop < len(line) and not line[stop].isspace() and line[stop] not in ends:
            stop += 1
        while stop > start and line[stop - 1] in ",;)]}" + _QUOTES:
            stop -= 1
    if _secret_value(line[start:stop], name):
        yield Span(offset + start, offset + stop, kind)


def _secret_value(value: str, name: str) -> bool:
    return plausible_value(value) and not (name and names_itself(name, value))


#: Adjacent literals read as one quoted value (`'it''s'`); the tokenizer reads no further.
_LITERAL_RUN = 8


def _python_literal(line: str, at: int) -> tuple[int, int] | None:
    """The body (between the quotes) of the string literals `tokenize` reads at `at`, or
    None when it reads none there or a word or quote follows them (`"ab"cd"`: not Python,
    whose reading would cut the value short)."""
    first: tokenize.TokenInfo | None = None
    last: tokenize.TokenInfo | None = None
    for tok in _python.tokens(line[at:], limit=_LITERAL_RUN):
        if tok.type != tokenize.STRING or tok.start[0] != 1 or tok.end[0] != 1:
            break
        first = first or tok
        last = tok
    if first is None or last is None or first.start[1] != 0:
        return None
    end = at + last.end[1]
    if end < len(line) and (line[end].isalnum() or line[end] in "_\\" + _QUOTES):
        return None
    start = at + len(_quote_of(first.string))
    return start, max(start, end - len(_quote_of(last.string)))


def _quote_of(literal: str) -> str:
    """The quote a string literal opens with after its prefix: one character, or three."""
    body = literal.lstrip("rRbBuUfF")
    return body[:3] if body[:3] in ('"""', "'''") else body[:1]


def _lines(text: str) -> Iterator[tuple[int, str]]:
    at = 0
    for line in text.splitlines(keepends=True):
        yield at, line.rstrip("\r\n")
        at += len(line)


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-") or "secret"


def python_spans(source: str) -> list[Span]:
    """String literals of Python source that hold a credential, found with `tokenize`.

    A literal is secret when a secret-like name is assigned it (`password = "…"`, a keyword
    argument `token="…"`, a dict key `"api_key": "…"`) or when it is long and random.
    Quotes inside a literal cannot confuse this: the tokenizer knows where each literal
    ends, so `host="db", password="Hunter2-Prod!"` masks the
    password, not the text between the two literals.
    """
    return _python_spans(source)[0]


def _python_spans(source: str) -> tuple[list[Span], bool]:
    """python_spans, and whether any literal was bound to a secret-like name at all."""
    spans, bound, _, _ = _token_pass(source, keyword_rules=False)
    return spans, bound


def _token_pass(
    source: str, *, keyword_rules: bool
) -> tuple[list[Span], bool, list[Span], int | None]:
    """One pass over the tokens of Python source, keeping only the last few (memory bounded
    by what is found, never by the token count: a file of NUL bytes is a token per byte).

    Returns the literals that hold a credential (`python_spans`), whether any literal was
    bound to a secret-like name, (`keyword_rules`) the keyword rules' spans inside string
    literals and comments, and the offset where the tokenizer stopped early (None when it
    read the whole source).
    """
    starts = _line_starts(source)
    spans: list[Span] = []
    keyword: list[Span] = []
    bound = False
    #: the last significant tokens: `_assigned_name` looks back three
    window: deque[tokenize.TokenInfo] = deque(maxlen=4)
    last: tokenize.TokenInfo | None = None
    for tok in _python.each_token(source):
        last = tok
        if keyword_rules and tok.type in (tokenize.STRING, tokenize.COMMENT):
            if tok.type == tokenize.STRING:
                b, e = _literal_body(tok, starts)
            else:
                b = starts[tok.start[0] - 1] + tok.start[1]
                e = b + len(tok.string)
            keyword += [
                Span(b + x.start, b + x.end, x.kind) for x in _assignment_spans(source[b:e])
            ]
        if tok.type in _SKIP_TOKENS:
            continue
        window.append(tok)
        if tok.type != tokenize.STRING:
            continue
        body_start, body_end = _literal_body(tok, starts)
        body = source[body_start:body_end]
        name = _assigned_name(list(window), len(window) - 1)
        bound = bound or name is not None
        if name and plausible_value(body) and not names_itself(name, body):
            spans.append(Span(body_start, body_end, "password"))
        elif looks_random(body.strip()):
            spans.append(Span(body_start, body_end, "high-entropy-string"))
    # a token format inside any literal is `find`'s, which runs over the whole file too
    rest = None
    if last is None:
        rest = 0
    elif last.type != tokenize.ENDMARKER:
        rest = starts[last.end[0] - 1] + last.end[1]
    return spans, bound, keyword, rest


_SKIP_TOKENS = frozenset(
    {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
)


#: Where str.splitlines ends a line.
_LINE_END = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _line_starts(source: str) -> array[int]:
    """Offset of each line's start (lines as `str.splitlines` cuts them), then the
    source's length; 8 bytes a line, without a string per line."""
    starts = array("q", [0])
    starts.extend(m.end() for m in _LINE_END.finditer(source))
    if source and starts[-1] != len(source):
        starts.append(len(source))
    return starts


def _literal_body(tok: tokenize.TokenInfo, starts: Sequence[int]) -> tuple[int, int]:
    """Offsets of a string token's content, between its prefix+quotes."""
    begin = starts[tok.start[0] - 1] + tok.start[1]
    end = starts[tok.end[0] - 1] + tok.end[1]
    text = tok.string
    prefix = len(text) - len(text.lstrip("rRbBuUfF"))
    quote = (
        text[prefix : prefix + 3] if text[prefix : prefix + 3] in ('"""', "'''") else text[prefix]
    )
    return begin + prefix + len(quote), max(begin + prefix + len(quote), end - len(quote))


def _assigned_name(tokens: list[tokenize.TokenInfo], i: int) -> str | None:
    """The secret-like name whose value the literal at i is, if any."""
    if i < 2:
        return None
    op, name = tokens[i - 1], tokens[i - 2]
    if op.string not in ("=", ":", ":=", "+=", "==", "!=") and not (
        op.string == "(" and name.type == tokenize.NAME
    ):
        return None
    if name.string == "]" and i >= 3:
        name = tokens[i - 3]
    text = None
    if name.type == tokenize.NAME:
        text = name.string
    elif name.type == tokenize.STRING:
        text = name.string.strip(_QUOTES + "rbuRBU")
    return text if text is not None and secret_name(text) else None


def names_itself(name: str, value: str) -> bool:
    """A value that repeats its own name: an enum member or a constant
    (`OAUTH2_TOKEN = "oauth2-token"`, `ED25519_KEY_OPTIONAL_PASSPHRASE = "ed25519-key"`,
    `password: password`), not a credential."""
    v = re.sub(r"[^a-z0-9]", "", value.lower())
    return len(v) >= 3 and v in re.sub(r"[^a-z0-9]", "", name.lower())


def hint(value: str, kind: str) -> str:
    """The mask for a value: its kind and length, and a public prefix of at most 4 chars."""
    shown = ""
    for prefix, named in PUBLIC_PREFIXES:
        if value.startswith(prefix):
            shown = f" {value[: min(4, len(prefix))]}..."
            kind = kind if kind not in ("password", "high-entropy-string") else named
            break
    return f"{MASK_PREFIX} {kind}{shown}, {len(value)} chars]"


class CleanFiles(Protocol):
    """Remembers file contents in which learning found no credential at all, so a later
    scan of the same bytes skips the tokenising. It holds no piece of any credential: a
    file that has one is learnt again every time."""

    def is_clean(self, rel: str, content: bytes) -> bool: ...

    def mark_clean(self, rel: str, content: bytes) -> None: ...


class Redactor:
    """Masks every credential it knows of in any text; learns them file by file.

    One Redactor serves a whole scan (all scanners, from their threads): a value learnt from
    one file or one scanner is masked in every other text too, including texts of other
    files and of tool errors that quote it.
    """

    def __init__(
        self,
        root: Path | None = None,
        credential_rules: CredentialRules = (),
        memo: CleanFiles | None = None,
    ) -> None:
        self._root = root
        self._credential_rules = frozenset(credential_rules)
        self._memo = memo
        self._lock = threading.Lock()
        # Learning a file is serialised (it is CPU-bound anyway): a thread that finds the
        # file already being learnt waits for it rather than mask without its credentials.
        self._learning = threading.RLock()
        self._files: dict[str, Pieces] = {}  # path -> what its own content shows
        self._pieces: Pieces = {}  # everything learnt: lowercased PIECE-gram -> kind
        self._lines: dict[str, list[str]] = {}
        #: Bumped whenever a piece is learnt: a text masked at this generation is masked the
        #: same way again, so `text` keeps the answer (the final pass over every run repeats
        #: the scanners' own passes, mostly over the same titles and messages).
        self._generation = 0
        self._masked: dict[tuple[str, bool], tuple[int, str]] = {}

    # -- learning ---------------------------------------------------------------------------

    def learn(
        self,
        value: str,
        kind: str,
        into: Pieces | None = None,
        *,
        shared: bool = True,
        words: bool = True,
    ) -> None:
        """Remember a credential: every PIECE-long window of its secret-looking segments is
        masked from now on, wherever it appears (and is added to `into` as well).

        `shared=False` adds it to `into` only: what a text shows before it is masked for its
        fingerprint (cold runs only: a cached finding is already masked) must not decide how
        other texts are masked, or a warm run would mask differently from a cold one.
        `words=False` (a tool's text, not a file): a word-shaped value (`name_shaped`) is
        masked where it was found but not learnt.
        """
        if not words and kind == "password" and name_shaped(value.strip(_QUOTES)):
            return  # masked where it is bound, not spread (see name_shaped)
        grams = _learnt_grams(value, kind)
        if not grams:
            return
        if not shared:
            if into is not None:
                for gram in grams:
                    _add(into, gram, kind)
            return
        with self._lock:
            for gram in grams:
                if _add(self._pieces, gram, kind):
                    self._generation += 1
                if into is not None:
                    _add(into, gram, kind)

    def learn_text(
        self,
        text: str,
        spans: Iterable[Span],
        into: Pieces | None = None,
        *,
        shared: bool = True,
        words: bool = True,
    ) -> None:
        for s in spans:
            self.learn(text[s.start : s.end], s.kind, into, shared=shared, words=words)

    def learn_file(self, rel: str) -> Pieces:
        """The credentials of a scanned file, by content (once per file and scan)."""
        if self._root is None or not rel:
            return {}
        with self._learning:
            if rel in self._files:
                return self._files[rel]
            own: Pieces = {}
            self._files[rel] = own
            data = _read_bytes(self._root / rel)
            if data is None:
                return own
            text = data.decode("utf-8", errors="replace")
            self._lines[rel] = text.splitlines(keepends=True)
            if self._memo is not None and self._memo.is_clean(rel, data):
                return own
            self.learn_text(text, find_python(text) if is_python(rel) else find(text), own)
            if not own and self._memo is not None:
                self._memo.mark_clean(rel, data)
            return own

    def learn_finding(self, f: Finding, *, shared: bool = True) -> Pieces:
        """What the scanner itself says is a credential: trivy's masked columns, the string
        literals inside the range of a credential rule (a CWE that says so, or a rule its
        scanner names in `credential_rules`).
        Returns what this finding and its file show, for masking the finding itself."""
        own = dict(self.learn_file(f.location.path))
        lines = self._lines.get(f.location.path)
        loc = f.location
        if (
            is_credential(f, self._credential_rules)
            and f.kind is not FindingKind.SECRET
            and loc.snippet
        ):
            # the rule matched this code: its string literals are the credential
            self.learn_text(loc.snippet, _all_literals(loc.snippet), own, shared=shared)
        if not lines or not loc.start_line:
            return own
        first, last = loc.start_line, max(loc.start_line, loc.end_line or loc.start_line)
        chunk = lines[first - 1 : last]
        if f.kind is FindingKind.SECRET and loc.snippet:
            for line in chunk:
                for preview in loc.snippet.splitlines():
                    self.learn_text(line, _masked_columns(line, preview), own, shared=shared)
        elif is_credential(f, self._credential_rules):
            text = "".join(chunk)
            if f.location.path.endswith((".py", ".pyi", ".pyw")):
                spans = _all_literals(text)
            else:
                spans = find(text)
            self.learn_text(text, spans, own)
        return own

    # -- masking ----------------------------------------------------------------------------

    def text(
        self,
        text: str,
        path: str | None = None,
        known: Pieces | None = None,
        *,
        python: bool = False,
    ) -> str:
        """text with every known credential and every one it shows itself masked
        (`python`: the text is Python source, a snippet of a Python file).

        `known` narrows "known" to those pieces (a finding's own file's, when its
        fingerprint is still to be computed: what other files and scanners taught must not
        decide it, or it would depend on which scanner finished first).
        """
        if not text:
            return text
        if path:
            self.learn_file(path)
        if known is None:
            seen = self._masked.get((text, python))
            if seen is not None and seen[0] == self._generation:
                return seen[1]
        spans = [s for s in _found(text, python) if not _inside_mask(text, s)]
        # what the text shows of a credential elsewhere (a value quoted twice) goes too
        local: Pieces = {}
        self.learn_text(text, spans, local, shared=known is None, words=False)
        pieces = self._pieces if known is None else {**known, **local}
        spans += _known(text, pieces)
        masked = _apply(text, spans)
        if known is None and len(self._masked) < _MASKED_MEMO:
            # the generation after learning what the text shows: the state the answer is for
            self._masked[(text, python)] = (self._generation, masked)
        return masked

    def optional(
        self, text: str | None, path: str | None = None, known: Pieces | None = None
    ) -> str | None:
        return self.text(text, path, known) if text else text

    def finding(self, f: Finding, *, own_file_only: bool = False) -> Finding:
        """f with its texts masked; `own_file_only` before fingerprinting (deterministic:
        only what f and its own file show), else with everything learnt so far."""
        own = self.learn_finding(f, shared=not own_file_only)
        known = own if own_file_only else None
        loc = f.location
        path = loc.path
        snippet = (
            self.text(loc.snippet, path, known, python=is_python(path))
            if loc.snippet
            else loc.snippet
        )
        pkg = f.package
        pkg_texts = (
            (
                self.text(pkg.name, None, known),
                self.text(pkg.version, None, known),
                self.optional(pkg.purl, None, known),
            )
            if pkg is not None
            else None
        )
        # In this order: what one text shows is masked in the texts after it.
        title = self.text(f.title, path, known)
        message = self.text(f.message, path, known)
        remediation = self.optional(f.remediation, path, known)
        resource = self.optional(f.resource, path, known)
        if (
            snippet == loc.snippet
            and (pkg is None or pkg_texts == (pkg.name, pkg.version, pkg.purl))
            and (title, message, remediation, resource)
            == (f.title, f.message, f.remediation, f.resource)
        ):
            return f  # nearly every finding: nothing to mask, no copy
        new_loc = replace(loc, snippet=snippet)
        new_pkg = None
        if pkg is not None and pkg_texts is not None:
            name, version, purl = pkg_texts
            new_pkg = replace(pkg, name=name, version=version, purl=purl)
        out = replace(
            f,
            title=title,
            message=message,
            remediation=remediation,
            resource=resource,
            location=new_loc,
            package=new_pkg,
        )
        return f if _same(f, out, loc, new_loc, pkg, new_pkg) else out

    def not_analyzed(self, n: NotAnalyzed, *, own_only: bool = False) -> NotAnalyzed:
        """`own_only`: with what the reason and its file show (deterministic, as a cache
        entry keeps it); else with everything learnt so far as well."""
        own = self.learn_file(n.path) if own_only else None
        reason = self.text(n.reason, n.path, own)
        return n if reason == n.reason else replace(n, reason=reason)

    def run(self, run: ScannerRun, *, own_only: bool = False) -> ScannerRun:
        """The run's texts masked; `own_only` as for `finding` and `not_analyzed` (the form
        the pipeline keeps until the final pass, the same whether a finding came from the
        cache or from the tool)."""
        none: Pieces | None = {} if own_only else None
        return replace(
            run,
            error=self.optional(run.error, None, none),
            notes=tuple(self.text(n, None, none) for n in run.notes),
            findings=tuple(self.finding(f, own_file_only=own_only) for f in run.findings),
            not_analyzed=tuple(self.not_analyzed(n, own_only=own_only) for n in run.not_analyzed),
        )

    def result(self, result: ScanResult) -> ScanResult:
        """The final pass: every text masked with everything the run taught, and every name
        (paths, branch, repository) with it too.

        Twice: the first pass learns what every text shows, the second masks with all of
        it, so how a text is masked never depends on the order in which texts were met (a
        warm run meets cached texts first) and the result is byte-identical cold and warm.
        """
        for f in result.findings:
            self.learn_file(f.location.path)
        for n in result.not_analyzed:
            self.learn_file(n.path)
        self._texts_of(result)
        return self._names_of(self._texts_of(result))

    def name(self, name: str) -> str:
        """A name (branch, tag, URL, path) masked with the token formats it shows and
        everything learnt so far."""
        with self._lock:
            pieces = dict(self._pieces)
        return mask_name(name, pieces)

    def names(self, names: Iterable[str]) -> dict[str, str]:
        """name -> its mask, for a set of names (the paths of one result): names that would
        mask alike are numbered in the order of their real names, so no two collide."""
        with self._lock:
            pieces = dict(self._pieces)
        return masked_names(names, pieces)

    def _names_of(self, result: ScanResult) -> ScanResult:
        return names_of(result, self._pieces)

    def shown(self, run: ScannerRun) -> ScannerRun:
        """A run as the terminal may show it now: texts and names masked with everything
        learnt so far."""
        masked = self.run(run)
        with self._lock:
            pieces = dict(self._pieces)
        return _named_run(masked, masked_names(_run_paths(masked), pieces))

    def _texts_of(self, result: ScanResult) -> ScanResult:
        return replace(
            result,
            runs=tuple(self.run(r) for r in result.runs),
            not_analyzed=tuple(self.not_analyzed(n) for n in result.not_analyzed),
            fates=None
            if result.fates is None
            else tuple(
                f if not f.reason else replace(f, reason=self.text(f.reason, f.path))
                for f in result.fates
            ),
        )


Pieces = dict[str, str]
#: How many masked texts a Redactor remembers (a scan's distinct texts; bounded for memory).
_MASKED_MEMO = 100_000


def _learnt_grams(value: str, kind: str) -> list[str]:
    """The pieces a credential is remembered by."""
    if kind == "high-entropy-string" and "/" in value:
        # a random run with nothing naming it (`sns://…/us-west-2/12223334444`, a path
        # of ids): only its random parts are pieces of a key, not the names between them
        return [g for part in value.split("/") if _random_part(part) for g in _grams(part)]
    return _grams(value)


def _grams(value: str) -> list[str]:
    """The lowercased PIECE-long windows of a credential's secret-looking segments.

    A span may hold public text around the secret (a webhook's `https://hooks...`, a path
    after a truncated key): segments without a digit or a capital, and windows that read
    like a word (no digit, no capital after the first letter), are not learnt, so
    `https://`, `Possible` or a folder name is never masked everywhere.
    """
    grams: list[str] = []
    for segment in _SEGMENT_SPLIT.split(value):
        segment = segment.strip()
        if len(segment) < PIECE or MASK_RE.search(segment):
            continue
        if not any(ch.isdigit() or ch.isupper() for ch in segment):
            continue
        if _issued_token(segment):
            # an issuer's token shape (`AKIA` + 16 capitals, one of them a digit): all of it
            # is the key, words or not; its capitals alone would read as an identifier
            grams += [segment[i : i + PIECE].lower() for i in range(len(segment) - PIECE + 1)]
            continue
        random_letters = _random_letter_runs(segment)
        for i in range(len(segment) - PIECE + 1):
            gram = segment[i : i + PIECE]
            if any(b < i + PIECE and i < e for b, e in random_letters) and not _one_word(gram):
                # it holds letters of a run that reads as no word (`PEPmr` of
                # `z177P'M43gWB"PEPmr!cuff`): a piece of the key, though a word may end it
                # (`Pmr!cuff`); unlearnt, a tool that prints the value escaped or in
                # another case (trivy's "unknown instruction") showed its tail
                grams.append(gram.lower())
                continue
            # `Possible`, `director` (a capital only at the start, no digit), `.Values.`,
            # `parseStr`, `PASSWORD` (identifier words): not pieces of a key, never learnt.
            # Pieces match in any case: tools print lines upper-cased (trivy's Dockerfile
            # parser) and lower-cased (its "unknown instruction" errors).
            # A run of digits alone is a number (an id, a port, a phone number): a key's
            # digits are masked through the windows around them.
            if gram.isdigit():
                continue
            if any(ch.isdigit() for ch in gram) or (
                any(ch.isupper() for ch in gram[1:]) and not _wordy(gram)
            ):
                grams.append(gram.lower())
    return grams


_LETTERS = re.compile(r"[A-Za-z]+")


def _one_word(gram: str) -> bool:
    """A window that is one word in one case (`Password`, `instance`, `DEFAULTS`): where a
    random run of letters holds a word (`xqPassword`), the windows around it mask it; learnt
    itself, every title saying "password" and every path with `instance_utils` was masked."""
    return gram.isalpha() and (gram.islower() or gram.isupper() or gram[1:].islower())


def _issued_token(segment: str) -> bool:
    """Whether a segment is exactly one of the token formats whose whole match is the
    credential (no capture group around a secret inside public text)."""
    return any(p.groups == 0 and p.fullmatch(segment) for _, p in _FORMATS)


def _random_letter_runs(segment: str) -> list[tuple[int, int]]:
    """Where a segment has a run of letters that is no word of an identifier: mixed case
    split into short words (`PEPmr`, `gWB`), or into words shorter than 4 letters on average
    (`hzgIQFRdblJebgECGKlouNQP`), as random text is; `parseString`, `XMLHttpRequest`,
    `Values`, `DEFAULT` and `cuff` are words."""
    out = []
    for m in _LETTERS.finditer(segment):
        run = m.group(0)
        if len(run) < 3 or run.islower() or run.isupper():
            continue
        words = _CAMEL_WORD.findall(run)
        if any(len(w) < 3 for w in words) or len(words) * 4 > len(run):
            out.append((m.start(), m.end()))
    return out


def _wordy(gram: str) -> bool:
    """Whether a window without digits reads as part of an identifier or a quoted word:
    words of letters (lower, Capitalised or UPPER; the first and last may be cut) and any
    punctuation between them (`.Values.`, `"DEFAULT`)."""
    if any(ch.isdigit() for ch in gram):
        return False
    words = _CAMEL_WORD.findall(gram)  # punctuation between words is no evidence either
    return all(len(w) >= 3 for w in words[1:-1])


def _random_part(part: str) -> bool:
    """A part of a random run long enough and mixed enough to be a key's, not a name's."""
    return (
        len(part) >= 10
        and any(ch.isdigit() for ch in part)
        and any(ch.isupper() for ch in part)
        and any(ch.islower() for ch in part)
    )


def _add(pieces: Pieces, gram: str, kind: str) -> bool:
    """Whether `pieces` changed."""
    # the smallest kind wins, so the mask's text never depends on the order of learning
    if gram not in pieces or kind < pieces[gram]:
        pieces[gram] = kind
        return True
    return False


def _known(text: str, pieces: Pieces) -> list[Span]:
    """Runs of text made of known credentials' PIECE-grams, case-insensitively (a tool may
    print a line upper-cased: trivy's Dockerfile parser does)."""
    if not pieces or len(text) < PIECE:
        return []
    low = text.lower()
    out: list[Span] = []
    for i in range(len(low) - PIECE + 1):
        kind = pieces.get(low[i : i + PIECE])
        if kind is None:
            continue
        if out and i <= out[-1].end:
            out[-1] = Span(out[-1].start, i + PIECE, out[-1].kind)
        else:
            out.append(Span(i, i + PIECE, kind))
    return [s for s in out if not _inside_mask(text, s)]


def _same(
    f: Finding,
    out: Finding,
    loc: Location,
    new_loc: Location,
    pkg: Package | None,
    new_pkg: Package | None,
) -> bool:
    return (
        f.title == out.title
        and f.message == out.message
        and f.remediation == out.remediation
        and f.resource == out.resource
        and loc == new_loc
        and pkg == new_pkg
    )


def is_credential(f: Finding, credential_rules: CredentialRules = ()) -> bool:
    """A finding whose matched code is itself a credential."""
    return (
        f.kind is FindingKind.SECRET
        or bool(CREDENTIAL_CWES.intersection(f.cwe))
        or (f.scanner, f.rule_id) in credential_rules
    )


def _all_literals(source: str) -> list[Span]:
    """The string literals of a Python fragment (a credential rule's matched range) that can
    be its credential: those bound to a secret-like name, else those that look like one.

    A rule that flags a call flags all of it: `Notify(password="pw", targets="16134442222",
    host="localhost:8080/room")` must teach `pw`, not the phone number and the URL (taught
    as credentials, their pieces were masked in every other text).
    """
    spans, bound = _python_spans(source)
    if spans or bound:
        # a literal bound to a secret-like name was judged: an enum member repeating its
        # name (`OAUTH2_TOKEN = "oauth2-token"`, bandit B105) is no credential
        return spans
    starts = _line_starts(source)
    out: list[Span] = []
    for tok in _python.each_token(source):
        if tok.type == tokenize.STRING:
            b, e = _literal_body(tok, starts)
            value = source[b:e]
            if e - b >= MIN_SECRET and plausible_value(value) and _credential_like(value):
                out.append(Span(b, e, "password"))
    return out


def _credential_like(value: str) -> bool:
    """A literal that may be a password with nothing naming it: letters and digits mixed,
    no space and none of the punctuation of URLs, paths, options and lists (`verify=False`,
    `localhost:8080/room`, `a,b`), or random."""
    v = value.strip()
    if looks_random(v):
        return True
    return (
        any(ch.isalpha() for ch in v)
        and any(ch.isdigit() for ch in v)
        and not any(ch in " /:=&?@#,;" for ch in v)
    )


def _masked_columns(line: str, preview: str) -> list[Span]:
    """Where trivy's masked preview of a line hides characters of the file's line."""
    out: list[Span] = []
    for m in re.finditer(r"\*{4,}", preview):
        before = preview[max(0, m.start() - 12) : m.start()].split("...")[-1].lstrip("*")
        after = preview[m.end() : m.end() + 12].split("...")[0]
        if before and (at := line.find(before)) != -1:
            start = at + len(before)
        elif after and (at := line.find(after)) != -1:
            start = max(0, at - (m.end() - m.start()))
        else:
            continue
        out.append(Span(start, min(len(line), start + m.end() - m.start()), "secret"))
    return out


def _inside_mask(text: str, s: Span) -> bool:
    return any(m.start() <= s.start and s.end <= m.end() for m in MASK_RE.finditer(text))


def _apply(text: str, spans: list[Span]) -> str:
    """text with the union of the spans replaced by masks (overlapping spans merge)."""
    if not spans:
        return text
    merged: list[list[int | str]] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and s.start <= int(merged[-1][1]):
            merged[-1][1] = max(int(merged[-1][1]), s.end)
        else:
            merged.append([s.start, s.end, s.kind])
    out: list[str] = []
    at = 0
    for start, end, kind in merged:
        b, e = int(start), int(end)
        out.append(text[at:b])
        value = text[b:e]
        # A span that covers a line break (a private key body) keeps the line structure.
        out.append(hint(value.strip(), str(kind)) + ("\n" if value.endswith("\n") else ""))
        at = e
    out.append(text[at:])
    return "".join(out)


def _read_bytes(path: Path) -> bytes | None:
    try:
        with _files.open_regular(path) as fh:
            return fh.read(MAX_FILE_BYTES)
    except OSError:
        return None


def redact(f: Finding, credential_rules: CredentialRules = ()) -> Finding:
    """The finding with every credential its own texts show masked (no file context).

    Reports apply this again to what they load, so a results file written by an older
    secscan, or edited by hand, never shows more than a fresh scan would.
    """
    return Redactor(credential_rules=credential_rules).finding(f)


def redact_text(text: str) -> str:
    """A text with every credential it shows masked (no file context)."""
    return Redactor().text(text)


def masked_names(names: Iterable[str], pieces: Pieces | None = None) -> dict[str, str]:
    """name -> mask_name(name), names that would mask alike numbered by their real order."""
    out: dict[str, str] = {}
    by_mask: dict[str, list[str]] = {}
    for name in set(names):
        masked = mask_name(name, pieces)
        out[name] = masked
        if masked != name:
            by_mask.setdefault(masked, []).append(name)
    for masked, reals in by_mask.items():
        # a name already spelt like a mask (`[redacted … #2]` in a file name) counts too
        if len(reals) > 1 or masked in out:
            for n, real in enumerate(sorted(reals), 2 if masked in out else 1):
                out[real] = masked if n == 1 else _numbered(masked, n)
    return out


def names_of(result: ScanResult, pieces: Pieces | None = None) -> ScanResult:
    """The result with every name in it masked: file paths (findings, not analyzed,
    excluded, fates, changed files, each run's targets), the root, the config path and the
    provenance metadata (repository, top directory, branch). Texts are not touched
    (`Redactor.result` masks them).
    """
    table = masked_names(_result_paths(result), pieces)
    named = (result.root, result.config_path or "", *(v for _, v in result.metadata))
    if all(k == v for k, v in table.items()) and all(mask_name(v, pieces) == v for v in named):
        return result  # nearly every result: nothing to mask, no copy

    return replace(
        result,
        root=mask_name(result.root, pieces),
        config_path=mask_name(result.config_path, pieces) if result.config_path else None,
        metadata=tuple((k, mask_name(v, pieces)) for k, v in result.metadata),
        runs=tuple(_named_run(r, table) for r in result.runs),
        not_analyzed=_named_paths(result.not_analyzed, table),
        excluded=_named_paths(result.excluded, table),
        fates=None if result.fates is None else _named_paths(result.fates, table),
        changed=None if result.changed is None else tuple(table[p] for p in result.changed),
    )


def _result_paths(result: ScanResult) -> set[str]:
    """Every file path a result names."""
    paths: set[str] = set()
    for run in result.runs:
        paths.update(_run_paths(run))
    paths.update(n.path for n in result.not_analyzed)
    paths.update(e.path for e in result.excluded)
    paths.update(f.path for f in result.fates or ())
    paths.update(result.changed or ())
    return paths


def _run_paths(run: ScannerRun) -> set[str]:
    out = {f.location.path for f in run.findings}
    out.update(n.path for n in run.not_analyzed)
    out.update(run.paths)
    return out


#: What carries a file path of its own in a result.
_Pathed = TypeVar("_Pathed", NotAnalyzed, Excluded, FileFate)


def _named_paths(items: tuple[_Pathed, ...], table: dict[str, str]) -> tuple[_Pathed, ...]:
    return tuple(n if table[n.path] == n.path else replace(n, path=table[n.path]) for n in items)


def _named_run(run: ScannerRun, table: dict[str, str]) -> ScannerRun:
    if all(table[p] == p for p in _run_paths(run)):
        return run

    def finding(f: Finding) -> Finding:
        p = f.location.path
        return f if table[p] == p else replace(f, location=replace(f.location, path=table[p]))

    return replace(
        run,
        findings=tuple(finding(f) for f in run.findings),
        not_analyzed=_named_paths(run.not_analyzed, table),
        paths=tuple(table[p] for p in run.paths),
    )
