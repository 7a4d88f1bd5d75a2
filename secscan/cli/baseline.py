"""`secscan baseline create|update`: record today's findings so a gate can count only new ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from secscan.app import baseline as baselines
from secscan.app.values import BASELINE_FILE

_path_arg = click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
_options = [
    click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Baseline file [default: config `baseline`, else PATH/{BASELINE_FILE}].",
    ),
    click.option(
        "--from",
        "source",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Take the findings from a secscan-results.json instead of scanning.",
    ),
    click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path)),
    click.option("--scanner", "scanner_names", multiple=True, help="Run only this scanner."),
]


F = TypeVar("F", bound=Callable[..., Any])


def _with_options(f: F) -> F:
    """`create` and `update` take the same path, output, source and scan options."""
    for opt in reversed(_options):
        f = opt(f)
    return _path_arg(f)


@click.group()
def baseline() -> None:
    """Record the current findings as known, so gates with `new_only` count only new ones."""


@baseline.command()
@_with_options
@click.option("--force", is_flag=True, help="Overwrite an existing baseline.")
def create(
    path: Path,
    output: Path | None,
    source: Path | None,
    config_file: Path | None,
    scanner_names: tuple[str, ...],
    force: bool,
) -> int:
    """Scan PATH (or read --from) and write every finding's fingerprint to a new baseline."""
    written = baselines.create(
        path,
        output=output,
        source=source,
        config_file=config_file,
        scanner_names=scanner_names,
        force=force,
    )
    click.echo(f"baseline {written.target}: {len(written.baseline)} finding(s)")
    _warn_incomplete(written)
    return 0


@baseline.command()
@_with_options
@click.option(
    "--prune",
    is_flag=True,
    help="Only drop findings that are gone; do not accept new ones into the baseline.",
)
def update(
    path: Path,
    output: Path | None,
    source: Path | None,
    config_file: Path | None,
    scanner_names: tuple[str, ...],
    prune: bool,
) -> int:
    """Rewrite an existing baseline with the current findings (--prune: only drop fixed ones)."""
    written = baselines.update(
        path,
        output=output,
        source=source,
        config_file=config_file,
        scanner_names=scanner_names,
        prune=prune,
    )
    assert written.old is not None  # noqa: S101 - an update replaces a baseline
    click.echo(
        f"baseline {written.target}: {len(written.baseline)} finding(s) (was "
        f"{len(written.old)}; {written.added()} added, {written.removed()} removed)"
    )
    _warn_incomplete(written)
    return 0


def _warn_incomplete(written: baselines.Written) -> None:
    for run in written.failed:
        click.echo(
            f"warning: {run.scanner} failed ({run.error}); its findings are not in the "
            "baseline and will count as new later",
            err=True,
        )
