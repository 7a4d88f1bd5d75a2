"""GitLab security reports: the files `artifacts:reports:sast|dependency_scanning|
container_scanning|secret_detection` ingest, one report type per function.

Written to GitLab's own schemas (the tests validate against the vendored copies). A finding's
`id` is a uuid5 of its secscan fingerprint, so GitLab keeps one vulnerability across pipelines.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from secscan.dependencies import sources
from secscan.errors import UsageError
from secscan.model.findings import Finding, FindingKind, RunStatus, ScannerRun, Severity
from secscan.model.results import SavedResults
from secscan.report import _exploit
from secscan.report._jinja import web_url
from secscan.report.model import FindingView, ReportModel, RepositoryBase, build, repository_base
from secscan.util import jsonio as _json
from secscan.util.text import without_surrogates

#: The schema versions secscan writes (their schemas are vendored in the tests). GitLab accepts
#: 15.0.0 to 15.2.1; a newer version is rejected by older GitLab installs, so this is the default.
SCHEMA_VERSIONS: tuple[str, ...] = ("15.0.7",)
DEFAULT_SCHEMA_VERSION = "15.0.7"
_SCHEMA_URL = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    "v{version}/dist/{name}-report-format.json"
)
#: Fixed namespace: uuid5(namespace, fingerprint) is the same vulnerability id in every run.
NAMESPACE = uuid.UUID("8c1f6d0e-3b5a-5e55-9a4e-5ec5ca4f1a7e")
#: GitLab's placeholder for "not scanned from a commit" (its own secret detection uses it).
NO_COMMIT = "0000000"
SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
_MAX_NAME = 255
_MAX_SOLUTION = 7000
_VENDOR = {"name": "secscan"}
_URL = "https://github.com/secscan/secscan"
#: Identifier types GitLab links and groups by, and where each kind of id is documented.
_ID_URLS: dict[str, Callable[[str], str]] = {
    "cve": lambda v: f"https://nvd.nist.gov/vuln/detail/{v}",
    "ghsa": lambda v: f"https://github.com/advisories/{v}",
    "pysec": lambda v: f"https://osv.dev/vulnerability/{v}",
}
#: Requirements-style files whose pin line a one-line diff can raise.
_PIN_FILES = (".txt", ".in")


@dataclass(frozen=True, slots=True)
class ReportType:
    #: The report's `scan.type` and its artifacts:reports key.
    name: str
    #: The schema file's stem: `<stem>-report-format.json`.
    stem: str
    title: str
    accepts: Callable[[Finding], bool]
    #: Scanner kinds whose runs feed this report (their status is the scan's status).
    kinds: tuple[FindingKind, ...]


def _image_package(f: Finding) -> bool:
    return f.kind is FindingKind.IMAGE and f.package is not None


SAST = ReportType(
    "sast",
    "sast",
    "SAST",
    # Image findings without a package (a secret or misconfiguration inside the image) are
    # code-like: they have a place, not a package.
    lambda f: (
        f.kind in (FindingKind.CODE, FindingKind.IAC)
        or (f.kind is FindingKind.IMAGE and f.package is None)
    ),
    (FindingKind.CODE, FindingKind.IAC),
)
DEPENDENCY_SCANNING = ReportType(
    "dependency_scanning",
    "dependency-scanning",
    "dependency scanning",
    lambda f: f.kind is FindingKind.DEPENDENCY,
    (FindingKind.DEPENDENCY,),
)
CONTAINER_SCANNING = ReportType(
    "container_scanning",
    "container-scanning",
    "container scanning",
    _image_package,
    (FindingKind.IMAGE,),
)
SECRET_DETECTION = ReportType(
    "secret_detection",
    "secret-detection",
    "secret detection",
    lambda f: f.kind is FindingKind.SECRET,
    (FindingKind.SECRET,),
)
TYPES: tuple[ReportType, ...] = (SAST, DEPENDENCY_SCANNING, CONTAINER_SCANNING, SECRET_DETECTION)


def render_sast(saved: SavedResults, now: datetime) -> str:
    return render(saved, now, SAST)


def render_dependency_scanning(saved: SavedResults, now: datetime) -> str:
    return render(saved, now, DEPENDENCY_SCANNING)


def render_container_scanning(saved: SavedResults, now: datetime) -> str:
    return render(saved, now, CONTAINER_SCANNING)


def render_secret_detection(saved: SavedResults, now: datetime) -> str:
    return render(saved, now, SECRET_DETECTION)


def render(
    saved: SavedResults,
    now: datetime,
    report: ReportType,
    schema_version: str = DEFAULT_SCHEMA_VERSION,
) -> str:
    doc = document(build(saved, now), report, schema_version)
    # ASCII JSON escapes every bidi control; a lone surrogate, which it would write as an
    # escape no strict JSON reader accepts, is replaced first.
    return _json.dumps_indented(without_surrogates(doc)) + "\n"


def document(model: ReportModel, report: ReportType, schema_version: str) -> dict[str, Any]:
    if schema_version not in SCHEMA_VERSIONS:
        raise UsageError(
            f"GitLab report schema {schema_version!r} is not one secscan writes; use one of "
            f"{', '.join(SCHEMA_VERSIONS)}"
        )
    views = [fv for fv in model.findings if report.accepts(fv.finding)]
    # Paths are relative to the repository's top directory (GitLab links them to its files),
    # whichever folder of it was scanned; the scan's messages name that folder.
    base = repository_base(model.saved)
    vulns = [_vulnerability(fv, report, model, base) for fv in views]
    out: dict[str, Any] = {
        "version": schema_version,
        "schema": _SCHEMA_URL.format(version=schema_version, name=report.stem),
        "scan": _scan(model, report, views, base),
        "vulnerabilities": vulns,
        "remediations": [r for fv in views if (r := _remediation(fv.finding, base)) is not None],
    }
    if report is DEPENDENCY_SCANNING:
        out["dependency_files"] = _dependency_files(views, base)
    return out


def vulnerability_id(f: Finding) -> str:
    """uuid5 of the secscan fingerprint: stable across runs, as GitLab's tracking needs."""
    name = f.fingerprint or f"{f.scanner}:{f.rule_id}:{f.location}"
    # A lone surrogate (an undecodable byte a tool passed on) cannot be encoded as UTF-8.
    return str(uuid.uuid5(NAMESPACE, name.encode("utf-8", "backslashreplace").decode()))


def identifiers(f: Finding) -> list[dict[str, str]]:
    """The tool's rule id first (GitLab's primary identifier), then CWE, then CVE/GHSA/PYSEC."""
    primary = _primary_identifier(f)
    out = [primary]
    for n in f.cwe:
        out.append(
            {
                "type": "cwe",
                "name": f"CWE-{n}",
                "value": str(n),
                "url": f"https://cwe.mitre.org/data/definitions/{n}.html",
            }
        )
    for alias in f.aliases:
        kind = alias.split("-", 1)[0].lower()
        if kind not in _ID_URLS:
            continue
        out.append({"type": kind, "name": alias, "value": alias, "url": _ID_URLS[kind](alias)})
    seen: set[tuple[str, str]] = set()
    unique = []
    for ident in out:
        key = (ident["type"], ident["value"])
        if key not in seen:
            seen.add(key)
            unique.append(ident)
    return unique


def _primary_identifier(f: Finding) -> dict[str, str]:
    ident = {"type": f"{f.scanner}_rule", "name": f.rule_id, "value": f.rule_id}
    url = next((u for u in f.references if web_url(u) is not None), None)
    if url is not None:
        ident["url"] = url
    return ident


def _vulnerability(
    fv: FindingView, report: ReportType, model: ReportModel, base: RepositoryBase
) -> dict[str, Any]:
    f = fv.finding
    vuln: dict[str, Any] = {
        "id": vulnerability_id(f),
        "name": _clip(f.title or f.rule_id, _MAX_NAME),
        "description": f.message or f.title or f.rule_id,
        "severity": SEVERITY[f.severity],
        "solution": _clip(_solution(f), _MAX_SOLUTION),
        "identifiers": identifiers(f),
        "location": _location(f, report, model, base),
    }
    links = [{"url": u} for u in dict.fromkeys(f.references) if web_url(u) is not None]
    if links:
        vuln["links"] = links
    if f.cvss_vector:
        vuln["cvss_vectors"] = [{"vendor": f.scanner, "vector": f.cvss_vector}]
    details = _exploit_details(f)
    if details:
        vuln["details"] = details
    if fv.waiver is not None:
        w = fv.waiver
        vuln["flags"] = [
            {
                "type": "flagged-as-likely-false-positive",
                "origin": f"secscan waiver {w.id}",
                "description": (
                    f"accepted risk (owner {w.owner}, expires {w.expires.isoformat()}): {w.reason}"
                ),
            }
        ]
    return vuln


def _solution(f: Finding) -> str:
    if f.remediation:
        return f.remediation
    if f.package is not None and f.package.fixed_versions:
        return f"Upgrade {f.package.name} to {' or '.join(f.package.fixed_versions)} or later."
    if f.package is not None:
        return f"No fixed version of {f.package.name} is known."
    return "See the rule's documentation."


def _location(
    f: Finding, report: ReportType, model: ReportModel, base: RepositoryBase
) -> dict[str, Any]:
    loc = f.location
    if report is DEPENDENCY_SCANNING and f.package is not None:
        return {"file": base.path(loc.path), "dependency": _dependency(f)}
    if report is CONTAINER_SCANNING and f.package is not None:
        return {
            "dependency": _dependency(f),
            "operating_system": f.package.ecosystem or "unknown",
            "image": f.resource or loc.path.removeprefix("image:") or "unknown",
        }
    out: dict[str, Any] = {"file": base.path(loc.path)}
    if loc.start_line:
        out["start_line"] = loc.start_line
        out["end_line"] = max(loc.end_line or loc.start_line, loc.start_line)
    if report is SECRET_DETECTION:
        out["commit"] = {"sha": model.saved.result.git_commit or NO_COMMIT}
    return out


def _dependency(f: Finding) -> dict[str, Any]:
    assert f.package is not None  # noqa: S101 - callers checked
    out: dict[str, Any] = {"package": {"name": f.package.name}, "version": f.package.version}
    direct = _direct(f)
    if direct is not None:
        out["direct"] = direct
    return out


def _direct(f: Finding) -> bool | None:
    """Whether the lock file names the package as the project's own dependency (its `direct`
    or `transitive` tag, set where the format says); None where it does not say."""
    if "direct" in f.tags:
        return True
    return False if "transitive" in f.tags else None


def _remediation(f: Finding, base: RepositoryBase) -> dict[str, Any] | None:
    """A one-line patch raising the pin, when the finding names the pin line and a fix exists.

    The diff has no context lines (the report holds only the pinned line), so it applies with
    `git apply --unidiff-zero`.
    """
    p, loc = f.package, f.location
    if f.kind is not FindingKind.DEPENDENCY or p is None or not p.fixed_versions:
        return None
    if not loc.path.endswith(_PIN_FILES) or not loc.start_line or not loc.snippet:
        return None
    line = loc.snippet.rstrip("\n")
    if "\n" in line or f"=={p.version}" not in line:
        return None
    fixed = p.fixed_versions[0]
    new = line.replace(f"=={p.version}", f"=={fixed}", 1)
    n, path = loc.start_line, base.path(loc.path)
    diff = (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -{n} +{n} @@\n-{line}\n+{new}\n"
    )
    return {
        "fixes": [{"id": vulnerability_id(f)}],
        "summary": f"Upgrade {p.name} to {fixed}",
        "diff": base64.b64encode(diff.encode()).decode(),
    }


def _dependency_files(views: Sequence[FindingView], base: RepositoryBase) -> list[dict[str, Any]]:
    files: dict[str, dict[tuple[str, str], Finding]] = {}
    managers: dict[str, str] = {}
    for fv in views:
        f = fv.finding
        if f.package is not None:
            path = base.path(f.location.path)
            files.setdefault(path, {})[(f.package.name, f.package.version)] = f
            # The file's format says who installs from it (pip, npm, go, ...).
            managers.setdefault(path, sources.package_manager(f.location.path, f.package.ecosystem))
    return [
        {
            "path": path,
            "package_manager": managers[path],
            "dependencies": [_dependency(f) for _, f in sorted(deps.items())],
        }
        for path, deps in sorted(files.items())
    ]


def _scan(
    model: ReportModel, report: ReportType, views: Sequence[FindingView], base: RepositoryBase
) -> dict[str, Any]:
    result = model.saved.result
    runs = _runs(result.runs, report)
    failed = [r for r in runs if r.status is RunStatus.ERROR]
    tools = ", ".join(sorted({r.scanner for r in runs})) or "none"
    rules = _primary_identifiers(runs, views, report)
    return {
        "analyzer": _tool("secscan", "secscan", result.secscan_version),
        "scanner": _tool(
            f"secscan-{report.stem}", f"secscan {report.title} ({tools})", result.secscan_version
        ),
        "type": report.name,
        "start_time": _time(result.started_at),
        "end_time": _time(result.finished_at or result.started_at),
        "status": "failure" if failed or not runs else "success",
        "messages": _messages(model, report, runs, base),
        "primary_identifiers": [rules[k] for k in sorted(rules)],
    }


def _runs(runs: Sequence[ScannerRun], report: ReportType) -> list[ScannerRun]:
    """The runs whose status is this report's: its kinds', and for SAST an image scanner's
    that found non-package flaws (they are shown there too)."""
    mine = [r for r in runs if r.kind in report.kinds]
    if report is SAST:
        mine += [
            r
            for r in runs
            if r.kind is FindingKind.IMAGE and any(f.package is None for f in r.findings)
        ]
    return mine


def _messages(
    model: ReportModel, report: ReportType, runs: Sequence[ScannerRun], base: RepositoryBase
) -> list[dict[str, str]]:
    where = "the repository's top directory" if base.toplevel is not None else "the scan root"
    messages = [
        {"level": "info", "value": f"scanned {base.scanned}; paths are relative to {where}"},
        *(_message(r) for r in sorted(runs, key=lambda r: r.scanner)),
    ]
    if not runs:
        # Nothing assessed this report type: never a clean "success" GitLab would read as
        # "every earlier vulnerability is gone".
        messages.append({"level": "fatal", "value": f"no {report.title} scanner ran"})
    # What the gate warned about (a missing tools lock, a bypass): as in every report.
    messages += [{"level": "warn", "value": w} for w in model.warnings]
    if model.below_threshold:
        messages.append(
            {
                "level": "info",
                "value": f"{model.below_threshold} finding(s) below the report threshold are "
                "left out (the results JSON has them)",
            }
        )
    return messages


def _primary_identifiers(
    runs: Sequence[ScannerRun], views: Sequence[FindingView], report: ReportType
) -> dict[tuple[str, str], dict[str, str]]:
    """Every rule the runs evaluated that this report shows, and every shown finding's."""
    rules = {
        (i["type"], i["value"]): i
        for f in (*(f for r in runs for f in r.findings if report.accepts(f)),)
        for i in (_primary_identifier(f),)
    }
    for fv in views:
        i = _primary_identifier(fv.finding)
        rules.setdefault((i["type"], i["value"]), i)
    return rules


def _tool(id_: str, name: str, version: str) -> dict[str, Any]:
    return {
        "id": id_,
        "name": name,
        "url": _URL,
        "vendor": _VENDOR,
        "version": version or "unknown",
    }


def _message(run: ScannerRun) -> dict[str, str]:
    version = f" {run.tool_version}" if run.tool_version else ""
    if run.status is RunStatus.ERROR:
        return {"level": "fatal", "value": f"{run.scanner}{version} failed: {run.error or '?'}"}
    if run.status is RunStatus.SKIPPED:
        return {"level": "info", "value": f"{run.scanner}{version} skipped: {run.error or '-'}"}
    return {
        "level": "info",
        "value": f"{run.scanner}{version} ran on {run.targets} target(s): "
        f"{len(run.findings)} finding(s)",
    }


def _time(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _exploit_details(f: Finding) -> dict[str, Any]:
    """GitLab's `details` (named fields its vulnerability page lists): its schema has no
    field of its own for exploit data, and an extra identifier would change how GitLab
    matches the vulnerability across pipelines."""
    out: dict[str, Any] = {}
    score = _exploit.risk_score(f)
    if score is not None:
        out["risk_score"] = {"name": "Risk score (0-100)", "type": "value", "value": score}
    if f.kev is not None:
        k = f.kev
        ransom = "; known use in ransomware campaigns" if k.ransomware else ""
        out["kev"] = {
            "name": "CISA Known Exploited Vulnerabilities",
            "type": "text",
            "value": f"{k.cve} added {k.date_added}, due {k.due_date}{ransom}",
        }
    if f.epss is not None:
        e = f.epss
        out["epss"] = {
            "name": "EPSS (FIRST)",
            "type": "text",
            "value": f"{e.cve} score {e.score}, percentile {e.percentile}, {e.date}",
        }
    return out
