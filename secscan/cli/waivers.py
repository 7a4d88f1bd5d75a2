"""`secscan waivers import-vex FILE`: VEX `not_affected` statements become narrow waivers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from secscan.app import waivers as vex_waivers
from secscan.app.waivers import RESULTS_FILE, WAIVERS_FILE


@click.group()
def waivers() -> None:
    """Work with the waivers file (.secscan-waivers.yaml)."""


@waivers.command("import-vex")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--results",
    "results_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"The scan whose findings the statements waive [default: ./{RESULTS_FILE}].",
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Waivers file to add to [default: ./{WAIVERS_FILE}].",
)
@click.option(
    "--owner", default=None, help="Who accepts the risk (needed unless the VEX names one)."
)
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day the waivers apply, YYYY-MM-DD (needed unless the VEX names one).",
)
@click.option(
    "--profile",
    default=None,
    help="Gate profile whose max_waiver_days bounds the waivers [default: the one the "
    "results were judged with, else ci].",
)
def import_vex(
    file: Path,
    results_file: Path | None,
    waivers_file: Path | None,
    owner: str | None,
    expires: Any,
    profile: str | None,
) -> int:
    """Turn the `not_affected` statements of a CycloneDX VEX or OpenVEX FILE into waivers.

    Each statement becomes one waiver per finding of the scan it names (vulnerability id and
    package URL both match): narrow by fingerprint and rule. A statement without an owner and
    an expiry (secscan's own export carries both; --owner and --expires supply them) is refused,
    and so is the whole import: nothing is written.
    """
    found = vex_waivers.read(file, results_file)
    for st in found.unused:
        click.echo(
            f"not imported: {file}: {st.where} ({', '.join(st.names)}) names no finding "
            "of this scan",
            err=True,
        )
    until = expires.date() if expires is not None else None
    added = vex_waivers.add(found, waivers_file, owner, until, profile)
    doc = found.doc
    if not added.count:
        click.echo(
            f"no waiver to add ({doc.format}: {len(doc.statements)} not_affected statement(s))"
        )
        return 0
    click.echo(
        f"added {added.count} waiver(s) to {added.target} from {found.used} {doc.format} "
        "statement(s)"
        + (f"; {doc.other} statement(s) of another status are not waivers" if doc.other else "")
    )
    return 0
