"""`secscan explain ID`: a rule id or a finding fingerprint, explained from local sources."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import explain as knowledge
from secscan.cli.audit import console
from secscan.cli.views import audit as view
from secscan.cli.views import explain as render


@click.command()
@click.argument("ident", metavar="ID")
@click.option(
    "--results",
    "results_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Results file to look fingerprints up in [default: secscan-results.json in the "
    "config's output_dir, else in secscan-reports/].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: .secscan.yaml or [tool.secscan] in pyproject.toml here].",
)
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory, merged over the shipped library [default: config `policy`].",
)
def explain(
    ident: str, results_file: Path | None, config_file: Path | None, policy_dir: Path | None
) -> int:
    """Explain ID: a rule (B602, python-sql-injection, AWS-0086, PYSEC-2023-62) or a finding
    fingerprint (or its first characters) from the last results: what it is, why it matters,
    the controls it maps to and why, and how to fix it.
    """
    looked = knowledge.look_up(ident, results_file, config_file, policy_dir)
    out = console()
    if out.is_terminal:
        out.print(render.render(looked.explanation, links=view.Links(looked.root)), soft_wrap=True)
    else:
        click.echo(render.render(looked.explanation).plain, nl=False)
    return 0
