"""`secscan baseline create|update`: record today's findings so a gate can count only new ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from secscan.app.registry import installed
from secscan.errors import UsageError
from secscan.model.findings import ScanResult
from secscan.model.results import load
from secscan.policy.baseline import BASELINE_FILE, Baseline, load_baseline, write_baseline
from secscan.scan import pipeline
from secscan.settings.config import Config

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
    config = installed().load_config(path, config_file)
    target = _target(path, config, output)
    if target.exists() and not force:
        raise UsageError(f"{target} exists; use `secscan baseline update` or --force")
    result = _findings(path, config, source, scanner_names)
    new = Baseline.from_findings(result.findings, str(target))
    write_baseline(target, new, pipeline.utcnow())
    click.echo(f"baseline {target}: {len(new)} finding(s)")
    _warn_incomplete(result)
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
    config = installed().load_config(path, config_file)
    target = _target(path, config, output)
    old = load_baseline(target)
    result = _findings(path, config, source, scanner_names)
    new = (
        old.pruned(result.findings)
        if prune
        else Baseline.from_findings(result.findings, str(target))
    )
    write_baseline(target, new, pipeline.utcnow())
    click.echo(
        f"baseline {target}: {len(new)} finding(s) (was {len(old)}; "
        f"{_added(old, new)} added, {_added(new, old)} removed)"
    )
    _warn_incomplete(result)
    return 0


def _target(path: Path, config: Config, output: Path | None) -> Path:
    return output or config.resolve(config.baseline) or path / BASELINE_FILE


def _findings(
    path: Path, config: Config, source: Path | None, scanner_names: tuple[str, ...]
) -> ScanResult:
    if source is not None:
        return load(source).result
    return pipeline.scan(path, config, scanner_names=scanner_names or None)


def _added(old: Baseline, new: Baseline) -> int:
    return sum(max(0, n - old.counts.get(fp, 0)) for fp, n in new.counts.items())


def _warn_incomplete(result: ScanResult) -> None:
    for run in result.failed_runs:
        click.echo(
            f"warning: {run.scanner} failed ({run.error}); its findings are not in the "
            "baseline and will count as new later",
            err=True,
        )
