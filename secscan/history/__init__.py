"""History: every recorded scan, each finding's life by fingerprint, trends and deadlines.

`record()` is what `scan`, `ci` and `audit` call after the gate has decided. The database
layer (SQLAlchemy, Alembic: a third of a second to import) is imported only by a run that
records or reads history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from secscan.errors import HistoryError
from secscan.history import repository
from secscan.history.model import Source, from_saved
from secscan.history.trends import Trends
from secscan.model.findings import Severity
from secscan.model.results import SavedResults

#: The database a CI fleet shares (with its password in PGPASSWORD or ~/.pgpass, not here).
ENV_URL = "SECSCAN_HISTORY"

__all__ = ["ENV_URL", "HistoryError", "Trends", "record", "trends_for", "wanted"]


def wanted(option: str | None, switch: bool | None, source: Source) -> str | None:
    """The history URL this run records to, or None.

    --history URL always records. The config's `history: false` turns recording off, `true`
    turns it on for every command (to $SECSCAN_HISTORY, else a file in the user's data
    directory). Unset, `ci` records when $SECSCAN_HISTORY names a database. The URL never
    comes from the scanned repository's config: a repository must not choose where its
    findings, and the database password, are sent.
    """
    if option:
        return option
    env = os.environ.get(ENV_URL) or None
    if switch is False:
        return None
    if switch is True:
        from secscan.history.store import default_url

        return env or default_url()
    return env if source is Source.CI else None


def trends_for(root: Path, url: str, now: datetime) -> Trends | None:
    """The recorded trends of the repository and branch at `root` (read only), if any."""
    from secscan.history import lines
    from secscan.history.store import SqlStore

    repo, branch = repository.identity(root), repository.branch(root)
    store = SqlStore.open(url)
    try:
        return lines.trends(store, repo, branch, now)
    finally:
        store.close()


def record(
    saved: SavedResults,
    url: str,
    *,
    source: Source,
    root: Path,
    deadlines: Mapping[Severity, int | None] | None,
    now: datetime,
    settings_digest: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> Trends:
    """Record a judged run (all of it or nothing), rewrite its branch's summaries for the
    dashboard, and return the branch's trends. `tags`: the repository's labels (a fleet
    manifest's), made its labels when given."""
    from secscan.history import summary
    from secscan.history.store import SqlStore

    repo = repository.identity(root)
    branch = repository.branch(root)
    run = from_saved(
        saved,
        repository=repo,
        source=source,
        branch=branch,
        deadlines=deadlines,
        settings_digest=settings_digest,
    )
    store = SqlStore.open(url)
    try:
        if tags is not None:
            store.set_tags(repo, tags)
        store.record(run)
        return summary.record_line(store, repo, branch, now)
    finally:
        store.close()
