"""--history and recording a judged run: what `scan`, `ci` and `audit` share, kept apart from
the `history` commands so a run that records nothing never imports the database layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click

from secscan.history import ENV_URL, HistoryError, Trends, wanted
from secscan.history import record as record_history
from secscan.history.model import Source
from secscan.model.results import SavedResults
from secscan.policy.models import Profile
from secscan.settings.config import Config

history_option = click.option(
    "--history",
    "history_url",
    metavar="URL",
    default=None,
    help=f"Record this run in a history database: sqlite:///PATH or postgresql://... "
    f"[default: ${ENV_URL} when the config's `history` asks for it, or for `ci`].",
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording gave: the branch's trends, or the error to raise once reports are out."""

    trends: Trends | None = None
    error: HistoryError | None = None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


def record_run(
    saved: SavedResults,
    option: str | None,
    config: Config,
    *,
    source: Source,
    root: Path,
    profile: Profile,
    now: datetime,
) -> Recorded:
    """After the gate: record the run when asked to. A history that cannot be written does
    not stop the reports; the command then exits 2 naming the database (never its password).
    """
    url = wanted(option, config.history, source)
    if url is None:
        return Recorded()
    try:
        trends = record_history(
            saved, url, source=source, root=root, deadlines=profile.deadlines.days(), now=now
        )
    except HistoryError as e:
        return Recorded(error=e)
    from secscan.history.store import shown

    click.echo(f"history: recorded in {shown(url)} ({trends.summary_line()})", err=True)
    return Recorded(trends)
