"""`secscan fleet`: scan every repository of a manifest, here or on a PostgreSQL job queue."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.errors import UsageError
from secscan.fleet import job, local, manifest
from secscan.fleet.job import JobResult


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
def run(
    manifest_path: Path,
    history: str | None,
    jobs: int,
    shard: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    workdir: Path | None,
    force: bool,
) -> int:
    """Scan every selected repository of MANIFEST with a local process pool and record each
    run in the history; repositories whose HEAD, settings and tools are unchanged since their
    last recorded scan are skipped. Exit: 0 all pass, 1 a gate failed, 3 a scanner or clone
    error, 2 a manifest error."""
    loaded = _load(manifest_path)
    targets = manifest.select(loaded, include=include, exclude=exclude, shard=_shard(shard))
    url = history or local.default_history()
    results = local.run_all(
        targets, url, workdir or local.default_workdir(), jobs=jobs, force=force, done=_print
    )
    counts = {s: sum(r.status is s for r in results) for s in job.Status}
    click.echo(
        f"fleet: {len(results)} repositories: "
        + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    )
    return int(job.worst(results))
