"""`secscan doctor`: which scanners are installed, at which version."""

from __future__ import annotations

import click

from secscan import scanners
from secscan.errors import SecscanError


@click.command()
def doctor() -> int:
    """Show each scanner, whether its tool was found, and its version."""
    missing = 0
    for name, cls in scanners.registry().items():
        try:
            version = cls().version()
            state = f"ok      {version}"
        except SecscanError as e:
            missing += 1
            state = f"MISSING {e.diagnostics().splitlines()[0]}"
        click.echo(f"{name:10} {cls.kind.value:10} {state}")
    return 3 if missing else 0
