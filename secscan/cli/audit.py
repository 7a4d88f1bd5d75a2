"""`secscan audit`: a person at a terminal; live scanner progress, then findings grouped."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live

from secscan.app.registry import installed
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
    report_dir,
    with_tree_warnings,
    write_reports,
)
from secscan.cli._recording import history_option, record_run
from secscan.cli.views import audit as view
from secscan.history.model import Source
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.report.model import build
from secscan.scan import pipeline

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
    no_cache: bool,
    history_url: str | None,
) -> int:
    """Scan PATH and show every finding, by severity and by control, with file:line places.

    On a terminal: live progress per scanner, colour and clickable locations. Piped: plain,
    stable text. Exit codes as for `secscan scan`.
    """
    config = installed().load_config(path, config_file)
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
    decision = with_tree_warnings(
        decision,
        root,
        config,
        inputs,
        config_file=config_file,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
    )
    saved = SavedResults(result, decision)
    recorded = record_run(
        saved,
        history_url,
        config,
        source=Source.AUDIT,
        root=root,
        profile=inputs.profile,
        now=now(),
    )

    folder = report_dir(output_dir, config, root)
    (results_file,) = write_reports(saved, folder, ["json"], now())

    model = build(saved, now())
    if tty:
        text = view.render(
            model, links=view.Links(Path(result.root)), timings=True, width=out.width
        )
        out.print(text, soft_wrap=True)
        out.print(f"results: {results_file}", style="dim", soft_wrap=True)
    else:
        click.echo(view.render(model).plain, nl=False)
        click.echo(f"results: {results_file}")
    recorded.raise_error()
    return int(judge.exit_code(decision))
