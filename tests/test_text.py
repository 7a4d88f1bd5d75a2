"""Control characters from scanned text are shown, never passed on to a terminal."""

import json

from secscan._text import json_visible, visible


def test_controls_are_shown_and_line_ends_kept() -> None:
    text = "a\r\nb\rc\x1b[2Jd\x07e\x9bf\u202eg\th\n\x00\x7f\udcff"
    assert visible(text) == ("a\r\nb\\x0dc\\x1b[2Jd\\x07e\\x9bf\\u202eg\th\n\\x00\\x7f\\udcff")


def test_json_keeps_the_value_and_drops_raw_controls() -> None:
    value = {"name": "e\x9bvil\u202e\x7f\x1b"}
    text = json_visible(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert not any(c in text for c in "\x9b\u202e\x7f\x1b")
    assert json_visible(json.dumps({"x": "\udcff"}, ensure_ascii=False)) == '{"x": "\ufffd"}'
