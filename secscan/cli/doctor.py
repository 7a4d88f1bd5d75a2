"""`secscan doctor`: which scanners are installed, at which version, and what each can use."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.advisories import service as advisory_service
from secscan.app.registry import installed
from secscan.errors import SecscanError
from secscan.scanners.base import StatusLine


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
def doctor(path: Path) -> int:
    """Show each scanner, whether its tool was found, and its version; and the advisory
    sources a scan of PATH (default: the current directory) could use."""
    registry = installed().scanners
    config = registry.load_config(path)
    missing = 0
    sections: dict[str, list[StatusLine]] = {}
    for name, cls in registry.classes.items():
        scanner = cls()
        try:
            version = scanner.version()
            state = f"ok      {version}"
        except SecscanError as e:
            # a third-party tool that is absent is left out of default scans, not an error
            missing += name in registry.builtins
            state = f"MISSING {e.diagnostics().splitlines()[0]}"
        click.echo(f"{name:10} {cls.kind.value:10} {state}")
        for line in scanner.status(config):
            sections.setdefault(line.section, []).append(line)
    click.echo("advisory source for dependencies:")
    click.echo(f"  {advisory_service.describe(config)}")
    for section, lines in sections.items():
        click.echo(f"{section}:")
        for line in lines:
            state = "usable  " if line.usable else "unusable"
            click.echo(f"  {line.label:10} {state} {line.detail}")
    return 3 if missing else 0
