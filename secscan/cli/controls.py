"""`secscan controls`: the controls of each framework and the mapping rules that evidence them."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.errors import UsageError
from secscan.policy.loader import load_policy
from secscan.policy.models import qualify


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
    policy = load_policy(policy_dir)
    frameworks = policy.frameworks
    if framework_id is not None:
        frameworks = tuple(f for f in frameworks if f.id == framework_id)
        if not frameworks:
            known = ", ".join(f.id for f in policy.frameworks)
            raise UsageError(f"unknown framework {framework_id!r}; known: {known}")
    for fw in frameworks:
        click.echo(f"{fw.id}: {fw.info.title}")
        click.echo(f"  source: {fw.info.source}")
        for c in fw.controls:
            qid = qualify(fw.id, c.id)
            rules = [r for r in policy.rules if qid in r.controls or r.id in c.rules]
            kinds = c.evidence or tuple(dict.fromkeys(k for r in rules for k in r.match.kinds))
            click.echo(f"  {c.id}  {c.title}  [{c.theme}]")
            click.echo(f"      checks: {c.statement}")
            click.echo(f"      assessed by: {', '.join(k.value for k in kinds) or 'nothing'}")
            if not rules:
                click.echo("      rules: none (always not assessed)")
            for r in rules:
                click.echo(f"      rule {r.id}: {r.description or r.rationale}")
                if rationale:
                    click.echo(f"          why: {r.rationale}")
    return 0
