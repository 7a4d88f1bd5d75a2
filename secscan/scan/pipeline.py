"""scan(): discover files, run the scanners side by side, and gather one ScanResult."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TypeVar

from secscan import __version__, scanners
from secscan.advisories import exploits
from secscan.advisories import service as advisory_service
from secscan.errors import ScannerError, ToolError, ToolLockMismatch, UsageError
from secscan.model import fates, fingerprint
from secscan.model.findings import (
    Authority,
    Excluded,
    FindingKind,
    RunStatus,
    ScannerRun,
    ScanResult,
)
from secscan.model.redact import Redactor
from secscan.model.targets import census
from secscan.scan import cache as cached
from secscan.scan import flaws, reachability, shellproof
from secscan.scan.cache import ResultCache
from secscan.scanners.base import (
    FileLocal,
    ScanContext,
    Scanner,
    ScanOutcome,
    ScanRequest,
    cacheable,
    check_lock,
    file_local,
    identity_if_found,
)
from secscan.scanners.registry import ScannerRegistry
from secscan.settings import toollock
from secscan.settings.config import Config
from secscan.settings.toollock import ToolLock
from secscan.util.cachedir import default_dir as default_cache_dir
from secscan.util.cachedir import refuse_inside
from secscan.util.tooldigest import ToolIdentity
from secscan.workspace import scopes, vcs
from secscan.workspace.discovery import FileSet, discover

Clock = Callable[[], datetime]


class Phase(StrEnum):
    STARTED = "started"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    scanner: str
    phase: Phase
    run: ScannerRun | None = None


Progress = Callable[[ProgressEvent], None]


#: Only these kinds of finding come from advisory data; the source is recorded on their runs.
_ADVISORY_KINDS = (FindingKind.DEPENDENCY, FindingKind.IMAGE)


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


#: Peak memory one scanner's process tree may need (semgrep on a Django-size tree: ~0.7 GiB).
SCANNER_MEMORY_BYTES = 1 << 30


def memory_slots(per_scanner: int = SCANNER_MEMORY_BYTES) -> int:
    """How many scanners fit side by side in the memory available now (at least one), so a
    small CI runner queues scanners instead of swapping or meeting the OOM killer."""
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return max(1, int(line.split()[1]) * 1024 // per_scanner)
    except (OSError, ValueError, IndexError):
        pass
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2
    return max(1, free // per_scanner)


def scan(
    root: Path,
    config: Config,
    *,
    scanner_names: Sequence[str] | None = None,
    files: Sequence[str] | None = None,
    request: ScanRequest | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    classifier: scopes.Classifier | None = None,
    changed: Sequence[str] | None = None,
    registry: ScannerRegistry | None = None,
) -> ScanResult:
    """Run every selected scanner over root; a scanner that fails is an error run, never clean.

    `classifier`: how files get their scope (`ci --new-since` passes one that the merge base
    decides); by default the config's globs and the conventions, scope following use.
    `changed`: the files the change under review adds or changes (`ci --new-since`), recorded
    on the result before the final redaction pass, so their names are masked as every other
    name of the run is. `registry`: the scanners to build from (the process's installed ones
    when not handed one).
    """
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"scan root {root} is not a directory")
    request = request or ScanRequest(explicit_files=files is not None)
    started = clock()
    registry = registry or scanners.installed()
    selected = select(registry, scanner_names, config)
    fileset = discover(root, config, files)
    if classifier is None:
        classifier = _classifier(root, config, fileset.files if files is None else None)
    cache = _cache(config, use_cache, cache_dir, root)
    # Scripts whose shebang names Python are Python to the scanners that read Python.
    request = replace(request, python_scripts=frozenset(fileset.python_scripts))
    skipped, plans = _plan(selected, fileset, classifier, config, request)
    # One redactor for the scan: a credential any scanner or rule knows of is masked in what
    # every scanner reports, before fingerprints, the cache and the results file see it.
    redactor = Redactor(
        root,
        registry.credential_rules(),
        memo=cached.CleanFiles(cache) if cache is not None else None,
    )
    # Share the cores: each scanner process gets its slice for its own worker pool.
    jobs = config.jobs or default_jobs()
    runnable = sum(1 for _, targets in plans if targets)
    runner = _Runner(
        root,
        config,
        cache,
        redactor,
        progress,
        max(1, jobs // max(1, runnable)),
        registry.tool_lock,
    )

    # The commit and provenance are asked of git while the scanners run, not after them.
    git_pool = ThreadPoolExecutor(max_workers=1)
    commit = git_pool.submit(git_commit, root)
    provenance = git_pool.submit(vcs.provenance, root)
    git_pool.shutdown(wait=False)

    # A local mirror's index goes to the cache directory, never into the mirror (which may be
    # part of the scanned tree); a cache directory inside the tree is not used.
    runs = runner.runs(plans, request, cache.directory if cache is not None else cache_dir)

    # Every finding gets its scope; then one finding per flaw, whichever tools reported it.
    scoped = [
        scopes.assign(runs[s.name], classifier, registry.scope_exemptions(s.name)) for s in selected
    ]
    result = ScanResult(
        root=str(root),
        started_at=started,
        finished_at=clock(),
        secscan_version=__version__,
        runs=_in_report_order(
            _enriched(
                flaws.one_per_flaw(
                    shellproof.add_proofs(
                        scoped, root, _whole_tree(fileset, files), registry.shell_command_rules()
                    )
                ),
                config,
                request,
                files,
                root,
                fileset,
            )
        ),
        git_commit=commit.result(),
        metadata=_with_lock(provenance.result(), registry.tool_lock),
        not_analyzed=fileset.skipped,
        config_path=config.source,
        excluded=_excluded(fileset, skipped, config),
    )
    result = replace(
        result,
        fates=fates.assign(result, fileset.files, fileset.python_scripts),
        changed=tuple(changed) if changed is not None else None,
    )
    # Once more over everything: a credential learnt from a scanner that finished late (the
    # secret scanner's masked columns) is masked in the runs that finished before it.
    return redactor.result(result)


def _whole_tree(fileset: FileSet, files: Sequence[str] | None) -> tuple[str, ...] | None:
    """Every file of the tree, for secscan's AST proofs (None when only some were asked for:
    the others may hold what turns the proofs off)."""
    return None if files is not None else (*fileset.files, *fileset.python_scripts)


def _enriched(
    runs: tuple[ScannerRun, ...],
    config: Config,
    request: ScanRequest,
    files: Sequence[str] | None,
    root: Path,
    fileset: FileSet,
) -> tuple[ScannerRun, ...]:
    """EPSS and KEV of the advisories (issue 27): read fresh each scan, never cached with a
    run; and whether the code imports each Python dependency finding's distribution, not
    when only some files were asked for (the others' imports are unknown)."""
    runs = exploits.enrich_scan(runs, advisory_service.local_db(config, request.advisory_db))
    if files is None:
        runs = reachability.label_runs(runs, root, fileset.files, fileset.python_scripts)
    return runs


_Plans = list[tuple[Scanner, tuple[str, ...]]]


def select(
    registry: ScannerRegistry, scanner_names: Sequence[str] | None, config: Config
) -> list[Scanner]:
    """The scanners named, else the config's, else every default one."""
    names = list(scanner_names) if scanner_names else config.scanners
    return registry.build(list(names) if names is not None else None)


def _cache(
    config: Config, use_cache: bool, cache_dir: Path | None, root: Path
) -> ResultCache | None:
    if not (config.cache and use_cache):
        return None
    cache = ResultCache(cache_dir or default_cache_dir())
    refuse_inside(cache.directory, root)
    return cache


def _plan(
    selected: Sequence[Scanner],
    fileset: FileSet,
    classifier: scopes.Classifier,
    config: Config,
    request: ScanRequest,
) -> tuple[dict[str, str], _Plans]:
    """Each scanner's targets. Vendored and minified files are someone else's code: the code
    scanners leave them out (returned, to say so); the secret and IaC scanners still read
    them."""
    skipped = (
        scopes.code_skips(fileset.files, classifier, config.skip_scopes)
        if any(s.kind is FindingKind.CODE for s in selected)
        else {}
    )
    code_files = tuple(f for f in fileset.files if f not in skipped)
    return skipped, [
        (s, s.select(code_files if s.kind is FindingKind.CODE else fileset.files, request))
        for s in selected
    ]


def _in_report_order(runs: Sequence[ScannerRun]) -> tuple[ScannerRun, ...]:
    """Findings in report order within each run: a warm run meets cached findings first, and
    the results file must not depend on it."""
    return tuple(
        replace(r, findings=tuple(sorted(r.findings, key=lambda f: f.sort_key))) for r in runs
    )


def _excluded(fileset: FileSet, skipped: dict[str, str], config: Config) -> tuple[Excluded, ...]:
    """What discovery excluded and what the code scanners left out, by path."""
    authority = (
        Authority.CONFIG if config.skip_scopes != Config().skip_scopes else Authority.DEFAULT
    )
    left_out = (replace(e, authority=authority) for e in scopes.excluded(skipped))
    return tuple(sorted((*fileset.excluded, *left_out), key=lambda e: e.path))


def _classifier(root: Path, config: Config, whole: tuple[str, ...] | None) -> scopes.Classifier:
    """The config's globs and the conventions, scope following use (`whole`: the tree's
    files, when this scan discovered all of them)."""
    return scopes.Classifier(
        root,
        config.scopes,
        tree=lambda: whole if whole is not None else discover(root, config).files,
    )


@dataclass(frozen=True)
class _Runner:
    """What every scanner of one scan shares: the root, the config, the cache, the redactor,
    the progress callback and each tool's slice of the cores."""

    root: Path
    config: Config
    cache: ResultCache | None
    redactor: Redactor
    progress: Progress | None
    per_tool_jobs: int
    #: The tools lock in force (the registry's), checked before each tool starts.
    lock: ToolLock | None = None

    def nothing_to_scan(self, scanner: Scanner) -> ScannerRun:
        run = ScannerRun(
            scanner=scanner.name,
            kind=scanner.kind,
            status=RunStatus.SKIPPED,
            error="nothing to scan: no files this scanner reads were found",
        )
        if self.progress:
            self.progress(ProgressEvent(scanner.name, Phase.FINISHED, run))
        return run

    def runs(
        self, plans: _Plans, request: ScanRequest, index_dir: Path | None
    ) -> dict[str, ScannerRun]:
        """Every planned scanner's run: skipped when it has no targets, else run."""
        runs = {s.name: self.nothing_to_scan(s) for s, targets in plans if not targets}
        runnable = [(s, t) for s, t in plans if t]
        if runnable:
            runs.update(self.run_all(runnable, request, index_dir or default_cache_dir()))
        return runs

    def run_all(
        self,
        runnable: Sequence[tuple[Scanner, tuple[str, ...]]],
        request: ScanRequest,
        index_dir: Path,
    ) -> dict[str, ScannerRun]:
        """Every scanner with targets, side by side as memory permits.

        With a local advisory mirror, its OSV server is started by the first scanner that
        asks for its URL (never for an image-only scan or a cached dependency result), and
        the scanners get a request that carries the service, its source and digest. A local
        mirror's index goes to the cache directory (`index_dir`), never into the mirror
        (which may be part of the scanned tree); a cache directory inside the tree is not
        used.
        """
        with advisory_service.for_scan(
            self.config,
            [s.kind for s, _ in runnable],
            advisory_db=request.advisory_db,
            osv_url=request.osv_url,
            index_dir=index_dir,
            use_index=not _inside(index_dir, self.root),
        ) as backend:
            served = request
            if backend is not None:
                served = replace(
                    request,
                    osv_url=backend.osv_url,
                    osv_endpoint=backend.endpoint,
                    advisory_db=backend.advisory_db,
                    advisory_source=backend.source,
                    advisory_digest=backend.digest,
                )
            # Every scanner starts at once, memory permitting: the tools are separate processes
            # the kernel shares the cores between, so a quick scanner never queues behind a
            # slow one whatever the config's order. Their own worker pools still split the
            # cores (per_tool_jobs): on the 2-core benchmark machine, giving every tool all
            # the cores made a cold Django-size scan slower (193 s against 172 s) and cost 30%
            # more CPU, semgrep's extra workers mostly competing with the other tools.
            width = max(1, min(len(runnable), memory_slots()))
            with ThreadPoolExecutor(max_workers=width) as pool:
                return {
                    run.scanner: run
                    for run in pool.map(self.run_one, runnable, [served] * len(runnable))
                }

    def run_one(self, plan: tuple[Scanner, tuple[str, ...]], request: ScanRequest) -> ScannerRun:
        scanner, targets = plan
        if self.progress:
            self.progress(ProgressEvent(scanner.name, Phase.STARTED))
        ctx = ScanContext(
            root=self.root,
            targets=targets,
            config=self.config,
            timeout=self.config.timeout_for(scanner.name),
            request=request,
            jobs=self.per_tool_jobs,
        )
        run = _run_scanner(scanner, ctx, self.cache, self.redactor, self.lock)
        if self.progress:
            # shown masked with what is known now; the run kept is masked by what it and its
            # own files show (the same cold and warm) until the final pass
            self.progress(ProgressEvent(scanner.name, Phase.FINISHED, self.redactor.shown(run)))
        return run


def _with_lock(
    metadata: tuple[tuple[str, str], ...], lock: ToolLock | None
) -> tuple[tuple[str, str], ...]:
    """The results' metadata with the tools lock the scan was held to, when one was."""
    return metadata if lock is None else (*metadata, (toollock.RESULTS_KEY, lock.record))


def _run_scanner(
    scanner: Scanner,
    ctx: ScanContext,
    cache: ResultCache | None,
    redactor: Redactor,
    lock: ToolLock | None = None,
) -> ScannerRun:
    """One scanner's run, its texts masked with what they and their own files show: the
    same whether its findings came from the cache or from the tool."""
    t0 = time.monotonic()
    version: str | None = None

    def error(reason: str, *, lock_mismatch: bool = False) -> ScannerRun:
        # Tool stderr and parse errors quote the scanned files: redacted like a snippet.
        return redactor.run(
            ScannerRun(
                scanner=scanner.name,
                kind=scanner.kind,
                status=RunStatus.ERROR,
                tool_version=version,
                tool=identity,
                duration_s=round(time.monotonic() - t0, 3),
                error=reason,
                targets=len(ctx.targets),
                paths=ctx.targets,
                lock_mismatch=lock_mismatch,
            ),
            own_only=True,
        )

    from_cache = False
    identity: ToolIdentity | None = None
    try:
        # The executable is hashed and checked against the lock before anything starts it.
        identity = identity_if_found(scanner, lock)
        check_lock(scanner.name, identity, lock)
        version = scanner.version()
        run: Callable[[ScanContext], ScanOutcome] = scanner.scan
        local = file_local(scanner)
        if local is not None:
            run = partial(_scan_sharded, local, redactor=redactor)
        keeps = cacheable(scanner)
        if cache is not None and keeps is not None:
            # The digest is part of the key: a swapped binary never gets a cached result.
            key = version if identity is None else f"{version}|sha256:{identity.sha256}"
            outcome, from_cache = cached.scan(keeps, ctx, cache, key, redactor, run)
        else:
            outcome = run(ctx)
    except ToolError as e:
        return error(f"{scanner.name}: {e.diagnostics()}")
    except ToolLockMismatch as e:
        return error(e.diagnostics(), lock_mismatch=True)
    except ScannerError as e:
        return error(e.diagnostics())
    except Exception as e:  # noqa: BLE001 - fail closed on anything a plugin throws
        return error(f"{scanner.name}: internal error: {type(e).__name__}: {e}")
    return redactor.run(
        ScannerRun(
            scanner=scanner.name,
            kind=scanner.kind,
            status=RunStatus.OK,
            tool_version=version,
            tool=identity,
            duration_s=round(time.monotonic() - t0, 3),
            findings=fingerprint.assign(outcome.findings, ctx.root, redactor, keep_assigned=True),
            not_analyzed=outcome.not_analyzed,
            targets=len(ctx.targets),
            inline_suppressions=outcome.inline_suppressions
            + sum(f.suppression is not None for f in outcome.findings),
            advisory_source=outcome.advisory_source
            or (ctx.request.advisory_source if scanner.kind in _ADVISORY_KINDS else None),
            rulesets=outcome.rulesets,
            cached=from_cache,
            paths=ctx.targets,
            components=outcome.components,
            notes=outcome.notes,
            target_kinds=census(
                ctx.root, scanner.kind, ctx.targets, {n.path for n in outcome.not_analyzed}
            ),
        ),
        own_only=True,
    )


#: A file-local scanner is split into shards of at least this many files: each shard is one
#: more tool start-up (semgrep: seconds of CPU to load its rules), worth it only for big trees.
SHARD_MIN_TARGETS = 500
#: A sharded scanner's files go in up to this many shards per worker process, each taken by
#: the next worker that frees up. The last shard to finish is then a small one, so the cores
#: are not left to one process at the end (bandit's two halves ended 6 s apart on Django), and
#: each shard's findings are fingerprinted while the other shards' processes still run, not
#: all of them after the last one (semgrep's 617 findings took 4-16 s to fingerprint).
SHARDS_PER_WORKER = 2


def shard_count(ctx: ScanContext) -> int:
    """How many processes a file-local scanner's targets are split over at once.

    When several scanners share the machine each tool gets one worker (ctx.jobs); a tool
    that is still running after the others finished would then leave cores idle (semgrep on
    a Django-size tree ran alone on one core for a minute). Shards of its files, each one
    process, fill those cores; bandit, which has no worker pool, gains the most.
    """
    cores = ctx.config.jobs or default_jobs()
    return max(1, min(cores // max(1, ctx.jobs), len(ctx.targets) // SHARD_MIN_TARGETS))


def piece_count(ctx: ScanContext, workers: int) -> int:
    """How many shards `workers` processes take in turn (each still SHARD_MIN_TARGETS big)."""
    return max(workers, min(workers * SHARDS_PER_WORKER, len(ctx.targets) // SHARD_MIN_TARGETS))


def split(scanner: FileLocal, ctx: ScanContext, count: int) -> list[tuple[str, ...]]:
    """Targets in `count` shards of near-equal size; files whose findings depend on each other
    (a shared cache scope: one Terraform module, one Helm chart) stay in one shard."""
    parent = {t: t for t in ctx.targets}

    def root_of(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    owner: dict[str, str] = {}
    for target in ctx.targets:
        for rel in scanner.cache_scope(target, ctx) or (target,):
            if rel in owner:
                parent[root_of(target)] = root_of(owner[rel])
            else:
                owner[rel] = target
    groups: dict[str, list[str]] = {}
    for target in ctx.targets:
        groups.setdefault(root_of(target), []).append(target)
    shards: list[list[str]] = [[] for _ in range(count)]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(shards, key=len).extend(group)
    members = [set(shard) for shard in shards if shard]
    return [tuple(t for t in ctx.targets if t in m) for m in members]


def _scan_sharded(
    scanner: FileLocal, ctx: ScanContext, redactor: Redactor | None = None
) -> ScanOutcome:
    """scanner.scan over shards of the targets, `shard_count` processes at a time; any shard
    failing fails the run. With `redactor`, each shard's findings are fingerprinted as soon as
    its process ends (fingerprints are per file and shards never split a file, so
    `fingerprint.assign` over all of them later gives the same result, and finds the work
    done)."""
    workers = shard_count(ctx)
    if workers < 2:
        return scanner.scan(ctx)
    parts = sorted(split(scanner, ctx, piece_count(ctx, workers)), key=len, reverse=True)

    def one(targets: tuple[str, ...]) -> ScanOutcome:
        outcome = scanner.scan(replace(ctx, targets=targets))
        if redactor is None:
            return outcome
        return replace(outcome, findings=fingerprint.assign(outcome.findings, ctx.root, redactor))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return combine(list(pool.map(one, parts)))


def combine(outcomes: Sequence[ScanOutcome]) -> ScanOutcome:
    """The shards' outcomes as one: any shard that analyzed an unknown set makes it unknown."""
    by_path: dict[str, int] = {}
    for o in outcomes:
        by_path.update(o.suppressions_by_path)
    return ScanOutcome(
        findings=tuple(f for o in outcomes for f in o.findings),
        not_analyzed=tuple(n for o in outcomes for n in o.not_analyzed),
        inline_suppressions=sum(o.inline_suppressions for o in outcomes),
        advisory_source=_first(o.advisory_source for o in outcomes),
        rulesets=_first(o.rulesets for o in outcomes) or (),
        suppressions_by_path=by_path,
        analyzed=_union_or_unknown([o.analyzed for o in outcomes]),
        components=tuple(dict.fromkeys(p for o in outcomes for p in o.components)),
        notes=tuple(dict.fromkeys(n for o in outcomes for n in o.notes)),
    )


def _first(values: Iterable[_T | None]) -> _T | None:
    """The first value given that is not empty."""
    return next((v for v in values if v), None)


_T = TypeVar("_T")


def _union_or_unknown(sets: Sequence[frozenset[str] | None]) -> frozenset[str] | None:
    if any(s is None for s in sets):
        return None
    return frozenset().union(*(s or () for s in sets))


def _inside(directory: Path, root: Path) -> bool:
    path = directory.expanduser().resolve()
    return path == root or path.is_relative_to(root)


def git_commit(root: Path) -> str | None:
    return vcs.head_commit(root)


def with_runs(result: ScanResult, runs: Sequence[ScannerRun]) -> ScanResult:
    return replace(result, runs=tuple(runs))
