"""JSON from untrusted files and peers: bounded nesting, no NaN/Infinity, no lone surrogates.

Python's json accepts all three: deep nesting ends in RecursionError (a traceback, or a crash
later when the value is dumped again), `NaN` is written back as invalid JSON, and a lone
surrogate (`"\\ud800"`) cannot be encoded as UTF-8 when a report is written.

Also the writer of every indented JSON report: `dumps_indented` is `json.dumps(indent=2)`
byte for byte, at close to the speed of the C encoder that `indent` turns off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json import encoder as _encoder
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


def dumps_indented(
    value: Any, *, sort_keys: bool = False, ensure_ascii: bool = True, allow_nan: bool = True
) -> str:
    """`json.dumps(value, indent=2, sort_keys=..., ensure_ascii=..., allow_nan=...)`, the same
    text, three to five times faster on a report of thousands of findings.

    With an indent the standard library encodes every value in Python; here only the nesting
    is walked in Python, and each innermost object or array (the bulk: a location, a list of
    fingerprints) is encoded by the C encoder with that depth's separators. Anything the
    walk is not sure of (a subclass, a non-string key, NaN, a cycle, an error) is handed to
    `json.dumps` itself, so the result, or the exception, is always the standard library's.
    """
    if _encoder.c_make_encoder is not None:  # type: ignore[attr-defined]
        try:
            return _Indented(sort_keys, ensure_ascii, allow_nan).dumps(value)
        except (_Unsure, ValueError, TypeError, RecursionError):
            pass
    return json.dumps(
        value, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii, allow_nan=allow_nan
    )


class _Unsure(Exception):
    """A value the fast walk leaves to the standard library."""


#: Exactly these types (no subclass) are encoded by the fast walk; anything else is _Unsure.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_INF = float("inf")


def _unsure(value: object) -> object:
    raise _Unsure


class _Indented:
    def __init__(self, sort_keys: bool, ensure_ascii: bool, allow_nan: bool) -> None:
        self._sort_keys = sort_keys
        self._allow_nan = allow_nan
        self._string: Callable[[str], str] = (
            _encoder.encode_basestring_ascii if ensure_ascii else _encoder.encode_basestring
        )
        self._leaf_encoders: dict[int, Callable[[Any, int], Any]] = {}
        self._out: list[str] = []

    def dumps(self, value: Any) -> str:
        self._value(value, 0)
        return "".join(self._out)

    def _leaf(self, depth: int) -> Callable[[Any, int], Any]:
        """The C encoder of a flat object or array at this depth: its item separator carries
        the newline and the indent of the items."""
        enc = self._leaf_encoders.get(depth)
        if enc is None:
            enc = _encoder.c_make_encoder(  # type: ignore[attr-defined]
                None,  # no cycle check: a leaf holds no container
                _unsure,
                self._string,
                None,
                ": ",
                ",\n" + "  " * (depth + 1),
                self._sort_keys,
                False,
                self._allow_nan,
            )
            self._leaf_encoders[depth] = enc
        return enc

    def _value(self, value: Any, depth: int) -> None:
        out = self._out
        kind = type(value)
        if kind is dict:
            if not value:
                out.append("{}")
                return
            for item in value.values():
                if type(item) not in _SCALARS:
                    break
            else:
                flat = "".join(self._leaf(depth)(value, 0))
                out.append("{\n" + "  " * (depth + 1) + flat[1:-1] + "\n" + "  " * depth + "}")
                return
            inner = "\n" + "  " * (depth + 1)
            string = self._string
            sep = "{" + inner
            items = sorted(value.items()) if self._sort_keys else value.items()
            for key, item in items:
                if type(key) is not str:
                    raise _Unsure
                if type(item) is str:
                    out.append(sep + string(key) + ": " + string(item))
                elif type(item) in _SCALARS:
                    out.append(sep + string(key) + ": " + self._scalar(item))
                else:
                    out.append(sep + string(key) + ": ")
                    self._value(item, depth + 1)
                sep = "," + inner
            out.append("\n" + "  " * depth + "}")
        elif kind is list or kind is tuple:
            if not value:
                out.append("[]")
                return
            for item in value:
                if type(item) not in _SCALARS:
                    break
            else:
                flat = "".join(self._leaf(depth)(value, 0))
                out.append("[\n" + "  " * (depth + 1) + flat[1:-1] + "\n" + "  " * depth + "]")
                return
            inner = "\n" + "  " * (depth + 1)
            string = self._string
            sep = "[" + inner
            for item in value:
                if type(item) is str:
                    out.append(sep + string(item))
                elif type(item) in _SCALARS:
                    out.append(sep + self._scalar(item))
                else:
                    out.append(sep)
                    self._value(item, depth + 1)
                sep = "," + inner
            out.append("\n" + "  " * depth + "]")
        elif kind in _SCALARS:
            out.append(self._scalar(value))
        else:
            raise _Unsure

    def _scalar(self, value: str | int | float | bool | None) -> str:
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if type(value) is str:
            return self._string(value)
        if type(value) is int:
            return int.__repr__(value)
        assert type(value) is float  # noqa: S101 - _SCALARS holds nothing else
        if value != value or value in (_INF, -_INF):
            raise _Unsure  # NaN and Infinity, written or refused: the standard library's way
        return float.__repr__(value)
