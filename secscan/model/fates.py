"""Every file's one fate in a scan: analyzed, excluded, not analyzed, or outside coverage.

A file is exactly one of them, decided in this order:

* not analyzed: a selected scanner should have read it and could not (discovery left it out
  as too large or undecodable, the tool reported it unparsable or out of time, ignored it,
  or failed as a whole);
* excluded: a config or default exclusion left it out (a directory stands for every file
  below it), on a named authority. A vendored or minified file the code scanners skip is
  excluded even where the secret scanner still read it (`scanners` says who did);
* outside coverage: no selected scanner reads its type, or the scanners of a kind that were
  handed it have no rule for it and no other scanner of that kind read it (semgrep's pack
  holds no shell rule: a `.sh` file is outside code coverage even though the secret
  scanner read it);
* analyzed: read by the scanners named.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from secscan.model.findings import (
    Excluded,
    Fate,
    FileFate,
    FindingKind,
    RunStatus,
    ScannerRun,
    ScanResult,
)

#: The file type coverage lists for a file without a suffix.
NO_EXTENSION = "(no extension)"


def file_type(path: str, python_by_content: bool = False) -> str:
    """The type coverage lists a file under: its lower-case suffix (`.sh`), `#!python` for
    a script recognised as Python by its shebang, else `(no extension)`."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name.lstrip(".")).suffix.lower()
    if suffix:
        return suffix
    return "#!python" if python_by_content else NO_EXTENSION


@dataclass(slots=True)
class _Reads:
    """What the runs of a result say about each file."""

    #: path -> the scanners that read it.
    analyzed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: path -> why a scanner could not read it.
    failed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: path -> (scanner, kind, why) of each scanner that has no rule for it.
    uncovered: dict[str, list[tuple[str, FindingKind, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: path -> the kinds of scanner that read it.
    kinds_read: dict[str, set[FindingKind]] = field(default_factory=lambda: defaultdict(set))

    def add(self, run: ScannerRun) -> None:
        if run.status is RunStatus.SKIPPED:
            return
        if run.status is RunStatus.ERROR:
            why = f"{run.scanner} failed: {(run.error or 'scanner error').splitlines()[0]}"
            for p in run.paths:
                self.failed[p].append(why)
            return
        gaps = {n.path for n in run.not_analyzed if n.uncovered}
        bad: dict[str, str] = {}
        for n in run.not_analyzed:
            if n.uncovered:
                self.uncovered[n.path].append((run.scanner, run.kind, n.reason))
            else:
                bad.setdefault(n.path, n.reason)
        for p, reason in bad.items():
            named = reason if reason.startswith(run.scanner) else f"{run.scanner}: {reason}"
            self.failed[p].append(named)
        for p in run.paths:
            if p not in bad and p not in gaps:
                self.analyzed[p].append(run.scanner)
                self.kinds_read[p].add(run.kind)

    def gaps(self, path: str) -> list[str] | None:
        """The scanners of a kind no other scanner read `path` for ([] when none read it);
        None when it is covered."""
        by = self.analyzed.get(path, ())
        uncovered = self.uncovered.get(path, ())
        if by and all(k in self.kinds_read[path] for _, k, _ in uncovered):
            return None
        return [s for s, k, _ in uncovered if k not in self.kinds_read[path]]

    def gap_reasons(self, path: str, gap: Collection[str]) -> list[str]:
        """What the scanners of `gap` said of `path`, each named by its scanner."""
        return [
            why if why.startswith(s) else f"{s}: {why}"
            for s, _, why in self.uncovered.get(path, ())
            if s in gap and why
        ]


def assign(
    result: ScanResult, files: Iterable[str], python: Collection[str] = ()
) -> tuple[FileFate, ...]:
    """The fates of `files` (every file discovery kept) and of every excluded path, from
    the runs of `result`. `python`: files recognised as Python by their content."""
    reads = _Reads()
    for run in result.runs:
        reads.add(run)
    skipped = {n.path: n.reason for n in result.not_analyzed}
    excluded_files = {e.path: e for e in result.excluded}
    out = [
        _fate(path, file_type(path, path in python), reads, skipped, excluded_files)
        for path in sorted({*files, *skipped})
    ]
    listed = {f.path for f in out}
    root = Path(result.root)
    out.extend(_excluded(root, e) for path, e in excluded_files.items() if path not in listed)
    return tuple(sorted(out, key=lambda f: f.path))


def _fate(
    path: str,
    kind: str,
    reads: _Reads,
    skipped: Mapping[str, str],
    excluded_files: Mapping[str, Excluded],
) -> FileFate:
    """A kept file's fate, in the order the module docstring gives."""
    by = tuple(reads.analyzed.get(path, ()))
    if path in skipped or path in reads.failed:
        reasons = ([skipped[path]] if path in skipped else []) + reads.failed.get(path, [])
        return FileFate(path, Fate.NOT_ANALYZED, by, "; ".join(reasons), file_type=kind)
    if path in excluded_files:
        e = excluded_files[path]
        return FileFate(path, Fate.EXCLUDED, by, e.reason, authority=e.authority, file_type=kind)
    gap = reads.gaps(path)
    if gap is not None:
        said = reads.gap_reasons(path, gap)
        if said:
            why = "; ".join(said)
        elif gap:
            why = f"no rule of {', '.join(gap)} reads {kind} files"
        else:
            why = f"no selected scanner reads {kind} files"
        return FileFate(path, Fate.OUTSIDE_COVERAGE, by, why, file_type=kind)
    return FileFate(path, Fate.ANALYZED, by, file_type=kind)


def _excluded(root: Path, e: Excluded) -> FileFate:
    """An excluded path discovery did not keep: a file, or a folder standing for its files."""
    folder = os.path.isdir(root / e.path) and not os.path.islink(root / e.path)
    return FileFate(
        e.path,
        Fate.EXCLUDED,
        (),
        e.reason,
        authority=e.authority,
        file_type="" if folder else file_type(e.path),
        directory=folder,
    )


def counts(fates: Iterable[FileFate]) -> dict[Fate, int]:
    """How many entries have each fate (every fate present, zero or not)."""
    out = dict.fromkeys(Fate, 0)
    for f in fates:
        out[f.fate] += 1
    return out


def gaps_by_type(fates: Iterable[FileFate]) -> dict[str, list[str]]:
    """Files outside coverage, by file type."""
    out: dict[str, list[str]] = defaultdict(list)
    for f in fates:
        if f.fate is Fate.OUTSIDE_COVERAGE:
            out[f.file_type].append(f.path)
    return dict(sorted(out.items()))


#: Which fate a merged file keeps when parts disagree: the least reassuring.
_WORST = (Fate.NOT_ANALYZED, Fate.EXCLUDED, Fate.OUTSIDE_COVERAGE, Fate.ANALYZED)


def merged(parts: Sequence[tuple[FileFate, ...] | None]) -> tuple[FileFate, ...] | None:
    """The fates of several results of one tree (`report --merge`): a file two parts name
    keeps the least reassuring fate, with every scanner that read it; None when a part
    recorded none (its files' fates are unknown)."""
    if not parts or any(p is None for p in parts):
        return None
    by_path: dict[str, FileFate] = {}
    for part in parts:
        for f in part or ():
            have = by_path.get(f.path)
            if have is None:
                by_path[f.path] = f
                continue
            keep = min(have, f, key=lambda x: _WORST.index(x.fate))
            scanners = tuple(dict.fromkeys((*have.scanners, *f.scanners)))
            by_path[f.path] = replace(keep, scanners=scanners)
    return tuple(by_path[p] for p in sorted(by_path))
