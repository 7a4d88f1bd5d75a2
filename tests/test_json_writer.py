"""`_json.dumps_indented`, the writer of every indented JSON report, is `json.dumps(indent=2)`.

The reports are compared byte for byte with golden files and across runs, so the fast writer
must give the standard library's text for every value (or raise what it raises): generated
documents with hostile strings, subclasses, odd keys and non-finite numbers are compared.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secscan.util import jsonio as _json

PROPS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
#: What scanned files put in messages and snippets: markup, escapes, controls, bidi, lone
#: surrogates, line separators, astral characters.
HOSTILE = [
    "<script>alert('x')</script>",
    '"quoted" \\back\\slash',
    "\x00\x1b[31m\x07\x7f\x85\x9f",
    "\u202eevil\u2066",
    "lone \ud800 surrogate \udfff",
    "line\u2028sep\u2029",
    "tab\tnew\nline\r\n",
    "emoji 🔥 ünïcödé …",
    "",
]


class Level(StrEnum):
    HIGH = "high"


class Rank(IntEnum):
    ONE = 1


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e16, 1.5e-7, 9.8, 1e308]),
    st.text(max_size=12),
    st.sampled_from(HOSTILE),
    st.sampled_from([Level.HIGH, Rank.ONE]),
)
KEYS = st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE))
ODD_KEYS = st.one_of(KEYS, st.integers(-5, 5), st.sampled_from([1.5, True, False, None]))


def documents(keys: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.lists(inner, max_size=3).map(tuple),
            st.dictionaries(keys, inner, max_size=5),
            st.dictionaries(keys, inner, max_size=2).map(OrderedDict),
        ),
        max_leaves=25,
    )


def _outcome(call: Any) -> tuple[str, str]:
    try:
        return ("text", call())
    except (ValueError, TypeError) as e:
        return ("error", type(e).__name__)


def _same_as_json(value: Any, **options: bool) -> None:
    want = _outcome(lambda: json.dumps(value, indent=2, **options))
    got = _outcome(lambda: _json.dumps_indented(value, **options))
    assert got == want


@PROPS
@given(
    documents(KEYS),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
@example({"a": [1, {"b": []}, {}], "c": {"d": "x"}}, True, False, True)
@example([[[[["deep"]]]], [], [{}]], False, True, True)
@example({"score": math.nan, "fine": 1.0}, True, False, False)
def test_same_text_as_json_dumps(
    value: Any, sort_keys: bool, ensure_ascii: bool, allow_nan: bool
) -> None:
    _same_as_json(value, sort_keys=sort_keys, ensure_ascii=ensure_ascii, allow_nan=allow_nan)


@PROPS
@given(documents(ODD_KEYS), st.booleans())
@example({1: "a", "1": "b"}, False)
@example({"b": 1, 2: {"x": 1}}, True)
def test_odd_keys_give_what_json_gives(value: Any, sort_keys: bool) -> None:
    """Non-string keys: converted, or (sorted among strings) refused, as json does."""
    _same_as_json(value, sort_keys=sort_keys)


#: Strings that look like the structure the writer edits in its text.
BRACES = st.sampled_from(["},\n    {", "}, {", "{", "}", "[", "]", ",", "\n", '"', "\\", ": "])
FLAT = st.dictionaries(
    st.one_of(KEYS, BRACES),
    st.one_of(SCALARS, BRACES),
    max_size=4,
)


@PROPS
@given(
    st.lists(st.one_of(FLAT, FLAT, SCALARS, st.just({"p": {"q": 1}})), max_size=8),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
)
@example([{"a": "},\n    {"}, {"b": 1}], 1, False, False)
@example([{"a": 1}, {}], 0, True, True)
def test_arrays_of_flat_objects_nested_anywhere(
    items: list[dict[str, Any]], depth: int, sort_keys: bool, ensure_ascii: bool
) -> None:
    value: Any = items
    for _ in range(depth):
        value = {"k": value, "n": 1}
    _same_as_json(value, sort_keys=sort_keys, ensure_ascii=ensure_ascii)


def test_a_report_shaped_document() -> None:
    findings = [
        {
            "rule": f"B{i}",
            "message": HOSTILE[i % len(HOSTILE)] * 3,
            "location": {"path": f"src/m{i}.py", "line": i, "column": None},
            "cwe": [89, 79],
            "tags": [],
            "score": i / 7,
            "package": {"name": "x", "fixed": ["1.0", "2.0"]} if i % 2 else None,
        }
        for i in range(200)
    ]
    doc = {"version": "2.1.0", "runs": [{"results": findings, "properties": {}}]}
    for options in ({}, {"sort_keys": True, "ensure_ascii": False}):
        assert _json.dumps_indented(doc, **options) == json.dumps(doc, indent=2, **options)


def test_cycles_and_unknown_types_raise_what_json_raises() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        _json.dumps_indented({"a": loop})
    with pytest.raises(TypeError, match="not JSON serializable"):
        _json.dumps_indented({"a": [object()]})
    with pytest.raises(ValueError, match="Out of range float"):
        _json.dumps_indented([{"x": math.inf}], allow_nan=False)


def test_plain_documents_never_reach_the_slow_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the writer: a report's plain data is encoded without json.dumps(indent)."""
    doc = {"a": [1, 2.5, None, True, "x", {"b": HOSTILE}], "c": {}, "d": [[], [{}]]}
    want = json.dumps(doc, indent=2, sort_keys=True)

    def slow(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("fell back to json.dumps")

    monkeypatch.setattr(_json.json, "dumps", slow)
    assert _json.dumps_indented(doc, sort_keys=True) == want
