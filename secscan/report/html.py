"""The self-contained HTML report: one file, inline CSS/JS/SVG, a CSP that forbids every fetch.

The page is the template's; the findings table, one `<tbody>` per finding and the bulk of a
big report, is written here (`finding_row`): ten thousand findings through the template's
loop took seconds, mostly in per-value template machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from secscan.history.trends import Trends
from secscan.model.findings import Finding, FindingKind, Location
from secscan.model.results import SavedResults
from secscan.report import _exploit, _jinja, trend_charts
from secscan.report.model import SEVERITIES, FindingView, ReportModel, build, slug
from secscan.util.text import visible

TEMPLATE = "report.html.j2"
CSS = "report.css"
JS = "report.js"
#: Added to JS when the findings table has a Risk column: sorts it by that column.
SORT_JS = "report-sort.js"
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
    risk = _exploit.any_risk(fv.finding for fv in model.findings)
    if risk:  # only then: a report without exploit data is byte for byte what it was
        js += _jinja.asset(SORT_JS)
    return _jinja.render(
        TEMPLATE,
        m=model,
        trends=trend_charts.view(trends) if trends is not None else None,
        css=css,
        js=js,
        csp=content_security_policy(css, js),
        severity_bars=_bars(model),
        options=_options(model),
        finding_rows=finding_rows(_headline_order(model), risk=risk),
        risk_column=risk,
        slug=slug,
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


def _headline_order(model: ReportModel) -> list[FindingView]:
    """Every shown finding, those failing the gate and the gating scopes' first."""
    first = model.headline_findings
    seen = {id(fv) for fv in first}
    return [*first, *(fv for fv in model.findings if id(fv) not in seen)]


def _bars(model: ReportModel) -> list[Bar]:
    counts = model.gating_by_severity
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


def finding_rows(views: Sequence[FindingView], *, risk: bool = False) -> list[Markup]:
    """Each finding's `<tbody>` of the findings table (its row and its hidden detail);
    `risk`: with the Risk column."""
    text = _Text()
    # Markup: every value in a row went through `_Text` (autoescape's escape) above.
    return [Markup(finding_row(fv, text, risk=risk)) for fv in views]  # noqa: S704


class _Text:
    """Scanned text as HTML, as the template writes a value: controls shown (`visible`),
    then escaped with autoescape's own function. Values that repeat across findings (rule,
    file, title, the controls' links) are escaped once."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._controls: dict[tuple[str, ...], tuple[str, str]] = {}

    def __call__(self, value: object) -> str:
        text = visible(value) if isinstance(value, str) else str(value)
        # markupsafe.escape's five replacements (checked against it for every code point),
        # without building a Markup per value.
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("'", "&#39;")
            .replace('"', "&#34;")
        )

    def same(self, value: str) -> str:
        out = self._seen.get(value)
        if out is None:
            out = self._seen[value] = self(value)
        return out

    def controls(self, keys: tuple[str, ...]) -> tuple[str, str]:
        """The `data-controls` filter words and the Controls links of these controls."""
        out = self._controls.get(keys)
        if out is None:
            words = "".join(f"{self(slug(k))} " for k in keys)
            links = ", ".join(f'<a href="#c-{self(slug(k))}">{self(k)}</a>' for k in keys)
            out = self._controls[keys] = (words, links)
        return out


def finding_row(fv: FindingView, text: _Text | None = None, *, risk: bool = False) -> str:
    """One finding's `<tbody>` (every value escaped) as the findings table shows it."""
    t = text or _Text()
    f = fv.finding
    loc = f.location
    anchor = t.same(fv.anchor)
    severity = t.same(f.severity.value)
    scanner = t.same(f.scanner)
    kind = t.same(f.kind.value)
    rule = t.same(f.rule_id)
    path = t.same(loc.path)
    keys = fv.control_keys or fv.control_ids
    words, links = t.controls(keys)
    pkg = f.package

    title_extra = f" · {t(pkg.name)} {t(pkg.version)}" if pkg else ""
    if fv.new:
        title_extra += ' · <span class="new">new</span>'
    line = f":{t(loc.start_line)}" if loc.start_line else ""
    kind_note = f' <span class="muted small">{kind}</span>' if f.kind.value != f.scanner else ""
    status = _status(fv, t)
    where = path + _span(loc, t)
    resource = f" · resource <code>{t(f.resource)}</code>" if f.resource else ""
    detail = _detail(f, t)
    facts = _facts(fv, t, links)

    return (
        f'<tbody class="finding" id="{anchor}" data-severity="{severity}" '
        f'data-scanner="{scanner}" data-kind="{kind}" data-status="{t.same(fv.status)}" '
        f'data-controls="{words}" data-search="{t(search_text(fv))}">\n'
        '      <tr class="row">\n'
        f'        <td><span class="sev sev-{severity}">{severity}</span></td>\n'
        f"{_risk_cell(f, t) if risk else ''}"
        '        <td class="title">\n'
        f'          <button type="button" class="toggle" aria-expanded="false" '
        f'aria-controls="{anchor}-detail">{t.same(f.title or f.rule_id)}</button>\n'
        f'          <div class="muted small"><code>{rule}</code>{title_extra}</div>\n'
        "        </td>\n"
        f'        <td class="loc"><code>{path}{line}</code></td>\n'
        f"        <td>{scanner}{kind_note}</td>\n"
        f'        <td class="small">{t.same(", ".join(fv.control_ids))}</td>\n'
        f"        <td>{status}</td>\n"
        "      </tr>\n"
        f'      <tr class="detail" id="{anchor}-detail" hidden>\n'
        f'        <td colspan="{7 if risk else 6}">\n'
        '          <div class="detail-grid">\n'
        "            <div>\n"
        f'              <p class="message">{t(f.message)}</p>\n'
        f'              <p class="small"><b>Location</b> <code>{where}</code>{resource}</p>\n'
        f"{detail}"
        "            </div>\n"
        '            <dl class="facts small">\n'
        f"{facts}"
        f'              <dt>Fingerprint</dt><dd><code class="small">{t(f.fingerprint)}</code>'
        "</dd>\n"
        "            </dl>\n"
        "          </div>\n"
        "        </td>\n"
        "      </tr>\n"
        "    </tbody>\n"
    )


def _status(fv: FindingView, t: _Text) -> str:
    if fv.waived:
        status = '<span class="status status-waived">waived</span>'
    elif fv.suppressed:
        status = '<span class="status status-waived">suppressed inline</span>'
    else:
        status = '<span class="status status-open">open</span>'
    if fv.finding.suppression:
        status += f' <code class="small">{t(fv.finding.suppression.directive)}</code>'
    return status


def _span(loc: Location, t: _Text) -> str:
    """`:line:column-end` after a path, as much of it as the tool gave."""
    if not loc.start_line:
        return ""
    span = f":{t(loc.start_line)}"
    if loc.start_column:
        span += f":{t(loc.start_column)}"
    if loc.end_line and loc.end_line != loc.start_line:
        span += f"-{t(loc.end_line)}"
    return span


def _detail(f: Finding, t: _Text) -> str:
    """The snippet, the remediation and the package under the message."""
    detail = ""
    if f.location.snippet:
        detail += f'<pre class="snippet"><code>{t(f.location.snippet)}</code></pre>'
    detail += _flow(f, t)
    if f.remediation:
        detail += f"<p><b>Remediation</b> {t(f.remediation)}</p>"
    pkg = f.package
    if pkg:
        if pkg.fixed_versions:
            fixed = ", ".join(f"<code>{t(v)}</code>" for v in pkg.fixed_versions)
        else:
            fixed = '<span class="warn">no fixed version known</span>'
        detail += (
            f"              <p><b>Package</b> <code>{t(pkg.name)}</code> {t(pkg.version)} "
            f"({t(pkg.ecosystem)})\n                · <b>fixed in</b> {fixed}</p>\n"
        )
    return detail


def _flow(f: Finding, t: _Text) -> str:
    """The traced data flow, source first and sink last, one `file:line` a step."""
    if not f.flow:
        return ""
    steps = "".join(
        f"<li><code>{t(s.location.path)}{_span(s.location, t)}</code>"
        f"{' ' + t(s.note) if s.note else ''}</li>"
        for s in f.flow
    )
    return f'<p class="small"><b>Code flow</b> (source to sink)</p><ol class="flow">{steps}</ol>'


def _facts(fv: FindingView, t: _Text, links: str) -> str:
    """The detail's fact list (`<dt>`/`<dd>` pairs) above the fingerprint."""
    f = fv.finding
    facts = ""
    if f.cwe:
        cwes = ", ".join(
            f'<a href="https://cwe.mitre.org/data/definitions/{t(n)}.html" '
            f'rel="noopener noreferrer" target="_blank">CWE-{t(n)}</a>'
            for n in f.cwe
        )
        facts += f"<dt>CWE</dt><dd>{cwes}</dd>"
    if f.aliases:
        facts += f"<dt>Aliases</dt><dd>{t(', '.join(f.aliases))}</dd>"
    if f.cvss_score is not None:
        vector = f' <code class="small">{t(f.cvss_vector)}</code>' if f.cvss_vector else ""
        facts += f"<dt>CVSS</dt><dd>{t(f.cvss_score)}{vector}</dd>"
    facts += f"              <dt>Confidence</dt><dd>{t.same(f.confidence.value)}</dd>\n"
    d = f.decided_by
    proven = " (proven safe)" if d.proven_safe else ""
    facts += (
        f"<dt>Severity decided by</dt><dd><code>{t(d.scanner)} {t(d.rule_id)}</code>"
        f"{proven}: {t(d.reason)}</dd>"
    )
    facts += _exploit_facts(f, t)
    if fv.control_keys or fv.control_ids:
        facts += f"<dt>Controls</dt><dd>{links}</dd>"
    if f.references:
        refs = "".join(_reference(u, t) for u in f.references)
        facts += f'<dt>References</dt><dd><ul class="refs">{refs}</ul></dd>'
    return facts + _waiver_facts(fv, t)


def _waiver_facts(fv: FindingView, t: _Text) -> str:
    facts = ""
    if fv.waiver:
        w = fv.waiver
        facts += (
            f"<dt>Waiver</dt><dd><b>{t(w.id)}</b> by {t(w.owner)}, until "
            f"{t(w.expires.isoformat())}: {t(w.reason)}</dd>"
        )
    for w in fv.expired_waivers:
        facts += (
            f'<dt>Expired waiver</dt><dd class="warn"><b>{t(w.id)}</b> by {t(w.owner)} ran out '
            f"on {t(w.expires.isoformat())}: {t(w.reason)}</dd>"
        )
    return facts


def _reference(url: str, t: _Text) -> str:
    """A reference as a link when it is a web URL, else as text (`javascript:` stays text)."""
    href = _jinja.web_url(url)
    if href:
        return (
            f'<li><a href="{t(href)}" rel="noopener noreferrer" target="_blank">{t(url)}</a></li>'
        )
    return f'<li><span class="muted">{t(url)}</span></li>'


def _risk_cell(f: Finding, esc: _Text) -> str:
    """The findings table's Risk cell; `data-risk` is what the sort reads (-1: no data)."""
    score = _exploit.risk_score(f)
    value = -1.0 if score is None else score
    kev = ' <span class="status status-open">KEV</span>' if f.kev is not None else ""
    shown = "–" if score is None else f"{score:.1f}"
    return f'        <td class="num" data-risk="{esc(value)}">{esc(shown)}{kev}</td>\n'


def _exploit_facts(f: Finding, esc: _Text) -> str:
    """The detail list's EPSS and KEV entries."""
    out = ""
    if f.kev is not None:
        k = f.kev
        ransom = ", used in ransomware campaigns" if k.ransomware else ""
        out += (
            f"<dt>Known exploited</dt><dd>CISA KEV {esc(k.cve)}: added {esc(k.date_added)}, "
            f"due {esc(k.due_date)}{ransom}</dd>"
        )
    if f.epss is not None:
        e = f.epss
        out += (
            f"<dt>EPSS</dt><dd>{esc(e.cve)} {esc(f'{e.score:.5f}')} "
            f"(percentile {esc(f'{e.percentile:.5f}')}, {esc(e.date)})</dd>"
        )
    score = _exploit.risk_score(f)
    if score is not None:
        out += f"<dt>Risk</dt><dd>{esc(f'{score:.1f}')} of 100</dd>"
    return out
