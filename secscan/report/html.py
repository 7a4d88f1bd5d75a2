"""The self-contained HTML report: one file, inline CSS/JS/SVG, a CSP that forbids every fetch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from secscan.findings import FindingKind
from secscan.history.trends import Trends
from secscan.report import _jinja, trend_charts
from secscan.report.model import SEVERITIES, FindingView, ReportModel, build, slug
from secscan.results import SavedResults

TEMPLATE = "report.html.j2"
CSS = "report.css"
JS = "report.js"
#: Width in px of the longest bar in the severity chart.
CHART_WIDTH = 240


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    width: int
    css: str


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


def render(saved: SavedResults, now: datetime, trends: Trends | None = None) -> str:
    return render_model(build(saved, now), trends)


def render_model(model: ReportModel, trends: Trends | None = None) -> str:
    css, js = _jinja.asset(CSS), _jinja.asset(JS)
    return _jinja.render(
        TEMPLATE,
        m=model,
        trends=trend_charts.view(trends) if trends is not None else None,
        css=css,
        js=js,
        csp=content_security_policy(css, js),
        severity_bars=_bars(model),
        options=_options(model),
        slug=slug,
        search=search_text,
    )


def content_security_policy(css: str, js: str) -> str:
    """Nothing may load: no fetch, no font, no frame, no form; only our own inline CSS and JS run.

    Hashes, not nonces: the file is static, so a nonce would be a constant anyone could copy.
    """
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {_jinja.csp_hash(css)}",
            f"script-src {_jinja.csp_hash(js)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def search_text(fv: FindingView) -> str:
    """What the report's search box matches: everything a reader might type, lower-cased."""
    f = fv.finding
    words = [
        f.rule_id,
        f.title,
        f.message,
        f.location.path,
        f.scanner,
        f.kind.value,
        f.package.name if f.package else "",
        *fv.control_ids,
        *fv.control_keys,
        *(f"cwe-{n}" for n in f.cwe),
        *f.aliases,
        f.fingerprint,
    ]
    return " ".join(w for w in words if w).lower()


def _bars(model: ReportModel) -> list[Bar]:
    counts = model.by_severity
    top = max((n for _, n in counts), default=0) or 1
    return [
        Bar(s.value, n, max(2 if n else 0, round(CHART_WIDTH * n / top)), f"sev-{s.value}")
        for s, n in counts
    ]


def _options(model: ReportModel) -> dict[str, list[Option]]:
    present_sev = {fv.finding.severity for fv in model.findings}
    present_kind = {fv.finding.kind for fv in model.findings}
    controls = {
        slug(key): key for fv in model.findings for key in (fv.control_keys or fv.control_ids)
    }
    return {
        "severity": [Option(s.value, s.value) for s in SEVERITIES if s in present_sev],
        "scanner": [Option(s, s) for s in sorted({fv.finding.scanner for fv in model.findings})],
        "kind": [Option(k.value, k.value) for k in FindingKind if k in present_kind],
        "control": [Option(k, v) for k, v in sorted(controls.items(), key=lambda kv: kv[1])],
    }
