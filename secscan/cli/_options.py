"""Options several commands share, defined once so their names and help never drift apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from secscan.app.run import Outcome
from secscan.cli.views.terminal import TOP, summary

F = TypeVar("F", bound=Callable[..., Any])

path_argument = click.argument(
    "path", type=click.Path(file_okay=False, path_type=Path), default="."
)
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: PATH/.secscan.yaml or [tool.secscan] in PATH/pyproject.toml].",
)
policy_option = click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory, merged over the shipped library [default: config `policy`].",
)
waivers_option = click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file [default: config `waivers`, else PATH/.secscan-waivers.yaml if present].",
)
baseline_option = click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline file (or an older secscan-results.json): findings in it are not new "
    "[default: config `baseline`].",
)
tools_lock_option = click.option(
    "--tools-lock",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Tools lock the scanners' executables must match, outside the scanned tree "
    "[default: SECSCAN_TOOLS_LOCK; see docs/integrity.md].",
)
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Do not use or fill the result cache."
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print only the gate verdict.")


def output_dir_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--output-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where {what} [default: config `output_dir`, else secscan-reports/ here].",
    )


def judging_options(f: F) -> F:
    """--config, --policy, --waivers, --baseline, --tools-lock: what every judging command
    reads."""
    for option in (
        tools_lock_option,
        baseline_option,
        waivers_option,
        policy_option,
        config_option,
    ):
        f = option(f)
    return f


def print_outcome(outcome: Outcome, *, quiet: bool, top: int = TOP) -> None:
    """The history line (on stderr), then the verdict alone or the summary and the notes."""
    if outcome.recorded:
        click.echo(outcome.recorded, err=True)
    if quiet:
        click.echo(f"gate {'PASSED' if outcome.decision.passed else 'FAILED'}")
        return
    click.echo(summary(outcome.saved, outcome.written, top=top), nl=False)
    for n in outcome.notes:
        click.echo(f"  {n}")
