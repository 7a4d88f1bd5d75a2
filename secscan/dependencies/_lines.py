"""Where a key sits in a JSON or YAML file: the parsers forget positions, findings need them."""

from __future__ import annotations

import re


class Cursor:
    """Finds successive lines holding a needle, in document order: parsers that walk a file
    in the order it is written find each entry's line after the previous one's."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.at = 0

    def find(self, needle: str) -> int | None:
        """The 1-based number of the next line (from the last one found) holding `needle`;
        None, without moving, when no later line does."""
        for i in range(self.at, len(self.lines)):
            if needle in self.lines[i]:
                self.at = i + 1
                return i + 1
        return None


def key_lines(text: str, pattern: str) -> dict[str, int]:
    """First line of each key a line-anchored `pattern` (one group: the key) finds."""
    out: dict[str, int] = {}
    line, pos = 1, 0
    for m in re.finditer(pattern, text, re.MULTILINE):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        out.setdefault(m.group(1), line)
    return out
