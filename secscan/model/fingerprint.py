"""Stable finding fingerprints: what was found, how severe, and where in the code, never on
which line."""

from __future__ import annotations

import ast
import bisect
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from secscan.model.findings import Finding, FindingKind
from secscan.model.redact import Redactor, mask_name
from secscan.util import pysource as _python

#: Snippets are for people; a finding never carries more than this much of the file.
MAX_SNIPPET_LINES = 12
MAX_SNIPPET_CHARS = 2000
_WS = re.compile(r"\s+")


def normalize_code(text: str) -> str:
    """Whitespace-insensitive form of matched code, so re-indenting does not re-key a finding."""
    return _WS.sub(" ", text).strip()


#: A statement longer than this is keyed by the flagged lines alone.
MAX_STATEMENT_LINES = 400
_PYTHON_SUFFIXES = (".py", ".pyi")
_Extent = tuple[int, int]


def code_digest(text: str) -> str:
    return hashlib.sha256(normalize_code(text).encode("utf-8", "surrogatepass")).hexdigest()


def base_key(f: Finding) -> str:
    """What the finding is, apart from which occurrence: severity is part of it, so a finding
    whose severity rises is a new finding to a baseline."""
    if f.package is not None:
        what = f"{f.package.ecosystem}|{f.package.name.lower()}|{f.package.version}"
    else:
        # The same digest either way, so a one-line statement keys alike with or without its file.
        what = f.statement_digest or code_digest(f.location.snippet or "")
    # The path as every output shows it: a token in a file name is masked before anything is
    # derived from it (two names that mask alike are told apart by the occurrence index).
    return "\x1f".join(
        (f.scanner, f.rule_id, f.severity.value, mask_name(f.location.path), f.resource or "", what)
    )


def assign(
    findings: Sequence[Finding],
    root: Path,
    redactor: Redactor | None = None,
    *,
    keep_assigned: bool = False,
) -> tuple[Finding, ...]:
    """Fill snippets from the scanned files and give every finding its fingerprint.

    Identical findings in one file are told apart by their occurrence index in line order,
    so moving code keeps each fingerprint and a second copy gets a new one. Every finding,
    whatever its kind, passes through the redactor (one per scan, so what one scanner knows
    to be a credential is masked in the others' snippets too): a snippet copied from a file
    may hold a credential whatever rule pointed at it.

    `keep_assigned`: findings that have a fingerprint already keep it and are left out of
    the occurrence count (results from the cache, fingerprinted with all of their file's
    findings when it was scanned).
    """
    if keep_assigned and any(f.fingerprint for f in findings):
        todo = [f for f in findings if not f.fingerprint]
        done = iter(assign(todo, root, redactor))
        return tuple(f if f.fingerprint else next(done) for f in findings)
    redactor = redactor or Redactor(root)
    lines_cache: dict[str, list[str] | None] = {}
    # Credentials are masked before anything is derived from them; by what the finding and
    # its own file show, so the fingerprint never depends on which scanner finished first.
    with_snippets = [
        redactor.finding(_with_snippet(f, root, lines_cache), own_file_only=True) for f in findings
    ]
    with_snippets = _with_statements(with_snippets, root, lines_cache, redactor)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(with_snippets):
        groups[base_key(f)].append(i)
    out = list(with_snippets)
    for key, idxs in groups.items():
        idxs.sort(
            key=lambda i: (
                out[i].location.start_line or 0,
                out[i].location.start_column or 0,
                out[i].location.path,
            )
        )
        for n, i in enumerate(idxs):
            # surrogatepass: a lone surrogate in tool text keys the finding, never crashes
            material = f"{key}\x1f{n}".encode("utf-8", "surrogatepass")
            digest = hashlib.sha256(material).hexdigest()[:32]
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


def _with_statements(
    findings: list[Finding],
    root: Path,
    cache: dict[str, list[str] | None],
    redactor: Redactor,
) -> list[Finding]:
    """Give each code finding the digest of the whole statement it flags.

    A tool's snippet is often a fragment (bandit B602 points at `shell=True,` and the closing
    parenthesis), so the argument that decides the risk would not be part of the identity.
    """
    trees: dict[str, list[ast.stmt] | None] = {}
    spans: dict[str, _Spans] = defaultdict(dict)
    out = []
    for f in findings:
        text = None if f.statement_digest else _statement_text(f, root, cache, trees, spans)
        if text is None:
            out.append(f)
            continue
        # The statement is masked like the snippet: nothing is derived from a credential.
        with_text = replace(f, location=replace(f.location, snippet=text))
        masked = redactor.finding(with_text, own_file_only=True).location.snippet
        out.append(replace(f, statement_digest=code_digest(masked or "")))
    return out


def _statement_text(
    f: Finding,
    root: Path,
    cache: dict[str, list[str] | None],
    trees: dict[str, list[ast.stmt] | None],
    spans: dict[str, _Spans],
) -> str | None:
    loc = f.location
    if f.package is not None or f.kind is FindingKind.SECRET or not loc.start_line:
        return None
    if loc.cell is not None:
        # A notebook's lines are a cell's, not the file's: the scanner gave the code.
        return loc.snippet
    lines = cache.get(loc.path, [])
    if lines == []:
        lines = cache[loc.path] = _read_lines(root / loc.path)
    if not lines:
        return None
    start = loc.start_line
    end = max(loc.end_line or start, start)
    if start > len(lines):
        return None
    extent: _Extent | None = None
    if loc.path.endswith(_PYTHON_SUFFIXES):
        if loc.path not in trees:
            trees[loc.path] = _parse("".join(lines))
        body = trees[loc.path]
        extent = statement_extent(body, start, end, spans[loc.path]) if body is not None else None
    first, last = extent or (start, end)
    if last - first >= MAX_STATEMENT_LINES:
        first, last = start, min(end, start + MAX_STATEMENT_LINES - 1)
    return "".join(lines[first - 1 : last])


def _parse(source: str) -> list[ast.stmt] | None:
    try:
        return _python.parse(source).body
    except _python.PARSE_ERRORS:
        return None


def statement_extent(
    body: Sequence[ast.stmt], start: int, end: int, spans: _Spans | None = None
) -> _Extent | None:
    """Lines of the smallest statement holding lines start..end.

    A simple statement is taken whole. For a compound statement (def, class, if, for, with,
    try, match) only its header counts, never its body, so an edit elsewhere in a function
    does not re-key a finding on its `def` line; a finding in a decorator is keyed by that
    decorator. A range over several sibling statements takes them all. `spans` caches each
    block's line spans between calls on one file.
    """
    spans = {} if spans is None else spans
    block: Sequence[ast.AST] = body
    while True:
        hit = _overlapping(block, start, end, spans)
        if not hit:
            return None
        if len(hit) > 1:
            return _span(hit[0])[0], _span(hit[-1])[1]
        node = hit[0]
        for deco in getattr(node, "decorator_list", ()):
            lo, hi = deco.lineno, deco.end_lineno or deco.lineno
            if lo <= start and end <= hi:
                return lo, hi
        blocks = _blocks(node)
        if not blocks:
            return _span(node)  # a simple statement, whole
        inner = next(
            (b for b in blocks if _span(b[0])[0] <= start and end <= _span(b[-1])[1]),
            None,
        )
        if inner is None:
            # On the header: the header. Below it (an `else:` line, a comment): the flagged
            # lines. Over the header and part of the body: both, never the whole body.
            first, last = _header(node)
            if start > last:
                return start, end
            return min(first, start), max(last, end)
        block = inner


_Spans = dict[int, tuple[Sequence[ast.AST], list[int], list[int]]]


def _overlapping(
    block: Sequence[ast.AST], start: int, end: int, spans: _Spans
) -> Sequence[ast.AST]:
    """The statements of a block that overlap start..end, found by bisection: siblings are
    in line order and do not overlap, and a generated file can hold thousands."""
    cached = spans.get(id(block))
    if cached is None or cached[0] is not block:
        pairs = [_span(n) for n in block]
        cached = spans[id(block)] = (block, [p[0] for p in pairs], [p[1] for p in pairs])
    _, firsts, lasts = cached
    lo = bisect.bisect_left(lasts, start)
    hi = bisect.bisect_right(firsts, end)
    return block[lo:hi]


def _span(node: ast.AST) -> _Extent:
    if isinstance(node, ast.match_case):
        first = node.pattern.lineno
        last = node.body[-1].end_lineno or node.body[-1].lineno
        return first, last
    lineno: int = getattr(node, "lineno", 1)
    first = min([lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return first, getattr(node, "end_lineno", None) or lineno


def _blocks(node: ast.AST) -> list[Sequence[ast.AST]]:
    """The nested statement lists of a compound statement, each clause as its own block."""
    out: list[Sequence[ast.AST]] = []
    for name in ("body", "handlers", "orelse", "finalbody", "cases"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and all(isinstance(v, ast.AST) for v in value):
            out.append(value)
    return out


def _header(node: ast.AST) -> _Extent:
    """From the keyword (not the decorators) to the end of its own expressions (test, target,
    arguments, bases, context managers), never into a nested statement."""
    first = node.pattern.lineno if isinstance(node, ast.match_case) else getattr(node, "lineno", 1)
    nested = {id(n) for b in _blocks(node) for n in b}
    nested.update(id(d) for d in getattr(node, "decorator_list", ()))
    ends = [
        getattr(sub, "end_lineno", None) or first
        for child in ast.iter_child_nodes(node)
        if id(child) not in nested
        for sub in ast.walk(child)
    ]
    return first, max([first, *ends])


def _read_lines(path: Path) -> list[str] | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with path.open("rb") as fh:
            data = fh.read(16 * 1024 * 1024)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)
