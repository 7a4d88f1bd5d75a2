"""Options several commands share, defined once so their names and help never drift apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from secscan._atomic import write_atomic
from secscan.config import Config
from secscan.history.trends import Trends
from secscan.report import FORMATS
from secscan.results import SavedResults

F = TypeVar("F", bound=Callable[..., Any])

path_argument = click.argument(
    "path", type=click.Path(file_okay=False, path_type=Path), default="."
)
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: PATH/.secscan.yaml or [tool.secscan] in PATH/pyproject.toml].",
)
policy_option = click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory, merged over the shipped library [default: config `policy`].",
)
waivers_option = click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file [default: config `waivers`, else PATH/.secscan-waivers.yaml if present].",
)
baseline_option = click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline file (or an older secscan-results.json): findings in it are not new "
    "[default: config `baseline`].",
)
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Do not use or fill the per-file result cache."
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print only the gate verdict.")


def output_dir_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--output-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where {what} [default: config `output_dir`, else secscan-reports/ here].",
    )


def judging_options(f: F) -> F:
    """--config, --policy, --waivers, --baseline: what every judging command reads."""
    for option in (baseline_option, waivers_option, policy_option, config_option):
        f = option(f)
    return f


def report_dir(output_dir: Path | None, config: Config) -> Path:
    return output_dir or config.resolve(config.output_dir) or Path.cwd() / "secscan-reports"


def write_reports(
    saved: SavedResults,
    folder: Path,
    names: Iterable[str],
    now: datetime,
    trends: Trends | None = None,
) -> list[str]:
    """Render and write each named format; returns the paths written."""
    written = []
    for name in names:
        fmt = FORMATS[name]
        target = folder / fmt.filename
        write_atomic(target, fmt.render(saved, now, trends))
        written.append(str(target))
    return written
