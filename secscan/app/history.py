"""The history of judged runs, as the `history` commands read and fill it: the store,
lifecycles, trends and backfilling saved results. (Recording a run is a step of `Run`.)

This module imports the database layer; commands that only record import `app.run`.
"""

from __future__ import annotations

from secscan.app.run import utcnow
from secscan.history import ENV_URL, repository
from secscan.history.lifecycle import Lifecycle, lifecycles
from secscan.history.lines import trends as line_trends
from secscan.history.model import Source, from_saved
from secscan.history.store import SqlStore, default_url
from secscan.history.trends import Trends, compute
from secscan.model.results import SavedResults, load
from secscan.util.atomic import write_atomic

__all__ = [
    "ENV_URL",
    "Lifecycle",
    "SavedResults",
    "Source",
    "SqlStore",
    "Trends",
    "compute",
    "default_url",
    "from_saved",
    "lifecycles",
    "line_trends",
    "load",
    "repository",
    "utcnow",
    "write_atomic",
]
