"""Reading a manifest as text, a JSON or a TOML document: what every format does first.

A file that cannot be read or parsed is a Problem, never an exception; a source keeps only
its own format's walk of the parsed document.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from secscan.dependencies.interface import Manifests, PatternSource, Problem, Reader


class TextSource(PatternSource):
    """A format read as text: `parse` reads the file (a file that cannot be read is a problem);
    `walk_text`, the format's own part, finds the packages in the text."""

    def parse(self, rel: str, reader: Reader) -> Manifests:
        """The packages `walk_text` finds in the file's text."""
        out = Manifests()
        text = reader.read(rel, out)
        if text is not None:
            self.walk_text(rel, text, out)
        return out

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """Record the packages of the file's `text` in `out`."""
        raise NotImplementedError


class JsonSource(TextSource):
    """A format that is one JSON document: `parse` reads and parses it; `walk`, the format's
    own part, finds the packages in the parsed document."""

    #: What the document is called when its top level must be an object ("not a <document>
    #: object" otherwise); None: any JSON value is walked.
    document: str | None = None

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """The packages `walk` finds; a file that is not JSON (a problem at the parser's line)
        or not the object `document` names is a problem."""
        try:
            data = json.loads(text)
        except ValueError as e:
            out.problems.append(Problem(rel, getattr(e, "lineno", None), f"not JSON: {e}"))
            return
        if self.document is not None and not isinstance(data, dict):
            out.problems.append(Problem(rel, 1, f"not a {self.document} object"))
            return
        self.walk(rel, text, data, out)

    def walk(self, rel: str, text: str, data: Any, out: Manifests) -> None:
        """Record the packages of the parsed document `data` (read from `text`) in `out`."""
        raise NotImplementedError


def load_toml(rel: str, text: str, out: Manifests) -> dict[str, Any] | None:
    """The parsed document, or None with the syntax error (and its line) as a problem."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        out.problems.append(Problem(rel, int(m.group(1)) if m else None, f"TOML syntax error: {e}"))
        return None


class TomlSource(TextSource):
    """A format that is one TOML document: `parse` reads and parses it; `walk`, the format's
    own part, finds the packages in the parsed document."""

    def walk_text(self, rel: str, text: str, out: Manifests) -> None:
        """The packages `walk` finds; a file that is not TOML is a problem."""
        data = load_toml(rel, text, out)
        if data is not None:
            self.walk(rel, text, data, out)

    def walk(self, rel: str, text: str, data: dict[str, Any], out: Manifests) -> None:
        """Record the packages of the parsed document `data` (read from `text`) in `out`."""
        raise NotImplementedError
