"""Scan what changed since a git revision, and that revision's merge base for comparison.

A finding is new when the merge base of the branch and `--new-since REF` did not have it:
the merge base is checked out with `git worktree`, scanned with the same config, and its
findings become the baseline (fingerprint and occurrence count, like a baseline file).
Both sides are scanned the same incremental way, so they compare like with like:

* file-local scanners (each file's findings depend on that file alone) read only the files
  changed since the merge base;
* any other scanner runs over the whole tree, and only when a file it reads changed: with
  the same files, the same tools and the same config, it cannot have found anything new.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from secscan import __version__, scanners
from secscan.errors import UsageError
from secscan.model import fates, fingerprint
from secscan.model.findings import (
    Excluded,
    Fate,
    NotAnalyzed,
    RunStatus,
    ScannerRun,
    ScanResult,
)
from secscan.model.redact import mask_name
from secscan.policy.baseline import Baseline, BaselineEntry
from secscan.scan import pipeline
from secscan.scanners.base import Scanner, ScanRequest
from secscan.scanners.base import file_local as shardable
from secscan.scanners.registry import ScannerRegistry
from secscan.settings import trust
from secscan.settings.config import Config
from secscan.workspace import scopes, vcs
from secscan.workspace.discovery import default_exclusion, discover, python_scripts

Progress = pipeline.Progress | None


@dataclass(frozen=True)
class Plan:
    """Which scanners run on which files, on both sides."""

    #: Scanners whose findings are per file: given only the changed files.
    file_local: tuple[str, ...]
    #: Scanners that read the whole tree, because a file they read changed.
    whole_tree: tuple[str, ...]
    #: Scanners with nothing to do: no file they read changed.
    untouched: tuple[Scanner, ...]
    #: Changed files under the scan root, relative to it.
    changed: tuple[str, ...]


@dataclass(frozen=True)
class Since:
    """The current scan, and what the merge base already had."""

    result: ScanResult
    baseline: Baseline
    ref: str
    base_commit: str
    changed: tuple[str, ...]
    #: Things the reader must know: a scanner that failed on the merge base, for instance.
    warnings: tuple[str, ...] = ()
    #: Files of the change that claimed a scope the merge base never gave their place.
    reclassified: tuple[trust.Weakening, ...] = ()


def plan(
    selected: Sequence[Scanner], changed: Sequence[str], request: ScanRequest | None = None
) -> Plan:
    request = request or ScanRequest(explicit_files=True)
    file_local: list[str] = []
    whole: list[str] = []
    untouched: list[Scanner] = []
    for s in selected:
        if not s.select(changed, request):
            untouched.append(s)
        elif shardable(s) is not None:
            file_local.append(s.name)
        else:
            whole.append(s.name)
    return Plan(tuple(file_local), tuple(whole), tuple(untouched), tuple(changed))


@dataclass(frozen=True)
class Change:
    """`--new-since REF`: the git top level and the merge base, computed once, and the merge
    base exported (its top level) for as long as the run needs it."""

    ref: str
    top: Path
    #: The merge base's commit.
    base: str
    #: Where the merge base is exported: its top level.
    tree: Path
    #: The scan root relative to the top level.
    sub: Path


@contextmanager
def change_since(root: Path, ref: str) -> Iterator[Change]:
    """The merge base of HEAD and `ref`, exported with `git worktree` until the block ends."""
    root = root.resolve()
    top = vcs.toplevel(root)
    if top is None:
        raise UsageError(f"--new-since needs a git work tree; {root} is not in one")
    base = vcs.merge_base(top, ref)
    with vcs.checkout(top, base) as tree:
        yield Change(ref, top, base, tree, root.relative_to(top))


def scan_since(
    root: Path,
    config: Config,
    change: Change,
    *,
    scanner_names: Sequence[str] | None = None,
    clock: pipeline.Clock = pipeline.utcnow,
    use_cache: bool = True,
    progress: Progress = None,
    registry: ScannerRegistry | None = None,
) -> Since:
    """The files changed since the merge base scanned on both sides (see the module doc)."""
    root = root.resolve()
    changed, renamed = _changed_files(change)
    registry = registry or scanners.installed()
    selected = pipeline.select(registry, scanner_names, config)
    scripts = python_scripts(root, changed)
    the_plan = plan(selected, changed, ScanRequest(explicit_files=True, python_scripts=scripts))
    base_root = change.tree / change.sub
    # The head's files are classified as the merge base decides: a file the change added or
    # changed is non-gating only where the base already had that place so.
    classifier = trusted_classifier(root, config, base_root, changed)
    head = _scan_side(
        root,
        config,
        the_plan,
        changed,
        clock,
        use_cache,
        progress,
        classifier,
        changed,
        registry=registry,
    )
    for f in discover(root, config, [str(root / p) for p in changed]).files:
        classifier.scope(f)
    was_at = {new: old for old, new in renamed.items()}
    present = tuple(p for p in (was_at.get(p, p) for p in changed) if (base_root / p).is_file())
    old = _scan_side(
        base_root, config, the_plan, present, clock, use_cache, None, registry=registry
    )
    # A moved file keeps its findings: key the merge base's under their new path.
    old = [_moved(part, renamed, base_root) for part in old] if renamed else old
    attempts = {p: (s.value, cause) for p, (s, cause) in classifier.attempts.items()}
    attempts.update(_planted_markers(root, base_root, changed))

    skipped = _untouched_runs(root, config, the_plan, change)
    result = _merge(root, clock, head, skipped, [s.name for s in selected])
    result = _with_fates(result, head, changed)
    baseline = Baseline.from_findings(
        (f for part in old for f in part.findings),
        f"merge base {change.base} of {mask_name(change.ref)}",
    )
    return Since(
        result,
        baseline,
        change.ref,
        change.base,
        changed,
        _base_failures(old, change.base),
        trust.reclassifications(attempts),
    )


def _changed_files(change: Change) -> tuple[tuple[str, ...], dict[str, str]]:
    """Paths under the scan root changed since the merge base, relative to the root; and the
    path each renamed one had at the merge base (old -> new)."""
    renamed: dict[str, str] = {}
    changed: list[str] = []
    for path, previous in vcs.changed_files(change.top, change.base).items():
        rel = _under(path, change.sub)
        if rel is None:
            continue
        changed.append(rel)
        old_rel = _under(previous, change.sub) if previous else None
        if old_rel is not None:
            renamed[old_rel] = rel
    return tuple(changed), renamed


def _untouched_runs(root: Path, config: Config, the_plan: Plan, change: Change) -> list[ScannerRun]:
    """A skipped run for each scanner none of whose files changed, saying why."""
    everything = discover(root, config).files if the_plan.untouched else ()
    request = ScanRequest(explicit_files=True)
    return [
        ScannerRun(
            scanner=s.name,
            kind=s.kind,
            status=RunStatus.SKIPPED,
            error=f"no file it reads changed since {mask_name(change.ref)} "
            f"(merge base {change.base[:12]})"
            if s.select(everything, request)
            else "nothing to scan: no files this scanner reads were found",
        )
        for s in the_plan.untouched
    ]


def _base_failures(old: Sequence[ScanResult], base: str) -> tuple[str, ...]:
    return tuple(
        f"scanner {r.scanner} failed on the merge base {base[:12]}, so every finding it "
        f"reports now counts as new ({r.error or 'no detail'})"
        for part in old
        for r in part.runs
        if r.status is RunStatus.ERROR
    )


def trusted_classifier(
    root: Path, config: Config, base_root: Path, changed: Sequence[str]
) -> scopes.Classifier:
    """How the head's files get their scope in `ci --new-since`: the merge base decides for
    every file the change added or changed (see scopes.Trust); scope follows use."""
    return scopes.Classifier(
        root,
        config.scopes,
        tree=lambda: discover(root, config).files,
        trust=scopes.Trust(base_root, changed, config.scopes),
    )


def _planted_markers(
    root: Path, base_root: Path, changed: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """Folders holding a changed file that a marker calls a virtualenv, cache, installed
    packages, ... where the merge base had no such marker: the marker no longer hides
    tracked files, but planting one is an attempt to, and is named."""
    out: dict[str, tuple[str, str]] = {}
    # Untracked files (a virtualenv a CI step made) are left out by the marker, as ever.
    tracking = vcs.tracking(root)
    tracked = [p for p in changed if tracking is None or tracking.tracks(p)]
    folders = {str(Path(p).parents[i]) for p in tracked for i in range(len(Path(p).parts) - 1)}
    for folder in sorted(folders):
        reason = default_exclusion(root / folder)
        if reason is None or default_exclusion(base_root / folder) is not None:
            continue
        out[folder] = ("excluded", reason)
    return out


def _with_fates(
    result: ScanResult, parts: Sequence[ScanResult], changed: Sequence[str]
) -> ScanResult:
    """The merged result with the changed files' fates (every scanner's say on each) and
    the list of changed files the gate holds unanalyzed ones against. Each part recorded
    the changed files under their masked names (a file named after a credential), as it
    masked its fates; those names are the ones matched and kept."""
    named = [p for part in parts for p in part.changed or ()]
    changed = tuple(dict.fromkeys(named)) if named else tuple(changed)
    mine = set(changed)
    kept = {
        f.path: f
        for p in parts
        for f in p.fates or ()
        if f.path in mine and f.fate is not Fate.EXCLUDED
    }
    scripts = [p for p, f in kept.items() if f.file_type == "#!python"]
    return replace(result, fates=fates.assign(result, kept, scripts), changed=tuple(changed))


def _under(path: str, sub: Path) -> str | None:
    """`path` (relative to the git top level) relative to the scan root, or None outside it."""
    if not sub.parts:
        return path
    p = Path(path)
    return p.relative_to(sub).as_posix() if p.is_relative_to(sub) else None


def _moved(part: ScanResult, renamed: dict[str, str], root: Path) -> ScanResult:
    """Findings in renamed files under their new path, fingerprinted again: a fingerprint
    includes the path, and moving a file must not make its old findings look new.
    """
    runs = []
    for run in part.runs:
        if not any(f.location.path in renamed for f in run.findings):
            runs.append(run)
            continue
        moved = [
            replace(f, location=replace(f.location, path=renamed[f.location.path]))
            if f.location.path in renamed
            else f
            for f in run.findings
        ]
        runs.append(replace(run, findings=fingerprint.assign(moved, root)))
    return replace(part, runs=tuple(runs))


def _scan_side(
    root: Path,
    config: Config,
    the_plan: Plan,
    files: Sequence[str],
    clock: pipeline.Clock,
    use_cache: bool,
    progress: Progress,
    classifier: scopes.Classifier | None = None,
    changed: Sequence[str] | None = None,
    registry: ScannerRegistry | None = None,
) -> list[ScanResult]:
    parts = []
    if the_plan.file_local and files:
        parts.append(
            pipeline.scan(
                root,
                config,
                scanner_names=the_plan.file_local,
                files=[str(root / f) for f in files],
                clock=clock,
                use_cache=use_cache,
                progress=progress,
                classifier=classifier,
                changed=changed,
                registry=registry,
            )
        )
    if the_plan.whole_tree:
        parts.append(
            pipeline.scan(
                root,
                config,
                scanner_names=the_plan.whole_tree,
                clock=clock,
                use_cache=use_cache,
                progress=progress,
                classifier=classifier,
                changed=changed,
                registry=registry,
            )
        )
    return parts


def _merge(
    root: Path,
    clock: pipeline.Clock,
    parts: Sequence[ScanResult],
    skipped: Sequence[ScannerRun],
    order: Sequence[str],
) -> ScanResult:
    """One result from the per-group scans, runs in the configured scanner order."""
    runs: dict[str, ScannerRun] = {r.scanner: r for p in parts for r in p.runs}
    for r in skipped:
        runs.setdefault(r.scanner, r)
    ordered = tuple(runs[n] for n in order if n in runs)
    if not parts:
        now = clock()
        return ScanResult(
            root=str(root),
            started_at=now,
            finished_at=now,
            secscan_version=__version__,
            runs=ordered,
            git_commit=pipeline.git_commit(root),
        )
    finished = [p.finished_at for p in parts if p.finished_at is not None]
    return replace(
        parts[0],
        started_at=min(p.started_at for p in parts),
        finished_at=max(finished) if finished else None,
        runs=ordered,
        not_analyzed=_union(n for p in parts for n in p.not_analyzed),
        excluded=_union(e for p in parts for e in p.excluded),
    )


_Placed = TypeVar("_Placed", NotAnalyzed, Excluded)


def _union(items: Iterable[_Placed]) -> tuple[_Placed, ...]:
    """Each (path, reason) once, sorted by it."""
    by_key = {(i.path, i.reason): i for i in items}
    return tuple(by_key[k] for k in sorted(by_key))


def merge_baselines(*baselines: Baseline | None) -> Baseline | None:
    """Accept what any of them accepts, never more of one fingerprint than the most generous."""
    given = [b for b in baselines if b is not None]
    if not given:
        return None
    if len(given) == 1:
        return given[0]
    # Per fingerprint, the entries of the baseline that accepts the most of it (with their
    # scopes: a test-scope entry must not start accepting the finding in source).
    best: dict[str, tuple[int, list[BaselineEntry]]] = {}
    for b in given:
        grouped: dict[str, list[BaselineEntry]] = {}
        for e in b.entries:
            grouped.setdefault(e.fingerprint, []).append(e)
        for fp, entries in grouped.items():
            total = b.counts[fp]
            if fp not in best or best[fp][0] < total:
                best[fp] = (total, entries)
    return Baseline(
        tuple(e for _, entries in best.values() for e in entries),
        " + ".join(b.source for b in given),
    )
