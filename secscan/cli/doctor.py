"""`secscan doctor`: which scanners are installed, at which version."""

from __future__ import annotations

from pathlib import Path

import click

from secscan import scanners
from secscan.advisories import service as advisory_service
from secscan.config import load_config
from secscan.errors import SecscanError
from secscan.scanners.trivy_image import advisory_sources


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
def doctor(path: Path) -> int:
    """Show each scanner, whether its tool was found, and its version; and the advisory
    sources an image scan of PATH (default: the current directory) could use."""
    missing = 0
    for name, cls in scanners.registry().items():
        try:
            version = cls().version()
            state = f"ok      {version}"
        except SecscanError as e:
            missing += 1
            state = f"MISSING {e.diagnostics().splitlines()[0]}"
        click.echo(f"{name:10} {cls.kind.value:10} {state}")
    click.echo("advisory source for dependencies:")
    click.echo(f"  {advisory_service.describe(load_config(path))}")
    click.echo("advisory sources for images:")
    for source in advisory_sources(load_config(path)):
        state = "usable  " if source.usable else "unusable"
        click.echo(f"  {source.kind:10} {state} {source.detail}")
    return 3 if missing else 0
