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
#: The only other way a lone surrogate gets into a parsed string: a `\uD800`-`\uDFFF` escape.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class JSONError(ValueError):
    """Not JSON secscan accepts; the message says why."""


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    text, maybe_raw = _decoded(data)
    try:
        value = _DECODER.decode(text)
    except RecursionError as e:
        raise JSONError(f"nested deeper than {max_depth} levels") from e
    # Every string is checked only where the text may hold a surrogate: raw (not from strict
    # UTF-8) or escaped (`\\uD800`). Otherwise only the nesting, and only when the text has
    # more brackets than the limit (an OSV record has about 30 and 100 strings).
    if (maybe_raw and _SURROGATE.search(text)) or (
        "\\u" in text and _ESCAPED_SURROGATE.search(text)
    ):
        check(value, max_depth=max_depth)
    elif text.count("[") + text.count("{") > max_depth:
        _check_depth(value, max_depth)
    return value


def _decoded(data: str | bytes) -> tuple[str, bool]:
    """The text (as json.loads would decode bytes, lone surrogates kept to be refused) and
    whether it may hold a raw surrogate: strict UTF-8 cannot decode one."""
    if isinstance(data, str):
        return data, True
    encoding = json.detect_encoding(data)
    if encoding == "utf-8":
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return data.decode(encoding, "surrogatepass"), True


def check(value: Any, *, max_depth: int = MAX_DEPTH, texts: bool = True) -> None:
    """Refuse nesting deeper than max_depth and strings with a lone surrogate (iteratively);
    `texts=False` checks the nesting only."""
    if not texts:
        _check_depth(value, max_depth)
        return
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


def _check_depth(value: Any, max_depth: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise JSONError(f"nested deeper than {max_depth} levels")
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))


def _check_text(text: str) -> None:
    m = _SURROGATE.search(text)
    if m:
        raise JSONError(
            f"string holds a lone surrogate (\\u{ord(m.group(0)):04x}), which is not Unicode text"
        )


def _refuse_constant(name: str) -> Any:
    raise JSONError(f"{name} is not a JSON number")


#: json.loads with a keyword builds a decoder per call; this one is built once.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


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
            return _indented(value, sort_keys, ensure_ascii, allow_nan)
        except (_Unsure, ValueError, TypeError, RecursionError):
            pass
    return json.dumps(
        value, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii, allow_nan=allow_nan
    )


class _Unsure(Exception):
    """A value the fast walk leaves to the standard library."""


#: Exactly these types (no subclass) are encoded by the fast walk; anything else is _Unsure.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = frozenset({dict, list, tuple})
#: Flat containers up to this size are written in Python: calling the C encoder costs more.
_SMALL = 3
_INF = float("inf")


def _unsure(value: object) -> object:
    raise _Unsure


def _indented(value: Any, sort_keys: bool, ensure_ascii: bool, allow_nan: bool) -> str:
    """The fast walk (closures over locals: this runs once per object and array)."""
    string: Callable[[str], str] = (
        _encoder.encode_basestring_ascii if ensure_ascii else _encoder.encode_basestring
    )
    out: list[str] = []
    emit = out.append
    #: "\n" and the indent of each depth; the C encoder of a flat container at each depth
    #: (its item separator carries the newline and the indent of the items).
    newlines: list[str] = []
    leaves: list[Callable[[Any, int], Any]] = []

    def newline(depth: int) -> str:
        while len(newlines) <= depth + 1:
            d = len(newlines)
            newlines.append("\n" + "  " * d)
            leaves.append(
                _encoder.c_make_encoder(  # type: ignore[attr-defined]
                    None,  # no cycle check: a leaf holds no container
                    _unsure,
                    string,
                    None,
                    ": ",
                    ",\n" + "  " * (d + 1),
                    sort_keys,
                    False,
                    allow_nan,
                )
            )
        return newlines[depth]

    def scalar(item: Any) -> str:
        if item is None:
            return "null"
        if item is True:
            return "true"
        if item is False:
            return "false"
        kind = type(item)
        if kind is str:
            return string(item)
        if kind is int:
            return int.__repr__(item)
        if kind is float and item == item and item not in (_INF, -_INF):
            return float.__repr__(item)
        raise _Unsure  # NaN and Infinity, written or refused: the standard library's way

    def plain_object(item: Any) -> bool:
        """A non-empty object of plain values only (a finding of a control's list)."""
        if type(item) is not dict or not item:
            return False
        for field in item.values():
            if type(field) not in _SCALARS:
                return False
        return True

    def flat_run(run: Any, depth: int) -> str:
        """Consecutive flat objects of an array at `depth`, as their text in it: one C
        encoder call with the objects' separators, then the array's own put in. In that
        text `},<newline>{` can only be the array's: a raw newline is always a separator,
        and inside an object a key follows one."""
        inner, items = newline(depth + 1), newline(depth + 2)
        text = "".join(leaves[depth + 1](run, 0))
        text = text.replace("}," + items + "{", inner + "}," + inner + "{" + items)
        return f"{{{items}{text[2:-2]}{inner}}}"

    def container(obj: Any, depth: int) -> None:
        is_dict = type(obj) is dict
        items = obj.values() if is_dict else obj
        for item in items:
            if type(item) not in _SCALARS:
                break
        else:
            if len(obj) > _SMALL:
                newline(depth)
                flat = "".join(leaves[depth](obj, 0))
                emit(f"{flat[0]}{newlines[depth + 1]}{flat[1:-1]}{newlines[depth]}{flat[-1]}")
                return
        inner = newline(depth + 1)
        if is_dict:
            sep = "{" + inner
            for key, item in sorted(obj.items()) if sort_keys else obj.items():
                if type(key) is not str:
                    raise _Unsure
                kind = type(item)
                if kind is str:
                    emit(f"{sep}{string(key)}: {string(item)}")
                elif kind in _CONTAINERS and item:
                    emit(f"{sep}{string(key)}: ")
                    container(item, depth + 1)
                elif kind in _CONTAINERS:
                    emit(f"{sep}{string(key)}: {'{}' if kind is dict else '[]'}")
                else:
                    emit(f"{sep}{string(key)}: {scalar(item)}")
                sep = "," + inner
            emit(newlines[depth] + "}")
        else:
            sep = "[" + inner
            at, end = 0, len(obj)
            while at < end:
                item = obj[at]
                at += 1
                kind = type(item)
                if kind is dict and plain_object(item) and at < end and plain_object(obj[at]):
                    start = at - 1
                    while at < end and plain_object(obj[at]):
                        at += 1
                    emit(sep + flat_run(obj[start:at], depth))
                elif kind is str:
                    emit(sep + string(item))
                elif kind in _CONTAINERS and item:
                    emit(sep)
                    container(item, depth + 1)
                elif kind in _CONTAINERS:
                    emit(sep + ("{}" if kind is dict else "[]"))
                else:
                    emit(sep + scalar(item))
                sep = "," + inner
            emit(newlines[depth] + "]")

    kind = type(value)
    if kind in _CONTAINERS:
        if value:
            container(value, 0)
        else:
            emit("{}" if kind is dict else "[]")
    else:
        emit(scalar(value))
    return "".join(out)
