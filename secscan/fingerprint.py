"""Stable finding fingerprints: what was found and where in the code, never on which line."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from secscan.findings import Finding, FindingKind
from secscan.redact import Redactor

#: Snippets are for people; a finding never carries more than this much of the file.
MAX_SNIPPET_LINES = 12
MAX_SNIPPET_CHARS = 2000
_WS = re.compile(r"\s+")


def normalize_code(text: str) -> str:
    """Whitespace-insensitive form of matched code, so re-indenting does not re-key a finding."""
    return _WS.sub(" ", text).strip()


def base_key(f: Finding) -> str:
    if f.package is not None:
        what = f"{f.package.ecosystem}|{f.package.name.lower()}|{f.package.version}"
    else:
        what = normalize_code(f.location.snippet or "")
    return "\x1f".join((f.scanner, f.rule_id, f.location.path, f.resource or "", what))


def assign(
    findings: Sequence[Finding], root: Path, redactor: Redactor | None = None
) -> tuple[Finding, ...]:
    """Fill snippets from the scanned files and give every finding its fingerprint.

    Identical findings in one file are told apart by their occurrence index in line order,
    so moving code keeps each fingerprint and a second copy gets a new one. Every finding,
    whatever its kind, passes through the redactor (one per scan, so what one scanner knows
    to be a credential is masked in the others' snippets too): a snippet copied from a file
    may hold a credential whatever rule pointed at it.
    """
    redactor = redactor or Redactor(root)
    lines_cache: dict[str, list[str] | None] = {}
    # Credentials are masked before anything is derived from them; by what the finding and
    # its own file show, so the fingerprint never depends on which scanner finished first.
    with_snippets = [
        redactor.finding(_with_snippet(f, root, lines_cache), own_file_only=True) for f in findings
    ]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(with_snippets):
        groups[base_key(f)].append(i)
    out = list(with_snippets)
    for key, idxs in groups.items():
        idxs.sort(
            key=lambda i: (out[i].location.start_line or 0, out[i].location.start_column or 0)
        )
        for n, i in enumerate(idxs):
            digest = hashlib.sha256(f"{key}\x1f{n}".encode()).hexdigest()[:32]
            out[i] = replace(out[i], fingerprint=digest)
    return tuple(out)


def _with_snippet(f: Finding, root: Path, cache: dict[str, list[str] | None]) -> Finding:
    # Secrets never get their snippet from disk: the scanner's masked preview is all we keep.
    if f.location.snippet is not None or f.kind is FindingKind.SECRET or not f.location.start_line:
        return f
    lines = cache.get(f.location.path, [])
    if lines == []:
        lines = cache[f.location.path] = _read_lines(root / f.location.path)
    if not lines:
        return f
    start = f.location.start_line
    end = min(f.location.end_line or start, start + MAX_SNIPPET_LINES - 1)
    snippet = "".join(lines[start - 1 : end])[:MAX_SNIPPET_CHARS].rstrip("\n")
    return replace(f, location=replace(f.location, snippet=snippet))


def _read_lines(path: Path) -> list[str] | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with path.open("rb") as fh:
            data = fh.read(16 * 1024 * 1024)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)
