"""`secscan fleet run`: every selected repository of a manifest, on a local process pool.

Each repository is one job (`secscan.fleet.job.execute`) in its own process: scanners run as
subprocesses, Python parsing stays one thread per process, and a job that crashes its process
is that repository's error while the others go on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import platformdirs

from secscan.errors import ExitCode
from secscan.fleet.job import JobResult, Status, execute
from secscan.fleet.manifest import Target

log = logging.getLogger(__name__)

__all__ = ["default_history", "default_workdir", "run_all"]


def default_history() -> str:
    """$SECSCAN_HISTORY, else the user's SQLite file: the fleet always records."""
    from secscan.history import ENV_URL
    from secscan.history.store import default_url

    return os.environ.get(ENV_URL) or default_url()


def default_workdir() -> Path:
    """Where clones are kept between runs (a fetch is cheaper than a clone)."""
    return platformdirs.user_cache_path("secscan") / "fleet"


def _one(
    data: dict[str, Any], history: str, workdir: str, force: bool, reports: str | None
) -> dict[str, Any]:
    """The job in a pool process: plain data in and out (nothing to unpickle but JSON)."""
    return execute(
        Target.from_json(data),
        history,
        Path(workdir),
        force=force,
        reports=Path(reports) if reports else None,
    ).to_json()


def _crashed(target: Target, e: BaseException) -> JobResult:
    """A job that raised (a bug) or whose process died: that repository's error."""
    log.error("fleet job of %s failed", target.name, exc_info=e)
    return JobResult(
        target.name,
        target.identity,
        Status.ERROR,
        ExitCode.SCANNER_ERROR,
        None,
        f"the job failed: {type(e).__name__}",
        recorded=False,
    )


def run_all(
    targets: Sequence[Target],
    history: str,
    workdir: Path,
    *,
    jobs: int = 1,
    force: bool = False,
    reports: Path | None = None,
    done: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Scan every target, `jobs` at a time; results in manifest order."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, JobResult] = {}
    if jobs <= 1:
        for t in targets:
            try:
                r = execute(t, history, workdir, force=force, reports=reports)
            except Exception as e:  # noqa: BLE001 - one repository's failure, the others go on
                r = _crashed(t, e)
            results[t.name] = r
            if done is not None:
                done(r)
        return [results[t.name] for t in targets]
    # forkserver: no pool process inherits this one's threads or open database connections.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures: dict[Future[dict[str, Any]], Target] = {
            pool.submit(
                _one, t.to_json(), history, str(workdir), force, str(reports) if reports else None
            ): t
            for t in targets
        }
        for future in as_completed(futures):
            t = futures[future]
            try:
                r = JobResult.from_json(future.result())
            except Exception as e:  # noqa: BLE001 - a dead pool process included (BrokenProcessPool)
                r = _crashed(t, e)
            results[t.name] = r
            if done is not None:
                done(r)
    return [results[t.name] for t in targets]
