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

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from secscan import __version__, fingerprint, pipeline, scanners, vcs
from secscan.config import Config
from secscan.discovery import discover
from secscan.errors import UsageError
from secscan.findings import RunStatus, ScannerRun, ScanResult
from secscan.policy.baseline import Baseline, BaselineEntry
from secscan.redact import mask_name
from secscan.scanners.base import Scanner, ScanRequest

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
        elif getattr(s, "file_local", False):
            file_local.append(s.name)
        else:
            whole.append(s.name)
    return Plan(tuple(file_local), tuple(whole), tuple(untouched), tuple(changed))


def scan_since(
    root: Path,
    config: Config,
    ref: str,
    *,
    scanner_names: Sequence[str] | None = None,
    clock: pipeline.Clock = pipeline.utcnow,
    use_cache: bool = True,
    progress: Progress = None,
    base_tree: Path | None = None,
) -> Since:
    """`base_tree`: the merge base already exported (its top level), when the caller has it."""
    root = root.resolve()
    top = vcs.toplevel(root)
    if top is None:
        raise UsageError(f"--new-since needs a git work tree; {root} is not in one")
    base = vcs.merge_base(top, ref)
    sub = root.relative_to(top)
    # Paths under the scan root, relative to it; with the path each had at the merge base.
    renamed: dict[str, str] = {}
    changed_list: list[str] = []
    for path, previous in vcs.changed_files(top, base).items():
        rel = _under(path, sub)
        if rel is None:
            continue
        changed_list.append(rel)
        old_rel = _under(previous, sub) if previous else None
        if old_rel is not None:
            renamed[old_rel] = rel
    changed = tuple(changed_list)
    names = list(scanner_names) if scanner_names else config.scanners
    selected = scanners.build(list(names) if names is not None else None)
    the_plan = plan(selected, changed)
    order = [s.name for s in selected]

    head = _scan_side(root, config, the_plan, changed, clock, use_cache, progress)
    was_at = {new: old for old, new in renamed.items()}
    exported = nullcontext(base_tree) if base_tree is not None else vcs.checkout(top, base)
    with exported as tree:
        base_root = tree / sub
        was = (was_at.get(p, p) for p in changed)
        present = tuple(p for p in was if (base_root / p).is_file())
        old = _scan_side(base_root, config, the_plan, present, clock, use_cache, None)
        # A moved file keeps its findings: key the merge base's under their new path.
        old = [_moved(part, renamed, base_root) for part in old] if renamed else old

    everything = discover(root, config).files if the_plan.untouched else ()
    request = ScanRequest(explicit_files=True)
    skipped = [
        ScannerRun(
            scanner=s.name,
            kind=s.kind,
            status=RunStatus.SKIPPED,
            error=f"no file it reads changed since {mask_name(ref)} (merge base {base[:12]})"
            if s.select(everything, request)
            else "nothing to scan: no files this scanner reads were found",
        )
        for s in the_plan.untouched
    ]
    result = _merge(root, clock, head, skipped, order)
    warnings = tuple(
        f"scanner {r.scanner} failed on the merge base {base[:12]}, so every finding it "
        f"reports now counts as new ({r.error or 'no detail'})"
        for part in old
        for r in part.runs
        if r.status is RunStatus.ERROR
    )
    baseline = Baseline.from_findings(
        (f for part in old for f in part.findings), f"merge base {base} of {mask_name(ref)}"
    )
    return Since(result, baseline, ref, base, changed, warnings)


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
    real = list(parts)
    runs: dict[str, ScannerRun] = {r.scanner: r for p in parts for r in p.runs}
    for r in skipped:
        runs.setdefault(r.scanner, r)
    if not real:
        now = clock()
        return ScanResult(
            root=str(root),
            started_at=now,
            finished_at=now,
            secscan_version=__version__,
            runs=tuple(runs[n] for n in order if n in runs),
            git_commit=pipeline.git_commit(root),
        )
    first = real[0]
    finished = [p.finished_at for p in real if p.finished_at is not None]
    not_analyzed = {(n.path, n.reason): n for p in real for n in p.not_analyzed}
    excluded = {(e.path, e.reason): e for p in real for e in p.excluded}
    return replace(
        first,
        started_at=min(p.started_at for p in real),
        finished_at=max(finished) if finished else None,
        runs=tuple(runs[n] for n in order if n in runs),
        not_analyzed=tuple(not_analyzed[k] for k in sorted(not_analyzed)),
        excluded=tuple(excluded[k] for k in sorted(excluded)),
    )


def merge_baselines(*baselines: Baseline | None) -> Baseline | None:
    """Accept what any of them accepts, never more of one fingerprint than the most generous."""
    given = [b for b in baselines if b is not None]
    if not given:
        return None
    if len(given) == 1:
        return given[0]
    best: dict[str, BaselineEntry] = {}
    for b in given:
        for e in b.entries:
            have = best.get(e.fingerprint)
            total = b.counts[e.fingerprint]
            if have is None or have.count < total:
                best[e.fingerprint] = replace(e, count=total)
    return Baseline(tuple(best.values()), " + ".join(b.source for b in given))
