"""The personal-data inventory: draft input to the GDPR Art. 30 record of processing.

Built from the privacy scanner's findings: per data category (the fideslang taxonomy),
where it is declared, where it is stored, where it flows (logs, third-party SDKs, outgoing
HTTP, files) and which third parties receive it. What only a person can say (purpose,
legal basis, data subjects, retention, transfers) is left marked "to be completed by the
controller": a scan never knows why data is processed.

Three formats: Markdown (`privacy-inventory`), JSON (`privacy-inventory-json`) and HTML
(`privacy-inventory-html`). Sorted, no clock of their own: the same results, the same bytes.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from secscan.model.findings import Finding, FindingKind, RunStatus, ScannerRun
from secscan.model.results import SavedResults
from secscan.report.markdown import cell, code
from secscan.scanners.privacy import sensitive, taxonomy
from secscan.util import jsonio as _json
from secscan.util.text import json_visible, visible

TO_COMPLETE = "to be completed by the controller"
#: The Art. 30(1) entries a scan cannot know.
CONTROLLER_FIELDS = (
    "Purpose of the processing (Art. 30(1)(b))",
    "Categories of data subjects (Art. 30(1)(c))",
    "Legal basis (Art. 6, Art. 9(2))",
    "Recipients' role and processing agreements (Art. 28, Art. 30(1)(d))",
    "Transfers to third countries and safeguards (Art. 30(1)(e))",
    "Time limits for erasure / retention (Art. 30(1)(f))",
)
_FLOW_WORDS = {
    "log": "logs",
    "third-party": "third-party SDKs",
    "http": "outgoing HTTP requests",
    "file": "files and exports",
}


@dataclass
class Place:
    what: str
    path: str
    line: int | None
    detail: str = ""
    severity: str = ""

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class Category:
    key: str
    name: str
    sensitive: bool
    declared: list[Place] = field(default_factory=list)
    stored: list[Place] = field(default_factory=list)
    flows: dict[str, list[Place]] = field(default_factory=lambda: defaultdict(list))
    recipients: set[str] = field(default_factory=set)


@dataclass
class Inventory:
    project: str
    scanned: str
    status: str
    categories: list[Category]


def _tag(f: Finding, name: str) -> str:
    return next((t.split(":", 1)[1] for t in f.tags if t.startswith(name + ":")), "")


def inventory(saved: SavedResults) -> Inventory:
    result = saved.result
    runs = [r for r in result.runs if r.kind is FindingKind.PRIVACY]
    names = taxonomy()
    cats: dict[str, Category] = {}
    for r in runs:
        for f in r.findings:
            key = _tag(f, "category")
            if key:
                c = cats.setdefault(key, Category(key, names.get(key, key), sensitive(key)))
                _add(c, f)
    for c in cats.values():
        _sort_places(c)
    ordered = sorted(cats.values(), key=lambda c: (not c.sensitive, c.key))
    project = result.root.rstrip("/").rsplit("/", 1)[-1] or "scanned tree"
    when = (result.finished_at or result.started_at).isoformat()
    return Inventory(project, when, _status(runs), ordered)


def _status(runs: list[ScannerRun]) -> str:
    if not runs:
        return "no privacy scan in these results: run the `privacy` scanner"
    if any(r.status is RunStatus.ERROR for r in runs):
        return "INCOMPLETE: the privacy scan failed"
    return "complete for the files the privacy scanner read"


def _add(c: Category, f: Finding) -> None:
    """A finding's place in its category: a declaration (stored or not), or a flow."""
    loc = f.location
    if f.rule_id == "PRIVACY-FIELD":
        place = Place(f.title.split(":", 1)[0], loc.path, loc.start_line, _tag(f, "model"))
        c.declared.append(place)
        if _tag(f, "storage") == "database":
            c.stored.append(place)
        return
    flow = _tag(f, "flow")
    recipient = _tag(f, "recipient")
    c.flows[flow].append(Place(f.title, loc.path, loc.start_line, recipient, f.severity.value))
    if recipient:
        c.recipients.add(recipient)


def _sort_places(c: Category) -> None:
    c.declared.sort(key=lambda p: (p.path, p.line or 0, p.what))
    c.stored.sort(key=lambda p: (p.path, p.line or 0, p.what))
    for places in c.flows.values():
        places.sort(key=lambda p: (p.path, p.line or 0, p.detail))


def to_dict(inv: Inventory) -> dict[str, Any]:
    return {
        "schema": "secscan-privacy-inventory",
        "schema_version": 1,
        "project": inv.project,
        "scanned_at": inv.scanned,
        "status": inv.status,
        "taxonomy": "fideslang 3.1.4 data categories",
        "categories": [
            {
                "category": c.key,
                "name": c.name,
                "special_or_sensitive": c.sensitive,
                "declared": [_place(p) for p in c.declared],
                "stored": [_place(p) for p in c.stored],
                "flows": {k: [_place(p) for p in v] for k, v in sorted(c.flows.items())},
                "recipients": sorted(c.recipients),
                **dict.fromkeys(CONTROLLER_FIELDS, TO_COMPLETE),
            }
            for c in inv.categories
        ],
    }


def _nothing(inv: Inventory) -> str:
    return "No personal data found." if inv.status.startswith("complete") else "Nothing listed."


def _place(p: Place) -> dict[str, Any]:
    out: dict[str, Any] = {"what": p.what, "path": p.path, "line": p.line}
    if p.detail:
        out["detail"] = p.detail
    if p.severity:
        out["severity"] = p.severity
    return out


def render_json(saved: SavedResults, now: datetime) -> str:
    data = to_dict(inventory(saved))
    return json_visible(_json.dumps_indented(data, sort_keys=False, ensure_ascii=False)) + "\n"


def render_markdown(saved: SavedResults, now: datetime) -> str:
    inv = inventory(saved)
    out = [
        f"# Personal-data inventory: {cell(inv.project)}",
        "",
        "Draft input to the GDPR Art. 30 record of processing, from the scan finished "
        f"{inv.scanned}. Status: {inv.status}. Data categories: the fideslang taxonomy. "
        f"Purpose, legal basis, data subjects, retention and transfers: *{TO_COMPLETE}*.",
        "",
    ]
    if not inv.categories:
        return "\n".join([*out, _nothing(inv), ""])
    out += [
        "| Category | Declared | Stored | Flows | Third parties |",
        "| --- | --- | --- | --- | --- |",
    ]
    out += [_summary_row(c) for c in inv.categories]
    for c in inv.categories:
        out += _section(c)
    return "\n".join(out) + "\n"


def _summary_row(c: Category) -> str:
    flows = ", ".join(
        f"{cell(_FLOW_WORDS.get(k, k))} ({len(v)})" for k, v in sorted(c.flows.items())
    )
    return (
        f"| {'**' if c.sensitive else ''}{cell(c.name)}{'**' if c.sensitive else ''} "
        f"({code(c.key)}) | {len(c.declared)} | {len(c.stored)} | {flows or 'none found'} | "
        f"{cell(', '.join(sorted(c.recipients))) or 'none found'} |"
    )


def _section(c: Category) -> list[str]:
    """A category's places, one line per kind, and the entries left to the controller."""
    out = [
        "",
        f"## {cell(c.name)} ({code(c.key)})" + (" - special or sensitive" if c.sensitive else ""),
        "",
    ]
    for label, places in (("Declared", c.declared), ("Stored", c.stored)):
        if places:
            out.append(
                f"- {label}: " + "; ".join(f"{cell(p.what)} ({cell(p.where())})" for p in places)
            )
    for flow, places in sorted(c.flows.items()):
        out.append(
            f"- Flows into {cell(_FLOW_WORDS.get(flow, flow))}: "
            + "; ".join(
                cell(p.where()) + (f" ({cell(p.detail)})" if p.detail else "") for p in places
            )
        )
    out += [f"- {field_}: *{TO_COMPLETE}*" for field_ in CONTROLLER_FIELDS]
    return out


def render_html(saved: SavedResults, now: datetime) -> str:
    inv = inventory(saved)

    def e(text: str) -> str:
        return html.escape(visible(" ".join(text.split())))

    def places(items: list[Place]) -> str:
        return "<br>".join(e(f"{p.what} ({p.where()})") for p in items) or "none found"

    rows = []
    for c in inv.categories:
        flows = "".join(
            f"<li>{e(_FLOW_WORDS.get(k, k))}: "
            + ", ".join(e(p.where()) + (f" ({e(p.detail)})" if p.detail else "") for p in v)
            + "</li>"
            for k, v in sorted(c.flows.items())
        )
        name = f"<strong>{e(c.name)}</strong>" if c.sensitive else e(c.name)
        rows.append(
            f"<tr><td>{name}<br><code>{e(c.key)}</code></td>"
            f"<td>{places(c.declared)}</td><td>{places(c.stored)}</td>"
            f"<td><ul>{flows}</ul></td>"
            f"<td>{e(', '.join(sorted(c.recipients))) or 'none found'}</td>"
            f"<td><em>{TO_COMPLETE}</em></td></tr>"
        )
    body = (
        "<table><thead><tr><th>Data category</th><th>Declared</th><th>Stored</th><th>Flows</th>"
        "<th>Third parties</th><th>Purpose, legal basis, subjects, retention, transfers</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        if rows
        else f"<p>{e(_nothing(inv))}</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Personal-data inventory: {e(inv.project)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.4em;vertical-align:top;text-align:left}</style>"
        f"</head><body><h1>Personal-data inventory: {e(inv.project)}</h1>"
        f"<p>Draft input to the GDPR Art. 30 record of processing, from the scan finished "
        f"{e(inv.scanned)}. Status: {e(inv.status)}. Data categories: the fideslang taxonomy "
        "(special categories and other sensitive data in bold).</p>"
        f"{body}</body></html>\n"
    )
