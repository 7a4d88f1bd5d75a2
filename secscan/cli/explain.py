"""`secscan explain ID`: a rule id or a finding fingerprint, explained from local sources."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import explain as knowledge
from secscan.app.registry import installed
from secscan.cli.audit import console
from secscan.cli.views import audit as view
from secscan.cli.views import explain as render
from secscan.errors import ReportError
from secscan.model.results import SavedResults, load
from secscan.policy.loader import load_policy
from secscan.report.formats import FORMATS

#: semgrep `rules:` entries that name the registry, not a file secscan could read.


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
    root = Path.cwd()
    config = installed().load_config(root, config_file)
    policy = load_policy(policy_dir or config.resolve(config.policy))
    folder = config.resolve(config.output_dir) or root / "secscan-reports"
    path = results_file or folder / FORMATS["json"].filename
    saved: SavedResults | None = None
    if path.is_file():
        saved = load(path)
    elif results_file is not None:
        raise ReportError(f"results file not found: {path}")
    ex = knowledge.explain(
        ident,
        policy,
        saved=saved,
        results_file=str(path),
        config=config,
        advisory_db=config.resolve(config.advisories.db),
    )
    out = console()
    if out.is_terminal:
        root_dir = Path(saved.result.root) if saved is not None else None
        out.print(render.render(ex, links=view.Links(root_dir)), soft_wrap=True)
    else:
        click.echo(render.render(ex).plain, nl=False)
    return 0
