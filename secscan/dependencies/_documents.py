"""Reading a manifest as a JSON or TOML document: what every structured format does first.

Each helper records a file that cannot be read or parsed as a Problem in `out` and returns
None, so a source keeps only its own format's walk of the parsed document.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from secscan.dependencies.interface import Manifests, Problem, Reader


def read_json(rel: str, reader: Reader, out: Manifests) -> tuple[str, Any] | None:
    """The file's text and its parsed JSON (of any type); None with a problem when unreadable
    or not JSON (at the error's line when the parser says)."""
    text = reader.read(rel, out)
    if text is None:
        return None
    try:
        return text, json.loads(text)
    except ValueError as e:
        out.problems.append(Problem(rel, getattr(e, "lineno", None), f"not JSON: {e}"))
        return None


def read_json_object(
    rel: str, reader: Reader, out: Manifests, what: str
) -> tuple[str, dict[str, Any]] | None:
    """`read_json`, then None with "not a `what` object" unless the document is an object."""
    document = read_json(rel, reader, out)
    if document is None:
        return None
    text, data = document
    if not isinstance(data, dict):
        out.problems.append(Problem(rel, 1, f"not a {what} object"))
        return None
    return text, data


def load_toml(rel: str, text: str, out: Manifests) -> dict[str, Any] | None:
    """The parsed document, or None with the syntax error (and its line) as a problem."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        out.problems.append(Problem(rel, int(m.group(1)) if m else None, f"TOML syntax error: {e}"))
        return None


def read_toml(rel: str, reader: Reader, out: Manifests) -> tuple[str, dict[str, Any]] | None:
    """The file's text and its parsed TOML; None with a problem when unreadable or invalid."""
    text = reader.read(rel, out)
    if text is None:
        return None
    data = load_toml(rel, text, out)
    return None if data is None else (text, data)
