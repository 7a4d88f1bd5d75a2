"""--history: the option of the commands that record a judged run (`scan`, `ci`, `audit`),
kept apart from the `history` commands so a run that records nothing never imports the
database layer."""

from __future__ import annotations

import click

from secscan.app.values import HISTORY_ENV

history_option = click.option(
    "--history",
    "history_url",
    metavar="URL",
    default=None,
    help=f"Record this run in a history database: sqlite:///PATH or postgresql://... "
    f"[default: ${HISTORY_ENV} when the config's `history` asks for it, or for `ci`].",
)
