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

from secscan import fingerprint
from secscan.errors import UsageError
from secscan.findings import Finding, NotAnalyzed, ScannerRun, ScanResult, Severity
from secscan.policy.decision import (
    ControlResult,
    ControlState,
    Decision,
    Outcome,
    Reason,
    WaiverRecord,
)
from secscan.results import SavedResults

#: A root no file can be under: re-keying never reads source files (snippets were kept).
_NO_FILES = Path("/dev/null/secscan-merge")
#: Across shards of one tree, any shard's evidence assesses a control.
_SHARD_ORDER = (
    ControlState.FAIL,
    ControlState.WAIVED,
    ControlState.PASS,
    ControlState.NOT_ASSESSED,
)
#: Across different trees, a part that was not assessed keeps the whole from passing.
_PARTS_ORDER = (
    ControlState.FAIL,
    ControlState.NOT_ASSESSED,
    ControlState.WAIVED,
    ControlState.PASS,
)

Remap = Callable[[str], str]
T = TypeVar("T")


def merge(parts: Sequence[SavedResults]) -> SavedResults:
    if not parts:
        raise UsageError("nothing to merge: give at least one results file")
    roots = [PurePosixPath(p.result.root) for p in parts]
    same_root = len(set(roots)) == 1
    common = roots[0] if same_root else PurePosixPath(_common_root([str(r) for r in roots]))
    rerooted = [p if same_root else _reroot(p, str(common)) for p in parts]

    seen: set[str] = set()
    runs: list[ScannerRun] = []
    for part in rerooted:
        for run in part.result.runs:
            kept = []
            for f in run.findings:
                if f.fingerprint and f.fingerprint in seen:
                    continue
                seen.add(f.fingerprint)
                kept.append(f)
            runs.append(replace(run, findings=tuple(kept)))

    results = [p.result for p in rerooted]
    finished = [r.finished_at for r in results if r.finished_at is not None]
    commits = _distinct(r.git_commit for r in results)
    versions = _distinct(r.secscan_version for r in results)
    configs = _distinct(r.config_path for r in results)
    metadata = list(_distinct_pairs(m for r in results for m in r.metadata))
    metadata.append(("merged_from", str(len(parts))))
    if len(commits) > 1:
        metadata.append(("git_commits", ",".join(c for c in commits if c)))
    merged = ScanResult(
        root=str(common),
        started_at=min(r.started_at for r in results),
        finished_at=max(finished) if len(finished) == len(results) else None,
        secscan_version=versions[0] if len(versions) == 1 else " + ".join(versions),
        runs=tuple(runs),
        git_commit=commits[0] if len(commits) == 1 else None,
        not_analyzed=tuple(_distinct(n for r in results for n in r.not_analyzed)),
        excluded=tuple(_distinct(e for r in results for e in r.excluded)),
        config_path=configs[0] if len(configs) == 1 else None,
        metadata=tuple(metadata),
    )
    return SavedResults(merged, _merge_decisions(rerooted, same_root))


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
    decisions = [p.decision for p in parts]
    present = [d for d in decisions if d is not None]
    if not present:
        return None
    reasons = list(_distinct(r for d in present for r in d.reasons))
    unjudged = sum(1 for d in decisions if d is None)
    if unjudged:
        # Fail closed: a part nobody judged cannot let the whole pass.
        reasons.append(
            Reason("merge-unjudged", f"{unjudged} merged part(s) carry no gate decision")
        )
    warnings = list(_distinct(w for d in present for w in d.warnings))
    profiles = _distinct(d.profile for d in present)
    if len(profiles) > 1:
        warnings.append(f"merged parts were judged with different profiles: {', '.join(profiles)}")
    if not same_root:
        warnings.append(
            "merged parts were scanned from different roots: a control counts as assessed only "
            "where every part assessed it"
        )
    new: tuple[str, ...] | None = None
    if any(d.new_fingerprints is not None for d in present):
        collected: list[str] = []
        for part in parts:
            d = part.decision
            if d is not None and d.new_fingerprints is not None:
                collected += d.new_fingerprints
            else:  # judged without a baseline: everything in it is new
                collected += [f.fingerprint for f in _findings(part.result)]
        new = tuple(dict.fromkeys(collected))
    failed = any(not d.passed for d in present) or bool(reasons)
    return Decision(
        outcome=Outcome.FAIL if failed else Outcome.PASS,
        profile=" + ".join(profiles),
        evaluated_at=max(d.evaluated_at for d in present),
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        controls=_merge_controls([c for d in present for c in d.controls], same_root),
        waivers=_merge_waivers([w for d in present for w in d.waivers]),
        new_fingerprints=new,
        baseline=" + ".join(b for b in _distinct(d.baseline for d in present) if b) or None,
        report_threshold=min(
            (_severity(d.report_threshold) for d in present), key=lambda s: s.rank
        ).value,
        frameworks=tuple(_distinct(f for d in present for f in d.frameworks)),
        framework_records=tuple(
            {r.id: r for d in reversed(present) for r in d.framework_records}.values()
        ),
        rules=tuple({r.id: r for d in reversed(present) for r in d.rules}.values()),
        failing_fingerprints=tuple(_distinct(f for d in present for f in d.failing_fingerprints)),
        unmapped_fingerprints=tuple(_distinct(f for d in present for f in d.unmapped_fingerprints)),
        inline_suppressions=_sum_pairs(p for d in present for p in d.inline_suppressions),
        honoured_suppressions=tuple(_distinct(f for d in present for f in d.honoured_suppressions)),
        tolerated_errors=tuple(_distinct(s for d in present for s in d.tolerated_errors)),
        policy_sources=tuple(_distinct(s for d in present for s in d.policy_sources)),
        policy_dir=_same(d.policy_dir for d in present),
        waivers_file=_same(d.waivers_file for d in present),
        fail_on_override=_same(d.fail_on_override for d in present),
    )


def _merge_controls(controls: list[ControlResult], same_root: bool) -> tuple[ControlResult, ...]:
    order = _SHARD_ORDER if same_root else _PARTS_ORDER
    groups: dict[tuple[str, str], list[ControlResult]] = {}
    for c in controls:
        groups.setdefault((c.framework, c.control_id), []).append(c)
    merged = []
    for group in groups.values():
        first = group[0]
        state = min((c.state for c in group), key=order.index)
        merged.append(
            replace(
                first,
                state=state,
                fingerprints=tuple(_distinct(f for c in group for f in c.fingerprints)),
                waived_fingerprints=tuple(
                    _distinct(f for c in group for f in c.waived_fingerprints)
                ),
                failing_fingerprints=tuple(
                    _distinct(f for c in group for f in c.failing_fingerprints)
                ),
                scanners=tuple(sorted({s for c in group for s in c.scanners})),
                mapping_rules=tuple(_distinct(r for c in group for r in c.mapping_rules)),
                evidenced_by=tuple(_distinct(k for c in group for k in c.evidenced_by)),
                note="; ".join(_distinct(c.note for c in group if c.state is state and c.note)),
            )
        )
    return tuple(merged)


def _merge_waivers(waivers: list[WaiverRecord]) -> tuple[WaiverRecord, ...]:
    groups: dict[tuple[str, str | None], list[WaiverRecord]] = {}
    for w in waivers:
        groups.setdefault((w.id, w.origin), []).append(w)
    return tuple(
        replace(
            g[0],
            fingerprints=tuple(_distinct(f for w in g for f in w.fingerprints)),
            expired=any(w.expired for w in g),
        )
        for g in groups.values()
    )


def _findings(result: ScanResult) -> Iterable[Finding]:
    return (f for r in result.runs for f in r.findings)


def _severity(word: str) -> Severity:
    w = word.strip().lower()
    return Severity(w) if w in Severity._value2member_map_ else Severity.INFO


def _sum_pairs(pairs: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    totals: dict[str, int] = {}
    for k, n in pairs:
        totals[k] = totals.get(k, 0) + n
    return tuple(sorted(totals.items()))


def _same(values: Iterable[str | None]) -> str | None:
    found = _distinct(values)
    return found[0] if len(found) == 1 else None


def _distinct(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


def _distinct_pairs(values: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(values))
