"""`secscan audit`: a person at a terminal; live scanner progress, then findings grouped."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live

from secscan import pipeline
from secscan._atomic import write_atomic
from secscan.config import load_config
from secscan.policy import judge
from secscan.report import FORMATS
from secscan.report import audit as view
from secscan.report.model import build
from secscan.results import SavedResults

PROFILE = "audit"


def console() -> Console:
    """Colour, links and progress only on a terminal; rich itself honours NO_COLOR."""
    return Console(file=sys.stdout, highlight=False, emoji=False)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--profile", default=PROFILE, show_default=True, help="Gate profile.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where secscan-results.json goes, for `secscan explain` and `secscan report` "
    "[default: config `output_dir`, else secscan-reports/].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: PATH/.secscan.yaml or [tool.secscan] in PATH/pyproject.toml].",
)
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory, merged over the shipped library [default: config `policy`].",
)
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file [default: config `waivers`, else PATH/.secscan-waivers.yaml if present].",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline file: findings in it are marked as known.",
)
@click.option("--no-cache", is_flag=True, help="Do not use or fill the per-file result cache.")
def audit(
    path: Path,
    profile: str,
    output_dir: Path | None,
    config_file: Path | None,
    policy_dir: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    no_cache: bool,
) -> int:
    """Scan PATH and show every finding, by severity and by control, with file:line places.

    On a terminal: live progress per scanner, colour and clickable locations. Piped: plain,
    stable text. Exit codes as for `secscan scan`.
    """
    config = load_config(path, config_file)
    root = path.resolve()
    inputs = judge.resolve(
        root,
        config,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        catalog=judge.default_catalog(),
    )
    out = console()
    tty = out.is_terminal
    now = pipeline.utcnow
    if tty:
        board = view.Board()
        with Live(get_renderable=board.render, console=out, refresh_per_second=8, transient=True):
            result = pipeline.scan(root, config, clock=now, use_cache=not no_cache, progress=board)
    else:
        result = pipeline.scan(root, config, clock=now, use_cache=not no_cache)
    result, decision = judge.judge(result, inputs, now())
    saved = SavedResults(result, decision)

    folder = output_dir or config.resolve(config.output_dir) or Path.cwd() / "secscan-reports"
    results_file = folder / FORMATS["json"].filename
    write_atomic(results_file, FORMATS["json"].render(saved, now()))

    model = build(saved, now())
    if tty:
        text = view.render(model, links=view.Links(Path(result.root)), timings=True)
        out.print(text, soft_wrap=True)
        out.print(f"results: {results_file}", style="dim", soft_wrap=True)
    else:
        click.echo(view.render(model).plain, nl=False)
        click.echo(f"results: {results_file}")
    return int(judge.exit_code(decision))
