"""`-v`: let secscan's own notes (cache entries refused, advisory lookups) reach stderr."""

from __future__ import annotations

import logging


def notes(verbose: bool) -> None:
    """INFO-level notes of the `secscan` loggers for this command (main() resets the level)."""
    logging.getLogger("secscan").setLevel(logging.INFO if verbose else logging.NOTSET)
