"""The fleet on a job queue: Procrastinate on the PostgreSQL that already holds the history.

`enqueue` defers one job per repository (a queueing lock per repository and branch keeps it
to one waiting job; pull-request scans run at a higher priority than the nightly batch);
`serve` runs workers (a lock per repository: no two workers scan one at once; retries with
exponential back-off; a loop beside each worker hands the jobs of workers whose heartbeat
stopped back to the queue); `schedule` defers the manifest on a cron. Each job is
`secscan.fleet.job.execute`, idempotent: run again it skips what is already recorded.

The job carries the repository's trusted settings and tags (JSON), never a history URL or a
password: each worker is told its history database on its own command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from secscan.errors import HistoryError, SecscanError, UsageError
from secscan.fleet import job as fleet_job
from secscan.fleet import manifest as fleet_manifest
from secscan.fleet.manifest import Target

__all__ = [
    "PRIORITY_NIGHTLY",
    "PRIORITY_PULL_REQUEST",
    "QUEUE",
    "Enqueued",
    "WorkerOptions",
    "conninfo",
    "enqueue",
    "init_schema",
    "schedule",
    "serve",
]

log = logging.getLogger(__name__)

QUEUE = "secscan-fleet"
#: The scheduler's own queue: it defers scans and never runs one.
SCHEDULE_QUEUE = "secscan-fleet-schedule"
SCAN_TASK = "secscan.fleet.scan"
SCHEDULE_TASK = "secscan.fleet.nightly"
PRIORITY_NIGHTLY = 0
#: Higher runs first: a pull request waiting on its gate beats the nightly batch.
PRIORITY_PULL_REQUEST = 100
#: Attempts of one job (the first and the retries), waiting 10 s, 100 s, 1000 s between.
MAX_ATTEMPTS = 4
RETRY = RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=10)
#: Advisory lock key under which one process applies Procrastinate's schema.
_SCHEMA_LOCK = 0x5EC5CA7F1EE7


class JobFailed(SecscanError):
    """A job that recorded nothing (clone or history failure): raised so Procrastinate retries
    it with back-off; the last attempt records the failure instead."""


def scan_repository(context: JobContext, target: dict[str, Any]) -> dict[str, Any]:
    """One repository: its checkout, scan, judgement and history record."""
    extra = context.additional_context
    attempts = context.job.attempts
    last_try = attempts + 1 >= MAX_ATTEMPTS
    result = fleet_job.execute(
        Target.from_json(target),
        extra["history"],
        Path(extra["workdir"]),
        record_failures=last_try,
        reports=Path(extra["reports"]) if extra.get("reports") else None,
    )
    log.info("%s", result.line())
    if not result.recorded and result.status is fleet_job.Status.ERROR and not last_try:
        raise JobFailed(result.message)
    return result.to_json()


def conninfo(url: str) -> str:
    """libpq's URL for what the user wrote (postgresql+psycopg:// is SQLAlchemy's spelling)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise UsageError("--queue: the job queue is a PostgreSQL database (postgresql://...)")
    return f"postgresql://{rest}"


def _app(url: str) -> App:
    """An app of this process's own (its tasks registered on it, none module-global)."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
    app.task(name=SCAN_TASK, queue=QUEUE, retry=RETRY, pass_context=True)(scan_repository)
    return app


def init_schema(url: str) -> bool:
    """Apply Procrastinate's schema unless the database has it (under an advisory lock, so
    workers starting together apply it once). True when it was applied now."""
    import psycopg

    try:
        with psycopg.connect(conninfo(url)) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if row is not None and row[0] is not None:
                return False
            conn.execute(SchemaManager.get_schema())
            return True
    except psycopg.Error as e:
        raise HistoryError(f"job queue: could not apply its schema: {_first(e)}") from e


def _first(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _key(kind: str, *parts: str | None) -> str:
    digest = hashlib.sha256("\0".join(p or "" for p in parts).encode()).hexdigest()[:32]
    return f"secscan:{kind}:{digest}"


@dataclass(frozen=True)
class Enqueued:
    name: str
    job_id: int | None
    #: Already waiting in the queue (its queueing lock held): not deferred again.
    already: bool = False


def enqueue(
    url: str, targets: Sequence[Target], *, priority: int = PRIORITY_NIGHTLY
) -> list[Enqueued]:
    """One job per repository; a repository already waiting is left as it is."""
    init_schema(url)
    app = _app(url)
    out: list[Enqueued] = []
    with app.open():
        for t in targets:
            deferrer = app.configure_task(
                SCAN_TASK,
                allow_unknown=False,
                lock=_key("repo", t.identity),
                queueing_lock=_key("queued", t.identity, t.branch),
                priority=priority,
            )
            try:
                out.append(Enqueued(t.name, deferrer.defer(target=t.to_json())))
            except AlreadyEnqueued:
                out.append(Enqueued(t.name, None, already=True))
    return out


@dataclass(frozen=True)
class WorkerOptions:
    history: str
    workdir: Path
    #: Seconds between a worker's heartbeats ...
    heartbeat: float = 10.0
    #: ... and without one for this long a worker is dead: its running jobs are retried.
    stalled_after: float = 60.0
    #: False: stop once the queue is empty (a batch, a test); True: serve until signalled.
    wait: bool = True
    #: The manifest `schedule` defers nightly, and its cron.
    schedule: tuple[str, str] | None = None
    #: Procrastinate's polling interval (it also listens for new jobs).
    poll: float = 5.0
    #: Also write each repository's results and HTML report under this folder.
    reports: Path | None = None


async def _recover(app: App, opts: WorkerOptions) -> None:
    """Hand the jobs of dead workers (no heartbeat for `stalled_after`) back to the queue."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=opts.stalled_after
            )
            for stuck in stalled:
                with contextlib.suppress(Exception):  # another worker retried it first
                    await app.job_manager.retry_job(stuck)
                    log.warning("job %s of a dead worker is queued again", stuck.id)
        except Exception as e:  # noqa: BLE001 - a lost connection must not stop the worker
            log.warning("stalled-job check failed: %s", _first(e))
        await asyncio.sleep(max(0.5, opts.heartbeat))


async def _serve_async(url: str, opts: WorkerOptions) -> None:
    app = _app(url)
    queues = [QUEUE]
    if opts.schedule is not None:
        _add_schedule(app, *opts.schedule)
        queues = [SCHEDULE_QUEUE]
    async with app.open_async():
        recovery = asyncio.create_task(_recover(app, opts))
        try:
            await app.run_worker_async(
                queues=queues,
                concurrency=1,
                name=f"{socket.gethostname()}-{os.getpid()}",
                wait=opts.wait,
                update_heartbeat_interval=opts.heartbeat,
                stalled_worker_timeout=opts.stalled_after,
                fetch_job_polling_interval=opts.poll,
                additional_context={
                    "history": opts.history,
                    "workdir": str(opts.workdir),
                    "queue": url,
                    "reports": str(opts.reports) if opts.reports else None,
                },
            )
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery


def _serve_one(url: str, opts: WorkerOptions) -> None:
    asyncio.run(_serve_async(url, opts))


def serve(url: str, opts: WorkerOptions, *, concurrency: int = 1) -> None:
    """Run `concurrency` workers, each its own process with one job at a time (scanners are
    subprocesses and Python parsing is one thread per process)."""
    init_schema(url)
    opts.workdir.mkdir(parents=True, exist_ok=True)
    if concurrency <= 1:
        _serve_one(url, opts)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_serve_one, args=(url, opts), daemon=False)
        for _ in range(concurrency)
    ]
    for child in children:
        child.start()

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    for child in children:
        child.join()


def _add_schedule(app: App, manifest_path: str, cron: str) -> None:
    @app.periodic(cron=cron, periodic_id=_key("schedule", manifest_path))
    @app.task(name=SCHEDULE_TASK, queue=SCHEDULE_QUEUE, pass_context=True)
    def nightly(context: JobContext, timestamp: int) -> int:
        del timestamp
        loaded = fleet_manifest.load(Path(manifest_path), check_settings=fleet_job.check_settings)
        url = context.additional_context["queue"]
        return len(enqueue(url, fleet_manifest.select(loaded)))

    del nightly


def schedule(url: str, manifest_path: Path, cron: str, opts: WorkerOptions) -> None:
    """A long-running scheduler: defers every repository of the manifest on `cron`
    (Procrastinate's periodic tasks: several schedulers defer each slot once)."""
    fleet_manifest.load(manifest_path, check_settings=fleet_job.check_settings)
    init_schema(url)
    _serve_one(url, replace(opts, schedule=(str(manifest_path.resolve()), cron)))
