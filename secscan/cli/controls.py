"""`secscan controls`: the controls of each framework and the mapping rules that evidence them."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import policies


@click.command()
@click.option("--framework", "framework_id", default=None, help="Only this framework (its id).")
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory, merged over the shipped library.",
)
@click.option("--rationale", is_flag=True, help="Also print each mapping rule's rationale.")
def controls(framework_id: str | None, policy_dir: Path | None, rationale: bool) -> int:
    """List controls with the mapping rules and finding kinds that evidence them."""
    for fw in policies.controls(framework_id, policy_dir):
        click.echo(f"{fw.id}: {fw.title}")
        click.echo(f"  source: {fw.source}")
        for c in fw.controls:
            _control(c, rationale)
    return 0


def _control(c: policies.ControlEvidence, rationale: bool) -> None:
    click.echo(f"  {c.id}  {c.title}  [{c.theme}]")
    click.echo(f"      checks: {c.statement}")
    click.echo(f"      assessed by: {', '.join(c.kinds) or 'nothing'}")
    if not c.rules:
        click.echo("      rules: none (always not assessed)")
    for r in c.rules:
        click.echo(f"      rule {r.id}: {r.description}")
        if rationale:
            click.echo(f"          why: {r.rationale}")
