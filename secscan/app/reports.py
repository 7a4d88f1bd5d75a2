"""Documents built from judged results: the report model the terminal views draw (and its
values), and the compliance evidence documents (`secscan compliance`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from secscan import history
from secscan.app.merge import merge
from secscan.app.registry import installed
from secscan.errors import UsageError
from secscan.model.results import SavedResults
from secscan.report.formats import render_compliance
from secscan.report.model import (
    SEVERITIES,
    ControlView,
    FindingView,
    ReportModel,
    Verdict,
    build,
)

__all__ = [
    "COMPLIANCE_FORMATS",
    "SEVERITIES",
    "ControlView",
    "FindingView",
    "ReportModel",
    "Verdict",
    "compliance_documents",
    "compliance_frameworks",
    "merge",
    "model",
]


#: Compliance-document formats by name: `secscan compliance --format`.
COMPLIANCE_FORMATS = installed().formats.compliance


def model(saved: SavedResults, when: datetime) -> ReportModel:
    """The report model the terminal views draw (built once, as every format builds it)."""
    return build(saved, when)


def compliance_frameworks(
    saved: SavedResults, when: datetime, frameworks: Iterable[str]
) -> list[str]:
    """The frameworks named, else every framework the results were judged against."""
    wanted = list(frameworks) or [fw.id for fw in build(saved, when).frameworks]
    if not wanted:
        raise UsageError("these results were not judged against any framework")
    return wanted


def compliance_documents(
    saved: SavedResults,
    when: datetime,
    frameworks: Iterable[str],
    fmt: str,
    history_url: str | None = None,
) -> Iterator[tuple[str, str]]:
    """(file name, text) of the evidence document for each framework. With a history, the
    HTML document gains the branch's trends."""
    trends = None
    if history_url and fmt == "html":
        trends = history.trends_for(Path(saved.result.root), history_url, when)
    for framework in frameworks:
        text = render_compliance(
            saved, when, framework=framework, fmt=fmt, trends=trends, table=COMPLIANCE_FORMATS
        )
        yield COMPLIANCE_FORMATS[fmt].target(framework), text
