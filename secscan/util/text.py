"""Control characters from scanned text made visible, so no report can drive a terminal.

File names, messages and snippets come from the scanned tree. A raw ESC or BEL in a
Markdown summary or in `compliance -o -` is a terminal escape sequence when the text is
printed; a bidi override reorders what a reviewer reads.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 except tab, newline and the CR of a CRLF line end, DEL, C1, the Unicode bidi
#: controls (embeddings, overrides, isolates, LRM/RLM and the Arabic letter mark), and
#: lone surrogates (an undecodable byte a tool passed on: no UTF-8 output can hold one).
#: A lone CR is shown: it would let a line overwrite itself on a terminal.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]|\r(?!\n)"
)
#: The same in JSON text, where C0 is always escaped already and a backslash escape is valid.
_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def visible(text: str) -> str:
    """ESC as `\\x1b`, U+202E as `\\u202e`: the character is shown, never acted on."""
    # Every character shown is unprintable (a control, a format character, a surrogate):
    # printable text, nearly all of it, is returned without a regex pass.
    if text.isprintable():
        return text
    return _CONTROL.sub(_escape, text)


def json_visible(text: str) -> str:
    """JSON text with DEL, C1 and bidi controls as `\\uXXXX` escapes (the same JSON value).

    A lone surrogate becomes U+FFFD: written as an escape it would make a file no JSON
    reader accepts as text (secscan's own loader refuses it), written raw it cannot be
    encoded at all.
    """
    # Of ASCII only DEL is replaced: ASCII text without one (nearly every report) is returned
    # as it is (isascii is a constant-time test on a str).
    if text.isascii() and "\x7f" not in text:
        return text
    text = _SURROGATE.sub("\ufffd", text)
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def without_surrogates(value: Any) -> Any:
    """A copy of JSON-like data (a report document, a few levels deep) with every lone
    surrogate in its strings replaced by U+FFFD, for writers that escape non-ASCII."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_surrogates(v) for v in value]
    return value
