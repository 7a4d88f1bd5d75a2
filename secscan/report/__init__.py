"""The one format registry: every report format, for scan results and for compliance documents.

Adding a format is one module and one line in `REGISTRY`. Config validation, the CLI's
`--format` choices, `secscan ci` and the docs derive from this table (tests check each). The
table is data (module paths, imported when a format renders), so the config at the bottom
layer validates format names without importing a renderer.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from secscan.errors import UsageError

if TYPE_CHECKING:
    from secscan.history.trends import Trends
    from secscan.model.results import SavedResults


class Kind(StrEnum):
    #: `render(saved, now) -> str`: one report of a scan (`secscan scan/report/ci --format`).
    SCAN = "scan"
    #: `function(view: ComplianceView) -> str`: one framework's evidence document
    #: (`secscan compliance --format`); the file name has an `{id}` for the framework.
    COMPLIANCE = "compliance"


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    filename: str
    module: str
    kind: Kind = Kind.SCAN
    function: str = "render"
    #: A format written as several files: this function returns {file name: text}, and
    #: `filename` is the pattern the names follow (the CLI writes `outputs`).
    files: str | None = None
    #: The renderer also takes `trends=` (a history's view of the branch) and draws them.
    trends: bool = False
    #: Written only when asked for by name (an older version of another format), not by
    #: `secscan ci`, which writes every other format.
    on_request: bool = False

    def renderer(self) -> Callable[..., str]:
        fn: Callable[..., str] = getattr(importlib.import_module(self.module), self.function)
        return fn

    def render(
        self,
        saved: SavedResults,
        now: datetime,
        *,
        framework: str | None = None,
        trends: Trends | None = None,
    ) -> str:
        """The format's text; a compliance format renders one `framework` of the results."""
        extra: dict[str, Any] = {"trends": trends} if self.trends and trends is not None else {}
        if self.kind is Kind.SCAN:
            return self.renderer()(saved, now, **extra)
        if framework is None:
            raise UsageError(f"the compliance format {self.name!r} needs a framework id")
        compliance: Any = importlib.import_module("secscan.report.compliance")
        return self.renderer()(compliance.view(saved, now, framework), **extra)

    @property
    def pattern(self) -> str:
        """A glob matching every file this format writes (`secscan-defectdojo-*.json`)."""
        return re.sub(r"\{[a-z]+\}", "*", self.filename)

    def outputs(
        self, saved: SavedResults, now: datetime, trends: Trends | None = None
    ) -> dict[str, str]:
        """File name -> text of every file this scan format writes."""
        if self.files is None:
            return {self.filename: self.render(saved, now, trends=trends)}
        split: Callable[..., dict[str, str]] = getattr(
            importlib.import_module(self.module), self.files
        )
        return split(saved, now)

    def target(self, framework: str | None = None) -> str:
        """The file it is written to (a compliance document's names the framework)."""
        if self.kind is Kind.SCAN:
            return self.filename
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in framework or "")
        return self.filename.format(id=safe)


_C = Kind.COMPLIANCE
_GL = "secscan.report.gitlab"
_PI = "secscan.report.privacy_inventory"

#: Every format secscan writes. Adding one: a module rendering it, and one line here.
REGISTRY: tuple[Format, ...] = (
    Format("json", "secscan-results.json", "secscan.report.results_json"),
    Format("sarif", "secscan.sarif", "secscan.report.sarif"),
    Format("html", "secscan-report.html", "secscan.report.html", trends=True),
    Format("markdown", "secscan-summary.md", "secscan.report.markdown", trends=True),
    Format("junit", "secscan-junit.xml", "secscan.report.junit"),
    Format("gitlab-sast", "gl-sast-report.json", _GL, function="render_sast"),
    Format(
        "gitlab-dependency-scanning",
        "gl-dependency-scanning-report.json",
        _GL,
        function="render_dependency_scanning",
    ),
    Format(
        "gitlab-container-scanning",
        "gl-container-scanning-report.json",
        _GL,
        function="render_container_scanning",
    ),
    Format(
        "gitlab-secret-detection",
        "gl-secret-detection-report.json",
        _GL,
        function="render_secret_detection",
    ),
    Format("gitlab-codequality", "gl-code-quality-report.json", "secscan.report.codequality"),
    Format(
        "defectdojo",
        "secscan-defectdojo-{scanner}.json",
        "secscan.report.defectdojo",
        files="render_files",
    ),
    Format("cyclonedx", "secscan-sbom.cdx.json", "secscan.report.cyclonedx"),
    Format("notice", "secscan-third-party-notices.txt", "secscan.report.notice"),
    Format("privacy-inventory", "secscan-privacy-inventory.md", _PI, function="render_markdown"),
    Format("privacy-inventory-json", "secscan-privacy-inventory.json", _PI, function="render_json"),
    Format("privacy-inventory-html", "secscan-privacy-inventory.html", _PI, function="render_html"),
    Format("openvex", "secscan.openvex.json", "secscan.report.openvex", files="render_files"),
    Format("oscal", "secscan-oscal.json", "secscan.report.oscal"),
    Format(
        "oscal-1.0.6",
        "secscan-oscal-1.0.6.json",
        "secscan.report.oscal",
        function="render_legacy",
        on_request=True,
    ),
    Format(
        "html", "compliance-{id}.html", "secscan.report.compliance", _C, "render_html", trends=True
    ),
    Format("markdown", "compliance-{id}.md", "secscan.report.compliance", _C, "render_markdown"),
    Format("json", "compliance-{id}.json", "secscan.report.compliance", _C, "render_json"),
    Format("oscal", "compliance-{id}.oscal.json", "secscan.report.oscal", _C, "render_view"),
    Format(
        "oscal-1.0.6",
        "compliance-{id}.oscal-1.0.6.json",
        "secscan.report.oscal",
        _C,
        "render_view_legacy",
        on_request=True,
    ),
)


def formats(kind: Kind) -> dict[str, Format]:
    return {f.name: f for f in REGISTRY if f.kind is kind}


#: Scan-report formats by name: `--format` of scan, report and ci; the config's `formats`.
FORMATS: dict[str, Format] = formats(Kind.SCAN)
#: What `secscan ci` writes: every scan format but those written only on request.
CI_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if not f.on_request)
#: Compliance-document formats by name: `secscan compliance --format`.
COMPLIANCE_FORMATS: dict[str, Format] = formats(Kind.COMPLIANCE)
