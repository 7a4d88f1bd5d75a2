"""The last recorded fleet scan of a repository's branch: what a fleet job compares with to
skip a repository whose HEAD, trusted settings and tool versions have not changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from secscan.history import schema as t
from secscan.history.model import Source
from secscan.history.store import SqlStore, _utc

__all__ = ["LastScan", "last_scan"]


@dataclass(frozen=True)
class LastScan:
    run_id: int
    commit: str | None
    settings_digest: str | None
    at: datetime
    outcome: str | None
    state: str
    #: Each scanner's tool version as the run recorded it (None: not known).
    tools: dict[str, str | None]

    def same(self, commit: str, settings_digest: str, tools: dict[str, str | None]) -> bool:
        """Whether a scan of `commit` with these settings and tools would repeat this run:
        every tool version the run recorded is the one installed now (the scanner list is
        part of the settings). A run whose scanners failed is never taken as a result."""
        return (
            self.state == "complete"
            and self.commit == commit
            and self.settings_digest == settings_digest
            and all(tools.get(name) == v for name, v in self.tools.items() if v is not None)
        )


def last_scan(store: SqlStore, repository: str, branch: str | None) -> LastScan | None:
    """The newest fleet run of the repository's branch, or None."""
    r, rp, s = t.runs, t.repositories, t.scanner_runs
    q = (
        select(r.c.id, r.c.commit_sha, r.c.settings_digest, r.c.at, r.c.outcome, r.c.status)
        .join(rp, rp.c.id == r.c.repository_id)
        .where(
            rp.c.identity == repository,
            r.c.source == Source.FLEET.value,
            r.c.branch.is_(None) if branch is None else r.c.branch == branch,
        )
        .order_by(r.c.at.desc(), r.c.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(q).first()
        if row is None:
            return None
        tools = {
            x.scanner: x.tool_version
            for x in conn.execute(select(s.c.scanner, s.c.tool_version).where(s.c.run_id == row.id))
        }
    return LastScan(
        run_id=row.id,
        commit=row.commit_sha,
        settings_digest=row.settings_digest,
        at=_utc(row.at),
        outcome=row.outcome,
        state=row.status,
        tools=tools,
    )
