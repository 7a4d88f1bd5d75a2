"""Python a tool cannot read where it is: `.py` views written outside the scanned tree.

A script named by its shebang, a `.py3` file or a Jupyter notebook is Python that a tool
choosing files by suffix skips without a word. Such a target is handed to the tool as a
view: a copy (a notebook: its code cells, IPython lines neutralised) under a private temp
directory, named like the target plus `.py`. What the tool reports of a view is mapped back:
the path to the target, a notebook's lines to its cell and the line in that cell. Nothing is
written into the tree.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from secscan.model.findings import Finding, Location, NotAnalyzed
from secscan.model.targets import NotebookCode, is_notebook, notebook_code
from secscan.scanners.base import ScanContext, ScanOutcome
from secscan.util.atomic import write_atomic

#: The largest notebook read (its JSON; max_file_size_mb already bounds every target).
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Views:
    """Targets handed to the tool through views, by the view's absolute path."""

    #: Absolute view path -> the target (relative to the scan root).
    targets: dict[str, str]
    #: Notebook target -> its code cells' placement.
    notebooks: dict[str, NotebookCode]
    #: Targets no view could be made of (a notebook that is no JSON): not analyzed.
    unreadable: tuple[NotAnalyzed, ...]
    #: The view source per target (for snippets of notebook findings).
    sources: dict[str, list[str]]

    def path_of(self, target: str) -> str | None:
        """The view of `target`, or None when it is handed over as it is."""
        return self._by_target.get(target)

    @cached_property
    def _by_target(self) -> dict[str, str]:
        return {t: v for v, t in self.targets.items()}

    def paths(self, ctx: ScanContext) -> list[str]:
        bad = {n.path for n in self.unreadable}
        return [self._by_target.get(t) or ctx.abspath(t) for t in ctx.targets if t not in bad]

    def back(self, reported: str) -> str:
        """A path the tool printed (as ctx.relpath made it), the target's when it is a view."""
        return self.targets.get(os.path.normpath(reported), reported)

    def outcome(self, out: ScanOutcome) -> ScanOutcome:
        """The outcome with every view replaced by its target."""
        if not self.targets and not self.unreadable:
            return out
        return replace(
            out,
            findings=tuple(self._finding(f) for f in out.findings),
            not_analyzed=(
                *(replace(n, path=self.back(n.path)) for n in out.not_analyzed),
                *self.unreadable,
            ),
            analyzed=None
            if out.analyzed is None
            else frozenset(self.back(p) for p in out.analyzed),
            suppressions_by_path={self.back(k): v for k, v in out.suppressions_by_path.items()},
        )

    def _finding(self, f: Finding) -> Finding:
        target = self.targets.get(os.path.normpath(f.location.path))
        if target is None:
            return f
        loc = replace(f.location, path=target)
        code = self.notebooks.get(target)
        if code is not None and loc.start_line:
            loc = _in_cell(loc, code, self.sources.get(target, []))
        return replace(f, location=loc)


def _in_cell(loc: Location, code: NotebookCode, lines: Sequence[str]) -> Location:
    start = loc.start_line or 1
    placed = code.locate(start)
    snippet = "\n".join(lines[start - 1 : (loc.end_line or start)]) or None
    if placed is None:
        return replace(loc, snippet=snippet)
    cell, line = placed
    end = code.locate(loc.end_line or start)
    end_line = end[1] if end is not None and end[0] == cell else line
    return replace(loc, cell=cell, start_line=line, end_line=end_line, snippet=snippet)


@contextmanager
def python_views(ctx: ScanContext, needs_view: Callable[[str], bool]) -> Iterator[Views]:
    """Views of the targets `needs_view` picks, removed when the block ends."""
    wanted = [t for t in ctx.targets if needs_view(t)]
    if not wanted:
        yield Views({}, {}, (), {})
        return
    work = Path(tempfile.mkdtemp(prefix="secscan-views-"))
    try:
        targets: dict[str, str] = {}
        notebooks: dict[str, NotebookCode] = {}
        sources: dict[str, list[str]] = {}
        unreadable: list[NotAnalyzed] = []
        for n, t in enumerate(wanted):
            try:
                raw = (ctx.root / t).read_bytes()[:MAX_NOTEBOOK_BYTES]
                if is_notebook(t):
                    code = notebook_code(raw.decode("utf-8"))
                    notebooks[t] = code
                    text = code.source.encode("utf-8")
                    sources[t] = code.source.split("\n")
                else:
                    text = raw
            except (OSError, ValueError) as e:
                unreadable.append(NotAnalyzed(t, f"not a notebook Python can be read from: {e}"))
                continue
            # One folder per view keeps the target's name (rules may match on it).
            view = work / str(n) / (Path(t).name + ".py")
            write_atomic(view, text)
            targets[os.path.normpath(str(view))] = t
        yield Views(targets, notebooks, tuple(unreadable), sources)
    finally:
        shutil.rmtree(work, ignore_errors=True)
