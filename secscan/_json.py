"""JSON from untrusted files and peers: bounded nesting, no NaN/Infinity, no lone surrogates.

Python's json accepts all three: deep nesting ends in RecursionError (a traceback, or a crash
later when the value is dumped again), `NaN` is written back as invalid JSON, and a lone
surrogate (`"\\ud800"`) cannot be encoded as UTF-8 when a report is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Far deeper than any file secscan reads or writes (results files nest about 8 levels).
MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONError(ValueError):
    """Not JSON secscan accepts; the message says why."""


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as e:
        raise JSONError(f"nested deeper than {max_depth} levels") from e
    check(value, max_depth=max_depth)
    return value


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than max_depth and strings with a lone surrogate (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise JSONError(f"nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


def dumps(value: Any, **kwargs: Any) -> str:
    """json.dumps that refuses NaN and Infinity instead of writing invalid JSON."""
    return json.dumps(value, allow_nan=False, **kwargs)


def _check_text(text: str) -> None:
    m = _SURROGATE.search(text)
    if m:
        raise JSONError(
            f"string holds a lone surrogate (\\u{ord(m.group(0)):04x}), which is not Unicode text"
        )


def _refuse_constant(name: str) -> Any:
    raise JSONError(f"{name} is not a JSON number")
