"""The format registry: every report format, for scan results and for compliance documents.

A format is its renderer, a function reference. Adding a built-in format is one module in
this folder, a function here that imports and calls it, and one `Format(...)` line in
`BUILTINS`; a third party registers a `Format`
under the `secscan.formats` entry-point group instead. Config validation (`formats:`), the
CLI's `--format` choices, `secscan ci` and the docs derive from the registry (tests check
each). The settings layer never imports this module: the application hands the format
names down (`secscan.app.registry`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from secscan.errors import UsageError

if TYPE_CHECKING:
    from secscan.history.trends import Trends
    from secscan.model.results import SavedResults
    from secscan.report.compliance import ComplianceView

log = logging.getLogger(__name__)

#: The entry-point group third-party packages register a `Format` under.
ENTRY_POINT_GROUP = "secscan.formats"


class Kind(StrEnum):
    """Which documents a format writes."""

    #: `render(saved, now) -> str`: one report of a scan (`secscan scan/report/ci --format`).
    SCAN = "scan"
    #: `render(view: ComplianceView) -> str`: one framework's evidence document
    #: (`secscan compliance --format`); the file name has an `{id}` for the framework.
    COMPLIANCE = "compliance"


@dataclass(frozen=True, slots=True)
class Format:
    """One report format: its name, the file it writes and the function that renders it."""

    name: str
    filename: str
    #: The renderer: `(saved, now) -> str` for a scan format, `(ComplianceView) -> str` for
    #: a compliance one; with `trends=True` it also takes `trends=`.
    renderer: Callable[..., str]
    kind: Kind = Kind.SCAN
    #: A format written as several files: this function returns {file name: text}, and
    #: `filename` is the pattern the names follow (the CLI writes `outputs`).
    files: Callable[[SavedResults, datetime], dict[str, str]] | None = None
    #: The renderer also takes `trends=` (a history's view of the branch) and draws them.
    trends: bool = False
    #: Written only when asked for by name (an older version of another format), not by
    #: `secscan ci`, which writes every other format.
    on_request: bool = False

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
            return self.renderer(saved, now, **extra)
        if framework is None:
            raise UsageError(f"the compliance format {self.name!r} needs a framework id")
        from secscan.report import compliance

        return self.renderer(compliance.view(saved, now, framework), **extra)

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
        return self.files(saved, now)

    def target(self, framework: str | None = None) -> str:
        """The file it is written to (a compliance document's names the framework)."""
        if self.kind is Kind.SCAN:
            return self.filename
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in framework or "")
        return self.filename.format(id=safe)


# --- the renderers, by reference ----------------------------------------------------------
# Each imports its module when it first renders: a command that only checks format names
# (the pre-commit hook loading its config) does not pay for twelve renderer modules and
# their libraries (1.6 s of imports). The imports are plain statements: mypy checks each
# call and the layer test reads them.


def _results_json(saved: SavedResults, now: datetime) -> str:
    from secscan.report import results_json

    return results_json.render(saved, now)


def _sarif(saved: SavedResults, now: datetime) -> str:
    from secscan.report import sarif

    return sarif.render(saved, now)


def _html(saved: SavedResults, now: datetime, trends: Trends | None = None) -> str:
    from secscan.report import html

    return html.render(saved, now, trends)


def _markdown(saved: SavedResults, now: datetime, trends: Trends | None = None) -> str:
    from secscan.report import markdown

    return markdown.render(saved, now, trends)


def _junit(saved: SavedResults, now: datetime) -> str:
    from secscan.report import junit

    return junit.render(saved, now)


def _gitlab_sast(saved: SavedResults, now: datetime) -> str:
    from secscan.report import gitlab

    return gitlab.render_sast(saved, now)


def _gitlab_dependency_scanning(saved: SavedResults, now: datetime) -> str:
    from secscan.report import gitlab

    return gitlab.render_dependency_scanning(saved, now)


def _gitlab_container_scanning(saved: SavedResults, now: datetime) -> str:
    from secscan.report import gitlab

    return gitlab.render_container_scanning(saved, now)


def _gitlab_secret_detection(saved: SavedResults, now: datetime) -> str:
    from secscan.report import gitlab

    return gitlab.render_secret_detection(saved, now)


def _codequality(saved: SavedResults, now: datetime) -> str:
    from secscan.report import codequality

    return codequality.render(saved, now)


def _defectdojo(saved: SavedResults, now: datetime) -> str:
    from secscan.report import defectdojo

    return defectdojo.render(saved, now)


def _defectdojo_files(saved: SavedResults, now: datetime) -> dict[str, str]:
    from secscan.report import defectdojo

    return defectdojo.render_files(saved, now)


def _cyclonedx(saved: SavedResults, now: datetime) -> str:
    from secscan.report import cyclonedx

    return cyclonedx.render(saved, now)


def _notice(saved: SavedResults, now: datetime) -> str:
    from secscan.report import notice

    return notice.render(saved, now)


def _privacy_markdown(saved: SavedResults, now: datetime) -> str:
    from secscan.report import privacy_inventory

    return privacy_inventory.render_markdown(saved, now)


def _privacy_json(saved: SavedResults, now: datetime) -> str:
    from secscan.report import privacy_inventory

    return privacy_inventory.render_json(saved, now)


def _privacy_html(saved: SavedResults, now: datetime) -> str:
    from secscan.report import privacy_inventory

    return privacy_inventory.render_html(saved, now)


def _openvex(saved: SavedResults, now: datetime) -> str:
    from secscan.report import openvex

    return openvex.render(saved, now)


def _openvex_files(saved: SavedResults, now: datetime) -> dict[str, str]:
    from secscan.report import openvex

    return openvex.render_files(saved, now)


def _oscal(saved: SavedResults, now: datetime) -> str:
    from secscan.report import oscal

    return oscal.render(saved, now)


def _oscal_legacy(saved: SavedResults, now: datetime) -> str:
    from secscan.report import oscal

    return oscal.render_legacy(saved, now)


def _compliance_html(cv: ComplianceView, trends: Trends | None = None) -> str:
    from secscan.report import compliance

    return compliance.render_html(cv, trends)


def _compliance_markdown(cv: ComplianceView) -> str:
    from secscan.report import compliance

    return compliance.render_markdown(cv)


def _compliance_json(cv: ComplianceView) -> str:
    from secscan.report import compliance

    return compliance.render_json(cv)


def _oscal_view(cv: ComplianceView) -> str:
    from secscan.report import oscal

    return oscal.render_view(cv)


def _oscal_view_legacy(cv: ComplianceView) -> str:
    from secscan.report import oscal

    return oscal.render_view_legacy(cv)


_C = Kind.COMPLIANCE

#: Every built-in format. Adding one: a module rendering it, a function above calling it,
#: and one line here.
BUILTINS: tuple[Format, ...] = (
    Format("json", "secscan-results.json", _results_json),
    Format("sarif", "secscan.sarif", _sarif),
    Format("html", "secscan-report.html", _html, trends=True),
    Format("markdown", "secscan-summary.md", _markdown, trends=True),
    Format("junit", "secscan-junit.xml", _junit),
    Format("gitlab-sast", "gl-sast-report.json", _gitlab_sast),
    Format(
        "gitlab-dependency-scanning",
        "gl-dependency-scanning-report.json",
        _gitlab_dependency_scanning,
    ),
    Format(
        "gitlab-container-scanning", "gl-container-scanning-report.json", _gitlab_container_scanning
    ),
    Format("gitlab-secret-detection", "gl-secret-detection-report.json", _gitlab_secret_detection),
    Format("gitlab-codequality", "gl-code-quality-report.json", _codequality),
    Format("defectdojo", "secscan-defectdojo-{scanner}.json", _defectdojo, files=_defectdojo_files),
    Format("cyclonedx", "secscan-sbom.cdx.json", _cyclonedx),
    Format("notice", "secscan-third-party-notices.txt", _notice),
    Format("privacy-inventory", "secscan-privacy-inventory.md", _privacy_markdown),
    Format("privacy-inventory-json", "secscan-privacy-inventory.json", _privacy_json),
    Format("privacy-inventory-html", "secscan-privacy-inventory.html", _privacy_html),
    Format("openvex", "secscan.openvex.json", _openvex, files=_openvex_files),
    Format("oscal", "secscan-oscal.json", _oscal),
    Format("oscal-1.0.6", "secscan-oscal-1.0.6.json", _oscal_legacy, on_request=True),
    Format("html", "compliance-{id}.html", _compliance_html, _C, trends=True),
    Format("markdown", "compliance-{id}.md", _compliance_markdown, _C),
    Format("json", "compliance-{id}.json", _compliance_json, _C),
    Format("oscal", "compliance-{id}.oscal.json", _oscal_view, _C),
    Format(
        "oscal-1.0.6", "compliance-{id}.oscal-1.0.6.json", _oscal_view_legacy, _C, on_request=True
    ),
)


@dataclass(frozen=True)
class Formats:
    """The formats of one process: the built-ins and the `secscan.formats` plugins."""

    all: tuple[Format, ...] = BUILTINS

    @classmethod
    def load(
        cls, builtins: Iterable[Format] = BUILTINS, *, group: str | None = ENTRY_POINT_GROUP
    ) -> Formats:
        """Built-ins plus each `Format` installed under `group` (None: built-ins only).

        A plugin naming a built-in format of its kind, or one that fails to load or is no
        `Format`, is left out with a warning.
        """
        table = list(builtins)
        taken = {(f.kind, f.name) for f in table}
        found = entry_points(group=group) if group is not None else ()
        for ep in sorted(found, key=lambda e: e.name):
            try:
                fmt = ep.load()
            except Exception as e:  # noqa: BLE001 - a broken plugin must not take down the rest
                log.warning("cannot load format plugin %r (%s): %s", ep.name, ep.value, e)
                continue
            if not isinstance(fmt, Format) or (fmt.kind, fmt.name) in taken:
                log.warning("ignoring format plugin %r: no Format, or a name taken", ep.name)
                continue
            taken.add((fmt.kind, fmt.name))
            table.append(fmt)
        return cls(tuple(table))

    def of(self, kind: Kind) -> dict[str, Format]:
        """The formats of one kind, by name."""
        return {f.name: f for f in self.all if f.kind is kind}

    @property
    def scan(self) -> dict[str, Format]:
        """Scan-report formats by name: `--format` of scan, report and ci; `formats:`."""
        return self.of(Kind.SCAN)

    @property
    def compliance(self) -> dict[str, Format]:
        """Compliance-document formats by name: `secscan compliance --format`."""
        return self.of(Kind.COMPLIANCE)

    @property
    def ci(self) -> tuple[str, ...]:
        """What `secscan ci` writes: every scan format but those written only on request."""
        return tuple(n for n, f in self.scan.items() if not f.on_request)


def formats(kind: Kind) -> dict[str, Format]:
    """The built-in formats of one kind, by name."""
    return {f.name: f for f in BUILTINS if f.kind is kind}


#: Built-in scan-report formats by name.
FORMATS: Mapping[str, Format] = formats(Kind.SCAN)
#: What `secscan ci` writes of the built-ins.
CI_FORMATS: tuple[str, ...] = Formats().ci
#: Built-in compliance-document formats by name.
COMPLIANCE_FORMATS: Mapping[str, Format] = formats(Kind.COMPLIANCE)


def render_compliance(
    saved: SavedResults,
    now: datetime,
    *,
    framework: str,
    fmt: str,
    trends: Trends | None = None,
    table: Mapping[str, Format] = COMPLIANCE_FORMATS,
) -> str:
    """One framework's evidence document in the compliance format `fmt`."""
    if fmt not in table:
        raise UsageError(f"no compliance format {fmt!r}; use one of {', '.join(table)}")
    return table[fmt].render(saved, now, framework=framework, trends=trends)
