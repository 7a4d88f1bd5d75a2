"""History tests run twice: on a SQLite file and on a real PostgreSQL server this suite starts
(tests/pgserver.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pgserver import new_database, postgres_server

__all__ = ["history_url", "postgres_server"]


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty history database on each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return new_database(server)
