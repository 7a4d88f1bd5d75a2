"""`secscan doctor`: which scanners are installed, at which version, and what each can use."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import doctor as checkup
from secscan.app.settings import registry


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--tools-lock",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="SECSCAN_TOOLS_LOCK",
    help="Check each executable's SHA-256 against this tools lock (before starting it) "
    "[default: SECSCAN_TOOLS_LOCK].",
)
def doctor(path: Path, tools_lock: Path | None) -> int:
    """Show each scanner, whether its tool was found, and its version; and the advisory
    sources a scan of PATH (default: the current directory) could use."""
    found = checkup.check(path, registry(), tools_lock)
    for t in found.tools:
        if t.version is not None:
            state = f"ok      {t.version}"
        else:
            state = f"{'DIFFERS' if t.differs else 'MISSING'} {t.problem}"
        click.echo(f"{t.name:10} {t.kind:10} {state}")
        if t.identity is not None:
            click.echo(f"{'':10} {'':10} {t.identity.path}")
            click.echo(f"{'':10} {'':10} sha256 {t.identity.sha256}")
            if t.identity.distribution is not None:
                record = "matches" if t.identity.record_matches else "DIFFERS from"
                click.echo(
                    f"{'':10} {'':10} installed by {t.identity.distribution} "
                    f"{t.identity.distribution_version} (file {record} its RECORD; RECORD "
                    f"sha256 {t.identity.record_sha256})"
                )
    if found.lock is not None:
        click.echo(f"tools lock: {found.lock}")
    click.echo("advisory source for dependencies:")
    click.echo(f"  {found.advisory_source}")
    for section, lines in found.sections.items():
        click.echo(f"{section}:")
        for line in lines:
            state = "usable  " if line.usable else "unusable"
            click.echo(f"  {line.label:10} {state} {line.detail}")
    return 3 if found.missing else 0
