"""`secscan scan`: run the scanners, judge, write reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from secscan.app.registry import installed
from secscan.cli import _verbose
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
    quiet_option,
    report_dir,
    with_tree_warnings,
    write_reports,
)
from secscan.cli._recording import history_option, record_run
from secscan.cli.views.terminal import summary
from secscan.errors import UsageError
from secscan.history.model import Source
from secscan.model.findings import Severity
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.scan import pipeline
from secscan.scanners.base import ScanRequest


@click.command()
@path_argument
@click.option(
    "--scanner", "scanner_names", multiple=True, help="Run only this scanner (repeatable)."
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(list(installed().formats.scan)),
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
    config = installed().load_config(path, config_file)
    # Policy mistakes are found before any scanner runs (exit 2, in seconds, not minutes).
    inputs = judge.resolve(
        path.resolve(),
        config,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        fail_on=Severity(fail_on) if fail_on else None,
        catalog=judge.default_catalog(),
    )
    if image and image_archive:
        raise UsageError("give --image or --image-archive, not both")
    request = (
        ScanRequest(image=image, image_archive=image_archive) if image or image_archive else None
    )
    names: tuple[str, ...] | None = scanner_names or None
    if request is not None and names is None and config.scanners is not None:
        # An image named on the command line is scanned even when the config lists scanners.
        names = tuple(dict.fromkeys((*config.scanners, "image")))
    if advisory_db is not None:
        request = replace(request or ScanRequest(), advisory_db=advisory_db)
    now = pipeline.utcnow
    result = pipeline.scan(
        path, config, scanner_names=names, request=request, clock=now, use_cache=not no_cache
    )
    result, decision = judge.judge(result, inputs, now())
    decision = with_tree_warnings(
        decision,
        path,
        config,
        inputs,
        config_file=config_file,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
    )
    saved = SavedResults(result, decision)
    recorded = record_run(
        saved,
        history_url,
        config,
        source=Source.SCAN,
        root=path.resolve(),
        profile=inputs.profile,
        now=now(),
    )

    wanted = dict.fromkeys(["json", *(formats or config.formats)])
    folder = report_dir(output_dir, config, path.resolve())
    written = write_reports(saved, folder, wanted, now(), recorded.trends)

    if quiet:
        click.echo(f"gate {'PASSED' if decision.passed else 'FAILED'}")
    else:
        click.echo(summary(saved, written, top=10_000 if verbose else 10), nl=False)
    recorded.raise_error()
    return int(judge.exit_code(decision))
