"""`secscan fleet`: scan every repository of a manifest, here or on a PostgreSQL job queue."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from secscan.errors import UsageError
from secscan.fleet import job, local, manifest
from secscan.fleet.job import JobResult

if TYPE_CHECKING:
    from secscan.fleet.queue import WorkerOptions


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    index, _, count = value.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        raise UsageError(f"--shard {value!r}: write I/N, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {value!r}: I must be 0..N-1")
    return i, n


def _load(path: Path) -> manifest.Manifest:
    return manifest.load(path, check_settings=job.check_settings)


def _print(result: JobResult) -> None:
    click.echo(result.line())


_reports_opt = click.option(
    "--reports",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write each scanned repository's results (json) and HTML report to "
    "DIR/<repository>/ (the history keeps no finding text).",
)


@click.group()
def fleet() -> None:
    """Scan every repository of a fleet manifest, here or on a PostgreSQL job queue."""


_manifest_arg = click.argument(
    "manifest_path", metavar="MANIFEST", type=click.Path(path_type=Path, dir_okay=False)
)


@fleet.command("run")
@_manifest_arg
@click.option(
    "--history",
    "history",
    metavar="URL",
    envvar="SECSCAN_HISTORY",
    default=None,
    help="History database [default: $SECSCAN_HISTORY, else the user's SQLite file].",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Repositories scanned at once (one process each).",
)
@click.option(
    "--shard",
    metavar="I/N",
    default=None,
    help="Scan only every N-th selected repository from the I-th (0-based).",
)
@click.option("--include", multiple=True, metavar="KEY=VALUE", help="Only repositories tagged so.")
@click.option(
    "--exclude", multiple=True, metavar="KEY=VALUE", help="Leave out repositories tagged so."
)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where clones are kept between runs [default: the user's cache folder].",
)
@click.option("--force", is_flag=True, help="Scan repositories whose HEAD is unchanged, too.")
@_reports_opt
def run(
    manifest_path: Path,
    history: str | None,
    jobs: int,
    shard: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    workdir: Path | None,
    force: bool,
    reports: Path | None,
) -> int:
    """Scan every selected repository of MANIFEST with a local process pool and record each
    run in the history; repositories whose HEAD, settings and tools are unchanged since their
    last recorded scan are skipped. Exit: 0 all pass, 1 a gate failed, 3 a scanner or clone
    error, 2 a manifest error."""
    loaded = _load(manifest_path)
    targets = manifest.select(loaded, include=include, exclude=exclude, shard=_shard(shard))
    url = history or local.default_history()
    results = local.run_all(
        targets,
        url,
        workdir or local.default_workdir(),
        jobs=jobs,
        force=force,
        reports=reports,
        done=_print,
    )
    counts = {s: sum(r.status is s for r in results) for s in job.Status}
    click.echo(
        f"fleet: {len(results)} repositories: "
        + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    )
    return int(job.worst(results))


_queue_opt = click.option(
    "--queue",
    "queue_url",
    metavar="URL",
    envvar="SECSCAN_QUEUE",
    required=True,
    help="The job queue: a PostgreSQL database (postgresql://...) [env: SECSCAN_QUEUE].",
)


@fleet.command("enqueue")
@_manifest_arg
@_queue_opt
@click.option("--include", multiple=True, metavar="KEY=VALUE", help="Only repositories tagged so.")
@click.option(
    "--exclude", multiple=True, metavar="KEY=VALUE", help="Leave out repositories tagged so."
)
@click.option(
    "--repository",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this repository of the manifest (repeatable).",
)
@click.option("--branch", default=None, help="Scan this branch instead of the manifest's.")
@click.option(
    "--pull-request",
    is_flag=True,
    help="Run before the nightly batch (a pull request waits on its gate).",
)
def enqueue(
    manifest_path: Path,
    queue_url: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    names: tuple[str, ...],
    branch: str | None,
    pull_request: bool,
) -> int:
    """Put one job per selected repository of MANIFEST on the queue; a repository already
    waiting there is not queued twice. Workers (`secscan fleet worker`) run them."""
    from secscan.fleet import queue

    loaded = _load(manifest_path)
    targets = manifest.select(loaded, include=include, exclude=exclude)
    if names:
        unknown = sorted(set(names) - {t.name for t in loaded.targets})
        if unknown:
            raise UsageError(f"--repository {unknown[0]!r} is not in {manifest_path}")
        targets = tuple(t for t in targets if t.name in names)
    if branch is not None:
        targets = manifest.with_branch(targets, branch)
    priority = queue.PRIORITY_PULL_REQUEST if pull_request else queue.PRIORITY_NIGHTLY
    done = queue.enqueue(queue_url, targets, priority=priority)
    for e in done:
        click.echo(f"{'waiting' if e.already else 'queued':7} {e.name}")
    click.echo(
        f"fleet: {sum(not e.already for e in done)} queued, "
        f"{sum(e.already for e in done)} already waiting"
    )
    return 0


def _worker_options(
    history: str | None,
    queue_url: str,
    workdir: Path | None,
    heartbeat: float,
    stalled_after: float,
    once: bool,
) -> WorkerOptions:
    from secscan.fleet import queue

    return queue.WorkerOptions(
        history=history or queue_url,
        workdir=workdir or local.default_workdir(),
        heartbeat=heartbeat,
        stalled_after=stalled_after,
        wait=not once,
    )


def _worker_flags(f: Any) -> Any:
    for option in reversed(
        (
            _queue_opt,
            click.option(
                "--history",
                metavar="URL",
                envvar="SECSCAN_HISTORY",
                default=None,
                help="History database [default: the queue's database].",
            ),
            click.option(
                "--workdir",
                type=click.Path(path_type=Path, file_okay=False),
                default=None,
                help="Where clones are kept [default: the user's cache].",
            ),
            click.option(
                "--heartbeat",
                type=click.FloatRange(0.1),
                default=10.0,
                show_default=True,
                help="Seconds between a worker's heartbeats.",
            ),
            click.option(
                "--stalled-after",
                type=click.FloatRange(1.0),
                default=60.0,
                show_default=True,
                help="A worker silent this long is dead: its jobs run again.",
            ),
        )
    ):
        f = option(f)
    return f


def _log_jobs() -> None:
    """A worker says each repository's result (and each re-queued job) on stderr."""
    logging.getLogger("secscan.fleet").setLevel(logging.INFO)


@fleet.command("worker")
@_worker_flags
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, one job each.",
)
@click.option("--once", is_flag=True, help="Stop when the queue is empty.")
@_reports_opt
def worker(
    queue_url: str,
    history: str | None,
    workdir: Path | None,
    heartbeat: float,
    stalled_after: float,
    concurrency: int,
    once: bool,
    reports: Path | None,
) -> int:
    """Run queued fleet jobs until stopped (SIGTERM finishes the running job first)."""
    from dataclasses import replace

    from secscan.fleet import queue

    opts = _worker_options(history, queue_url, workdir, heartbeat, stalled_after, once)
    opts = replace(opts, reports=reports)
    _log_jobs()
    queue.serve(queue_url, opts, concurrency=concurrency)
    return 0


@fleet.command("schedule")
@_manifest_arg
@_worker_flags
@click.option(
    "--cron",
    default="0 2 * * *",
    show_default=True,
    help="When to queue every repository of MANIFEST (cron, UTC).",
)
def schedule(
    manifest_path: Path,
    queue_url: str,
    history: str | None,
    workdir: Path | None,
    heartbeat: float,
    stalled_after: float,
    cron: str,
) -> int:
    """Queue every repository of MANIFEST on a cron (nightly by default), until stopped.
    Several schedulers queue each slot once."""
    from secscan.fleet import queue

    opts = _worker_options(history, queue_url, workdir, heartbeat, stalled_after, False)
    _log_jobs()
    queue.schedule(queue_url, manifest_path, cron, opts)
    return 0


@fleet.command("queue-init")
@_queue_opt
def queue_init(queue_url: str) -> int:
    """Create the job queue's tables in the database (enqueue and worker also do, once)."""
    from secscan.fleet import queue

    applied = queue.init_schema(queue_url)
    click.echo("fleet: job queue created" if applied else "fleet: job queue already there")
    return 0


@fleet.command("k8s")
@_manifest_arg
@click.option("--image", required=True, help="The container image with secscan and its tools.")
@click.option(
    "--mode",
    type=click.Choice(["queue", "indexed"]),
    default="queue",
    show_default=True,
    help="queue: worker Deployment + nightly enqueue CronJob; "
    "indexed: one Indexed Job running `fleet run --shard I/N`.",
)
@click.option("--name", default="secscan-fleet", show_default=True, help="Object name prefix.")
@click.option("--namespace", default=None, help="Namespace of every object.")
@click.option(
    "--secret",
    default="secscan-fleet-db",
    show_default=True,
    help="Secret whose key `url` is the PostgreSQL URL (queue and history).",
)
@click.option(
    "--replicas",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Worker pods (queue mode).",
)
@click.option("--cron", default="0 2 * * *", show_default=True, help="Enqueue schedule (UTC).")
@click.option(
    "--shards",
    type=click.IntRange(1),
    default=4,
    show_default=True,
    help="Pods of the Indexed Job, each scanning every N-th repository.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Indexed Job pods running at once.",
)
def k8s(
    manifest_path: Path,
    image: str,
    mode: str,
    name: str,
    namespace: str | None,
    secret: str,
    replicas: int,
    cron: str,
    shards: int,
    parallelism: int,
) -> int:
    """Write Kubernetes manifests (YAML) that run the fleet of MANIFEST in a cluster."""
    from secscan.fleet import k8s as kube

    loaded = _load(manifest_path)
    cluster = kube.Cluster(
        image=image,
        name=name,
        namespace=namespace,
        secret_name=secret,
        replicas=replicas,
        shards=shards,
        parallelism=parallelism,
        cron=cron,
    )
    text = manifest_path.read_text(encoding="utf-8")
    click.echo(kube.dump(kube.documents(cluster, loaded, text, mode)), nl=False)
    return 0
