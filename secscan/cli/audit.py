"""`secscan audit`: a person at a terminal; live scanner progress, then findings grouped."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live

from secscan.app import reports
from secscan.app.run import Output, Run, Scope
from secscan.app.settings import Options, for_tree, registry
from secscan.app.values import Source
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
)
from secscan.cli._recording import history_option
from secscan.cli.views import audit as view

PROFILE = "audit"


def console() -> Console:
    """Colour, links and progress only on a terminal; rich itself honours NO_COLOR."""
    return Console(file=sys.stdout, highlight=False, emoji=False)


@click.command()
@path_argument
@click.option("--profile", default=PROFILE, show_default=True, help="Gate profile.")
@output_dir_option("secscan-results.json goes, for `secscan explain` and `secscan report`")
@judging_options
@no_cache_option
@history_option
def audit(
    path: Path,
    profile: str,
    output_dir: Path | None,
    config_file: Path | None,
    policy_dir: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    tools_lock: Path | None,
    no_cache: bool,
    history_url: str | None,
) -> int:
    """Scan PATH and show every finding, by severity and by control, with file:line places.

    On a terminal: live progress per scanner, colour and clickable locations. Piped: plain,
    stable text. Exit codes as for `secscan scan`.
    """
    settings = for_tree(
        path,
        Options(config_file, profile, policy_dir, waivers, baseline, tools_lock=tools_lock),
        registry(),
    )
    out = console()
    tty = out.is_terminal
    board = view.Board() if tty else None
    output = Output(("json",), output_dir, source=Source.AUDIT, history=history_url)
    run = Run(settings, Scope(use_cache=not no_cache, progress=board), output)
    if board is not None:
        with Live(get_renderable=board.render, console=out, refresh_per_second=8, transient=True):
            scanned = run.scan()
    else:
        scanned = run.scan()
    outcome = run.finish(scanned)
    if outcome.recorded:
        click.echo(outcome.recorded, err=True)
    (results_file,) = outcome.written
    model = reports.model(outcome.saved, run.clock())
    if tty:
        links = view.Links(Path(outcome.saved.result.root))
        out.print(view.render(model, links=links, timings=True, width=out.width), soft_wrap=True)
        out.print(f"results: {results_file}", style="dim", soft_wrap=True)
    else:
        click.echo(view.render(model).plain, nl=False)
        click.echo(f"results: {results_file}")
    outcome.raise_history_error()
    return int(outcome.exit_code)
