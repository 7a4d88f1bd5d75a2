"""The JSON results file (lossless; see docs/results-schema.md)."""

from __future__ import annotations

from datetime import datetime

from secscan.model.results import SavedResults, dumps


def render(saved: SavedResults, now: datetime) -> str:
    return dumps(saved.result, saved.decision)
