"""`secscan policy validate`: check a policy directory (and the shipped library) before use."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import policies


@click.group()
def policy() -> None:
    """Work with policy directories (frameworks, mapping rules, gate profiles)."""


@policy.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
def validate(path: Path | None) -> int:
    """Validate PATH merged over the shipped library (only the library without PATH).

    Errors name the file, line and key and exit 2.
    """
    loaded = policies.validate(path)
    controls = sum(len(f.controls) for f in loaded.frameworks)
    click.echo(f"policy OK: {', '.join(loaded.sources)}")
    click.echo(
        f"  {len(loaded.frameworks)} framework(s) ({', '.join(f.id for f in loaded.frameworks)}), "
        f"{controls} control(s), {len(loaded.rules)} mapping rule(s), "
        f"profiles: {', '.join(sorted(loaded.profiles))}"
    )
    for w in loaded.warnings:
        click.echo(f"  ! {w}")
    return 0
