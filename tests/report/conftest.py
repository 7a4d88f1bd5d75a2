"""Fixtures for the report tests; the data builders live in reportdata.py."""

from __future__ import annotations

import pytest
from reportdata import rich_saved

from secscan.model.results import SavedResults


@pytest.fixture
def rich() -> SavedResults:
    return rich_saved()
