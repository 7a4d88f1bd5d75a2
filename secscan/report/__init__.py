"""Report formats: each module renders results + decision to text; only the CLI writes files."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from secscan.history.trends import Trends
from secscan.results import SavedResults

Renderer = Callable[[SavedResults, datetime], str]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    filename: str
    module: str
    #: The module's render also takes `trends=` (a history's view of the branch).
    trends: bool = False

    def render(self, saved: SavedResults, now: datetime, trends: Trends | None = None) -> str:
        module = importlib.import_module(self.module)
        if self.trends and trends is not None:
            return str(module.render(saved, now, trends=trends))
        render: Renderer = module.render
        return render(saved, now)


#: Adding a format is one module with `render(saved, now) -> str` and one line here.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "secscan-results.json", "secscan.report.results_json"),
        Format("sarif", "secscan.sarif", "secscan.report.sarif"),
        Format("html", "secscan-report.html", "secscan.report.html", trends=True),
        Format("markdown", "secscan-summary.md", "secscan.report.markdown", trends=True),
        Format("junit", "secscan-junit.xml", "secscan.report.junit"),
    )
}
