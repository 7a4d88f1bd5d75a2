"""jsonio.loads' fast checks agree with the value walk they replace on the common path."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secscan.util import jsonio

_TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}\u00e9\U0001f600 '), max_size=6)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.integers(min_value=1, max_value=8))
def test_bracket_depth_agrees_with_the_walk(value: object, max_depth: int) -> None:
    text = json.dumps(value, ensure_ascii=False)
    try:
        jsonio.check(json.loads(text), max_depth=max_depth)
        walked = None
    except jsonio.JSONError as e:
        walked = str(e)
    try:
        jsonio.loads(text, max_depth=max_depth)
        fast = None
    except jsonio.JSONError as e:
        fast = str(e)
    assert fast == walked


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": "\\ud800"}',  # an escaped lone surrogate
        b'{"\\uDFFF": 1}',  # in a key, upper case
        '{"a": "\ud800"}',  # a raw one in a str
        '{"a": "\ud800"}'.encode("utf-8", "surrogatepass"),  # raw bytes json.loads lets through
        '{"a": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
    ],
)
def test_lone_surrogates_are_refused_however_written(data: str | bytes) -> None:
    with pytest.raises(jsonio.JSONError, match="lone surrogate"):
        jsonio.loads(data)


def test_a_pair_written_as_escapes_is_text() -> None:
    assert jsonio.loads(b'["\\ud83d\\ude00", "[[[[", "\\\\"]') == ["\U0001f600", "[[[[", "\\"]
