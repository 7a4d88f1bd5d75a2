"""Control characters from scanned text are shown, never passed on to a terminal."""

import json

from secscan.util.text import _CONTROL, _JSON_UNESCAPED, _SURROGATE, _escape, json_visible, visible


def test_controls_are_shown_and_line_ends_kept() -> None:
    text = "a\r\nb\rc\x1b[2Jd\x07e\x9bf\u202eg\th\n\x00\x7f\udcff"
    assert visible(text) == ("a\r\nb\\x0dc\\x1b[2Jd\\x07e\\x9bf\\u202eg\th\n\\x00\\x7f\\udcff")


def test_json_keeps_the_value_and_drops_raw_controls() -> None:
    value = {"name": "e\x9bvil\u202e\x7f\x1b"}
    text = json_visible(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert not any(c in text for c in "\x9b\u202e\x7f\x1b")
    assert json_visible(json.dumps({"x": "\udcff"}, ensure_ascii=False)) == '{"x": "\ufffd"}'


def test_every_character_changed_is_changed_alone_and_in_ascii_text() -> None:
    """The fast paths (printable text, ASCII text) skip nothing the full pass would change:
    each code point on its own, and inside otherwise plain ASCII text."""
    for code in range(0x110000):
        ch = chr(code)
        # Around plain ASCII only an ASCII character can leave the text ASCII or printable.
        for text in (ch, f"plain {ch} text") if code < 128 else (ch,):
            assert visible(text) == _CONTROL.sub(_escape, text), hex(code)
            full = _JSON_UNESCAPED.sub(
                lambda m: f"\\u{ord(m.group(0)):04x}", _SURROGATE.sub("\ufffd", text)
            )
            assert json_visible(text) == full, hex(code)
    assert json_visible('{"a": "del\x7f"}') == '{"a": "del\\u007f"}'
