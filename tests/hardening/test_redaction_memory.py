"""Learning a hostile file's credentials takes memory bounded by the file, not its tokens.

A file of NUL bytes is one token per byte for Python's tokenizer: kept as a list, the 16 MB
the Redactor reads of `huge.py` (the hostile tree's 50 MB file) were 16 million TokenInfo
objects, a 10 GB process (tests/hardening/test_hostile_tree.py, OOM-killed in CI).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from secscan.model import redact
from secscan.model.redact import Redactor, find_python


def _peak(fn) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_learning_a_file_of_nul_bytes_takes_memory_bounded_by_its_size(tmp_path: Path) -> None:
    size = 50_000
    (tmp_path / "huge.py").write_bytes(b"\0" * size)
    redactor = Redactor(tmp_path)
    peak = _peak(lambda: redactor.learn_file("huge.py"))
    # the read buffer, the bytes, their text and a few copies: before, 570 bytes a byte of
    # source on top (a token per byte, all kept)
    assert peak < redact.MAX_FILE_BYTES + 20 * size, f"{peak / size:.0f} bytes a byte of source"
    assert redactor.learn_file("huge.py") == {}


def test_many_small_tokens_take_memory_bounded_by_what_is_found() -> None:
    source = "x;" * 20_000 + "\n" + 'password = "Hunter2-Prod!"\n'
    spans = []
    peak = _peak(lambda: spans.extend(find_python(source)))
    assert peak < 20 * len(source)
    assert [source[s.start : s.end] for s in spans] == ["Hunter2-Prod!"]


@given(st.text(alphabet="ab\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
def test_line_starts_are_where_splitlines_cuts(text: str) -> None:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    assert list(redact._line_starts(text)) == starts


def test_reading_nosec_comments_of_a_file_of_nul_bytes_keeps_no_token_list() -> None:
    from secscan.scanners.bandit import nosec_lines

    source = b"x = 1  # nosec B602\n" + b"\0" * 50_000
    found: dict[int, object] = {}
    peak = _peak(lambda: found.update(nosec_lines(source, lambda name: name)))
    assert peak < 20 * len(source)
    assert list(found) == [1]
