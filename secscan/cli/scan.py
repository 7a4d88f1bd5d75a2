"""`secscan scan`: run the scanners, judge, write reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import click

from secscan.app.output import ALL_FORMATS
from secscan.app.run import Output, Run, Scope
from secscan.app.settings import Options, for_tree, registry
from secscan.app.values import ScanRequest, Severity, Source
from secscan.cli import _verbose
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
    print_outcome,
    quiet_option,
)
from secscan.cli._recording import history_option
from secscan.errors import UsageError


@click.command()
@path_argument
@click.option(
    "--scanner", "scanner_names", multiple=True, help="Run only this scanner (repeatable)."
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(ALL_FORMATS),
    help="Report format to write (repeatable); json is always written.",
)
@output_dir_option("reports go")
@judging_options
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default=None,
    help="Override the profile: fail on findings at or above this severity, and on nothing "
    "else that has a severity.",
)
@click.option(
    "--profile",
    default=None,
    help="Gate profile: precommit, ci, release, audit or one of your own [default: config "
    "`profile`, else ci].",
)
@no_cache_option
@history_option
@click.option(
    "--image",
    metavar="REF",
    default=None,
    help="Also scan this container image (from a Docker/Podman daemon or a registry).",
)
@click.option(
    "--image-archive",
    metavar="FILE",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Also scan a `docker save` tarball or an OCI layout (file or directory).",
)
@click.option(
    "--advisory-db",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Local OSV advisory mirror: audit dependencies offline against it.",
)
@quiet_option
@click.option(
    "-v", "--verbose", is_flag=True, help="Print every finding and notes (refused cache entries)."
)
def scan(
    path: Path,
    scanner_names: tuple[str, ...],
    formats: tuple[str, ...],
    output_dir: Path | None,
    config_file: Path | None,
    fail_on: str | None,
    profile: str | None,
    policy_dir: Path | None,
    baseline: Path | None,
    tools_lock: Path | None,
    waivers: Path | None,
    no_cache: bool,
    history_url: str | None,
    image: str | None,
    image_archive: Path | None,
    advisory_db: Path | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Scan PATH (default: the current directory) and gate on what is found."""
    _verbose.notes(verbose)
    options = Options(
        config_file,
        profile,
        policy_dir,
        waivers,
        baseline,
        _severity(fail_on),
        tools_lock=tools_lock,
    )
    settings = for_tree(path, options, registry())
    if image and image_archive:
        raise UsageError("give --image or --image-archive, not both")
    outcome = Run(
        settings,
        Scope(
            _scanners(scanner_names, settings.config.scanners, image, image_archive),
            request=_request(image, image_archive, advisory_db),
            use_cache=not no_cache,
        ),
        Output(
            tuple(dict.fromkeys(["json", *(formats or settings.config.formats)])),
            output_dir,
            source=Source.SCAN,
            history=history_url,
        ),
    ).run()
    print_outcome(outcome, quiet=quiet, top=10_000 if verbose else 10)
    outcome.raise_history_error()
    return int(outcome.exit_code)


def _severity(fail_on: str | None) -> Severity | None:
    return Severity(fail_on) if fail_on else None


def _scanners(
    named: tuple[str, ...],
    configured: Sequence[str] | None,
    image: str | None,
    archive: Path | None,
) -> tuple[str, ...] | None:
    """--scanner, else the config's; an image named on the command line is scanned even when
    the config lists scanners."""
    if named:
        return named
    if (image or archive) and configured is not None:
        return tuple(dict.fromkeys((*configured, "image")))
    return None


def _request(
    image: str | None, archive: Path | None, advisory_db: Path | None
) -> ScanRequest | None:
    request = ScanRequest(image=image, image_archive=archive) if image or archive else None
    if advisory_db is not None:
        request = replace(request or ScanRequest(), advisory_db=advisory_db)
    return request
