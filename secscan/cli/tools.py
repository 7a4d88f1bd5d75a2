"""`secscan tools lock`: pin each scanner's executable by its SHA-256 (docs/integrity.md)."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import toollock
from secscan.app.settings import registry


@click.group()
def tools() -> None:
    """Pin the scanners' executables: a tools lock every scan can be held to."""


@tools.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".secscan-tools.lock"),
    show_default=True,
    help="Where the lock goes (`-`: standard output). Keep it outside the trees you scan, "
    "or commit it and gate pull requests with `ci --new-since` (read from the merge base).",
)
@click.option(
    "--scanner",
    "scanners",
    multiple=True,
    help="Only this scanner (repeatable) [default: every registered scanner with a tool].",
)
def lock(output: Path, scanners: tuple[str, ...]) -> int:
    """Write the path, version and SHA-256 of each scanner's executable to a tools lock.

    Run it where the tools are known good. Exit 3 when a scanner's tool is missing (the
    others are still written).
    """
    pinned = toollock.pin(registry().scanners, scanners or None)
    for p in pinned:
        if p.tool is None:
            click.echo(f"{p.name:14} MISSING {p.problem}", err=True)
        else:
            click.echo(f"{p.name:14} sha256 {p.tool.sha256}  {p.tool.path}", err=True)
    if str(output) == "-":
        click.echo(toollock.lock_text(pinned), nl=False)
    else:
        toollock.write_lock(output, pinned)
        click.echo(
            f"wrote {output}: in force for `secscan scan PATH --tools-lock {output}` (or "
            f"{toollock.ENV}) where PATH does not hold it; committed at a repository's root, "
            "`secscan ci --new-since BASE` reads it from the merge base",
            err=True,
        )
    return 3 if any(p.tool is None for p in pinned) else 0
