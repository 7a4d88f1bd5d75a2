"""Merge saved results of sharded CI jobs or monorepo parts into one, keeping every run and error.

Findings are de-duplicated by fingerprint. Parts scanned from different roots are re-rooted at
their common directory: paths get the part's prefix and fingerprints are re-keyed exactly as a
scan of the common root would key them, so waivers and baselines keep matching.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from secscan.errors import UsageError
from secscan.model import fates, fingerprint
from secscan.model.decision import Decision
from secscan.model.findings import Finding, NotAnalyzed, ScannerRun, ScanResult
from secscan.model.results import SavedResults
from secscan.policy.judgement import combine, decide, judgement_of

#: A root no file can be under: re-keying never reads source files (snippets were kept).
_NO_FILES = Path("/dev/null/secscan-merge")
Remap = Callable[[str], str]
T = TypeVar("T")


def merge(parts: Sequence[SavedResults]) -> SavedResults:
    if not parts:
        raise UsageError("nothing to merge: give at least one results file")
    roots = [PurePosixPath(p.result.root) for p in parts]
    same_root = len(set(roots)) == 1
    common = roots[0] if same_root else PurePosixPath(_common_root([str(r) for r in roots]))
    rerooted = [p if same_root else _reroot(p, str(common)) for p in parts]

    merged = _merge_scans([p.result for p in rerooted], str(common))
    return SavedResults(merged, _merge_decisions(rerooted, same_root))


def _merge_runs(results: Sequence[ScanResult]) -> tuple[ScannerRun, ...]:
    """Every run of every part, each finding only in the first run that reported it."""
    seen: set[str] = set()
    runs: list[ScannerRun] = []
    for result in results:
        for run in result.runs:
            kept = []
            for f in run.findings:
                if f.fingerprint and f.fingerprint in seen:
                    continue
                seen.add(f.fingerprint)
                kept.append(f)
            runs.append(replace(run, findings=tuple(kept)))
    return tuple(runs)


def _merge_scans(results: Sequence[ScanResult], root: str) -> ScanResult:
    finished = [r.finished_at for r in results if r.finished_at is not None]
    commits = _distinct(r.git_commit for r in results)
    versions = _distinct(r.secscan_version for r in results)
    return ScanResult(
        root=root,
        started_at=min(r.started_at for r in results),
        finished_at=max(finished) if len(finished) == len(results) else None,
        secscan_version=versions[0] if len(versions) == 1 else " + ".join(versions),
        runs=_merge_runs(results),
        git_commit=commits[0] if len(commits) == 1 else None,
        not_analyzed=tuple(_distinct(n for r in results for n in r.not_analyzed)),
        excluded=tuple(_distinct(e for r in results for e in r.excluded)),
        fates=fates.merged([r.fates for r in results]),
        config_path=_one(r.config_path for r in results),
        metadata=_metadata(results, commits),
    )


def _metadata(
    results: Sequence[ScanResult], commits: Sequence[str | None]
) -> tuple[tuple[str, str], ...]:
    metadata = list(_distinct_pairs(m for r in results for m in r.metadata))
    metadata.append(("merged_from", str(len(results))))
    if len(commits) > 1:
        metadata.append(("git_commits", ",".join(c for c in commits if c)))
    return tuple(metadata)


def _one(values: Iterable[T]) -> T | None:
    """The value every part agrees on, else None."""
    found = _distinct(values)
    return found[0] if len(found) == 1 else None


def _common_root(roots: list[str]) -> str:
    if not all(PurePosixPath(r).is_absolute() for r in roots):
        raise UsageError(
            "results from different roots can only be merged when every root is absolute; got "
            + ", ".join(roots)
        )
    return posixpath.commonpath(roots)


def _reroot(part: SavedResults, common: str) -> SavedResults:
    """Prefix every path with the part's place under `common`, and re-key its fingerprints."""
    prefix = PurePosixPath(part.result.root).relative_to(common).as_posix()
    if prefix in ("", "."):
        return part

    def moved(path: str) -> str:
        return path if PurePosixPath(path).is_absolute() else f"{prefix}/{path}"

    mapping: dict[str, str] = {}
    runs = []
    for run in part.result.runs:
        shifted = [
            replace(f, location=replace(f.location, path=moved(f.location.path)))
            for f in run.findings
        ]
        rekeyed = fingerprint.assign(shifted, _NO_FILES)
        mapping.update(
            {
                old.fingerprint: new.fingerprint
                for old, new in zip(run.findings, rekeyed, strict=True)
            }
        )
        runs.append(
            replace(
                run,
                findings=rekeyed,
                not_analyzed=tuple(_moved_na(n, moved) for n in run.not_analyzed),
            )
        )
    result = replace(
        part.result,
        root=common,
        runs=tuple(runs),
        not_analyzed=tuple(_moved_na(n, moved) for n in part.result.not_analyzed),
        excluded=tuple(replace(e, path=moved(e.path)) for e in part.result.excluded),
        fates=None
        if part.result.fates is None
        else tuple(replace(f, path=moved(f.path)) for f in part.result.fates),
    )
    decision = _remap_decision(part.decision, lambda fp: mapping.get(fp, fp), moved)
    return SavedResults(result, decision)


def _moved_na(n: NotAnalyzed, moved: Remap) -> NotAnalyzed:
    return replace(n, path=moved(n.path))


def _remap_decision(d: Decision | None, fp: Remap, moved: Remap) -> Decision | None:
    if d is None:
        return None

    def fps(values: Iterable[str]) -> tuple[str, ...]:
        return tuple(fp(v) for v in values)

    return replace(
        d,
        reasons=tuple(replace(r, fingerprints=fps(r.fingerprints)) for r in d.reasons),
        controls=tuple(
            replace(
                c,
                fingerprints=fps(c.fingerprints),
                waived_fingerprints=fps(c.waived_fingerprints),
                failing_fingerprints=fps(c.failing_fingerprints),
            )
            for c in d.controls
        ),
        waivers=tuple(
            replace(
                w,
                fingerprints=fps(w.fingerprints),
                fingerprint=fp(w.fingerprint) if w.fingerprint else None,
                path=moved(w.path) if w.path else None,
            )
            for w in d.waivers
        ),
        new_fingerprints=fps(d.new_fingerprints) if d.new_fingerprints is not None else None,
        failing_fingerprints=fps(d.failing_fingerprints),
        unmapped_fingerprints=fps(d.unmapped_fingerprints),
    )


def _merge_decisions(parts: Sequence[SavedResults], same_root: bool) -> Decision | None:
    """Recover each judged part's step outputs, combine them step by step, derive again."""
    judged = [p for p in parts if p.decision is not None]
    if not judged:
        return None
    return decide(
        combine(
            [judgement_of(p.decision) for p in judged if p.decision is not None],
            [tuple(f.fingerprint for f in _findings(p.result)) for p in judged],
            same_root=same_root,
            unjudged=len(parts) - len(judged),
        )
    )


def _findings(result: ScanResult) -> Iterable[Finding]:
    return (f for r in result.runs for f in r.findings)


def _distinct(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


def _distinct_pairs(values: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(values))
