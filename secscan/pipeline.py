"""scan(): discover files, run the scanners side by side, and gather one ScanResult."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from secscan import __version__, _subprocess, fingerprint, scanners
from secscan.config import Config
from secscan.discovery import discover
from secscan.errors import ScannerError, ToolError, UsageError
from secscan.findings import RunStatus, ScannerRun, ScanResult
from secscan.scanners.base import ScanContext, Scanner, ScanOutcome, ScanRequest

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


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def scan(
    root: Path,
    config: Config,
    *,
    scanner_names: Sequence[str] | None = None,
    files: Sequence[str] | None = None,
    request: ScanRequest | None = None,
    clock: Clock = utcnow,
    progress: Progress | None = None,
) -> ScanResult:
    """Run every selected scanner over root; a scanner that fails is an error run, never clean."""
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"scan root {root} is not a directory")
    request = request or ScanRequest(explicit_files=files is not None)
    started = clock()
    names = list(scanner_names) if scanner_names else config.scanners
    selected = scanners.build(list(names) if names is not None else None)
    fileset = discover(root, config, files)
    jobs = config.jobs or default_jobs()

    plans: list[tuple[Scanner, tuple[str, ...]]] = [
        (s, s.select(fileset.files, request)) for s in selected
    ]
    runnable = [(s, t) for s, t in plans if t]
    # Share the cores: each scanner process gets its slice for its own worker pool.
    per_tool_jobs = max(1, jobs // max(1, len(runnable)))

    def run_one(plan: tuple[Scanner, tuple[str, ...]]) -> ScannerRun:
        scanner, targets = plan
        if progress:
            progress(ProgressEvent(scanner.name, Phase.STARTED))
        ctx = ScanContext(
            root=root,
            targets=targets,
            config=config,
            timeout=config.timeout_for(scanner.name),
            request=request,
            jobs=per_tool_jobs,
        )
        run = _run_scanner(scanner, ctx)
        if progress:
            progress(ProgressEvent(scanner.name, Phase.FINISHED, run))
        return run

    runs: dict[str, ScannerRun] = {}
    for scanner, targets in plans:
        if not targets:
            runs[scanner.name] = ScannerRun(
                scanner=scanner.name,
                kind=scanner.kind,
                status=RunStatus.SKIPPED,
                error="nothing to scan: no files this scanner reads were found",
            )
            if progress:
                progress(ProgressEvent(scanner.name, Phase.FINISHED, runs[scanner.name]))
    if runnable:
        with ThreadPoolExecutor(max_workers=min(len(runnable), jobs)) as pool:
            for run in pool.map(run_one, runnable):
                runs[run.scanner] = run

    return ScanResult(
        root=str(root),
        started_at=started,
        finished_at=clock(),
        secscan_version=__version__,
        runs=tuple(runs[s.name] for s in selected),
        git_commit=git_commit(root),
        not_analyzed=fileset.skipped,
        config_path=config.source,
    )


def _run_scanner(scanner: Scanner, ctx: ScanContext) -> ScannerRun:
    t0 = time.monotonic()
    version: str | None = None

    def error(reason: str) -> ScannerRun:
        return ScannerRun(
            scanner=scanner.name,
            kind=scanner.kind,
            status=RunStatus.ERROR,
            tool_version=version,
            duration_s=round(time.monotonic() - t0, 3),
            error=reason,
            targets=len(ctx.targets),
        )

    try:
        version = scanner.version()
        outcome: ScanOutcome = scanner.scan(ctx)
    except ToolError as e:
        return error(f"{scanner.name}: {e.diagnostics()}")
    except ScannerError as e:
        return error(e.diagnostics())
    except Exception as e:  # noqa: BLE001 - fail closed on anything a plugin throws
        return error(f"{scanner.name}: internal error: {type(e).__name__}: {e}")
    return ScannerRun(
        scanner=scanner.name,
        kind=scanner.kind,
        status=RunStatus.OK,
        tool_version=version,
        duration_s=round(time.monotonic() - t0, 3),
        findings=fingerprint.assign(outcome.findings, ctx.root),
        not_analyzed=outcome.not_analyzed,
        targets=len(ctx.targets),
        inline_suppressions=outcome.inline_suppressions,
        advisory_source=outcome.advisory_source or ctx.request.advisory_source,
        rulesets=outcome.rulesets,
    )


def git_commit(root: Path) -> str | None:
    git = _subprocess.which("git")
    if git is None:
        return None
    try:
        done = _subprocess.run([git, "-C", str(root), "rev-parse", "HEAD"], timeout=10)
    except ToolError:
        return None
    sha = done.stdout.strip()
    return sha or None


def with_runs(result: ScanResult, runs: Sequence[ScannerRun]) -> ScanResult:
    return replace(result, runs=tuple(runs))
