"""Report formats: each module renders results + decision to text; only the CLI writes files."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from secscan.results import SavedResults

Renderer = Callable[[SavedResults, datetime], str]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    filename: str
    module: str

    def render(self, saved: SavedResults, now: datetime) -> str:
        render: Renderer = importlib.import_module(self.module).render
        return render(saved, now)


#: Adding a format is one module with `render(saved, now) -> str` and one line here.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "secscan-results.json", "secscan.report.results_json"),
        Format("sarif", "secscan.sarif", "secscan.report.sarif"),
        Format("html", "secscan-report.html", "secscan.report.html"),
        Format("markdown", "secscan-summary.md", "secscan.report.markdown"),
        Format("junit", "secscan-junit.xml", "secscan.report.junit"),
    )
}
