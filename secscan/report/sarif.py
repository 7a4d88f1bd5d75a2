"""SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDE viewers), one run per scanner."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from secscan.errors import ReportError
from secscan.model import fingerprint as fingerprints
from secscan.model.findings import Confidence, Finding, FindingKind, RunStatus, ScannerRun, Severity
from secscan.model.results import SavedResults
from secscan.report import _exploit
from secscan.report._jinja import web_url
from secscan.report.model import FindingView, ReportModel, RunView, build, repository_base
from secscan.scanners import installed
from secscan.scanners.base import Scanner
from secscan.util import jsonio as _json
from secscan.util.text import json_visible
from secscan.workspace import vcs

VERSION = "2.1.0"
SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: The base every artifact URI is relative to; originalUriBaseIds says where it was on disk.
SRCROOT = "%SRCROOT%"
#: GitHub code scanning's upload limits (docs: "SARIF results exceed limit").
MAX_RUNS = 20
MAX_RESULTS_PER_RUN = 25_000
MAX_TAGS_PER_RULE = 20
#: GitHub truncates rule descriptions longer than this.
MAX_DESCRIPTION = 1024
#: Keep rule help and result messages readable in code scanning's alert view.
MAX_HELP = 8000
MAX_MESSAGE = 4000

#: GitHub reads properties.security-severity as a 0-10 score: >=9 critical, 7-8.9 high,
#: 4-6.9 medium, 0.1-3.9 low. These are the scores used when a finding has no CVSS score.
SECURITY_SEVERITY: dict[Severity, float] = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.INFO: 0.0,
}
LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
PRECISION: dict[Confidence, str] = {
    Confidence.HIGH: "high",
    Confidence.MEDIUM: "medium",
    Confidence.LOW: "low",
}


@attr.s
class Suppression:
    """sarif-om 1.0.4 predates the final 2.1.0 schema, which renamed `state` to `status`."""

    kind: str = attr.ib(metadata={"schema_property_name": "kind"})
    status: str | None = attr.ib(default=None, metadata={"schema_property_name": "status"})
    justification: str | None = attr.ib(
        default=None, metadata={"schema_property_name": "justification"}
    )
    properties: dict[str, Any] | None = attr.ib(
        default=None, metadata={"schema_property_name": "properties"}
    )


def render(saved: SavedResults, now: datetime) -> str:
    data = build_log(build(saved, now))
    # People open the file too: the schema and version first, then the runs.
    ordered = {"$schema": data.pop("$schema"), "version": data.pop("version"), **data}
    # SARIF is JSON: a NaN or Infinity is an error here, never written as invalid JSON.
    text = _json.dumps_indented(ordered, ensure_ascii=False, allow_nan=False)
    return json_visible(text) + "\n"


def build_log(model: ReportModel) -> Json:
    groups: dict[str, list[RunView]] = {}
    for rv in model.runs:
        groups.setdefault(rv.run.scanner, []).append(rv)
    # The scanner plugins say what their tools are called (read once: it scans entry points).
    scanners = installed().classes
    # A scanner that produced nothing (it failed, or was skipped) gets no run of its own: code
    # scanning reads a run with `results: []` as "every alert of this tool is fixed", and GitHub
    # rejects a run without `results` (GH1014). Its invocation goes to the one secscan run
    # instead, whose category no tool's alerts live in, so they stay as they were.
    runs: list[Json] = []
    idle: list[ScannerRun] = []
    for name, group in sorted(groups.items()):
        if _produced(name, group, model):
            runs.append(_run(name, group, model, scanners.get(name)))
        else:
            idle += [rv.run for rv in group]
    if idle or not runs:
        runs.append(_secscan_run(model, idle))
    if len(runs) > MAX_RUNS:
        raise ReportError(
            f"SARIF: {len(runs)} scanners would make {len(runs)} runs; GitHub accepts at most "
            f"{MAX_RUNS} runs per file. Select fewer scanners (--scanner) for the SARIF upload."
        )
    return _obj(om.SarifLog, version=VERSION, schema_uri=SCHEMA_URI, runs=runs)


#: A SARIF object as JSON data: what `_obj` makes of a sarif-om class and its field values.
Json = dict[str, Any]


#: A sarif-om field: its attribute name, SARIF property name, default, and whether required.
_Field = tuple[str, str, Any, bool]
_SHAPES: dict[type, tuple[tuple[_Field, ...], frozenset[str]]] = {}


def _shape(cls: type) -> tuple[tuple[_Field, ...], frozenset[str]]:
    """sarif-om's fields of the class, in its order, and their names."""
    shape = _SHAPES.get(cls)
    if shape is None:
        fields: list[_Field] = []
        for field in attr.fields(cls):
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            key = field.metadata["schema_property_name"]
            fields.append((field.name, key, default, default is attr.NOTHING))
        shape = _SHAPES[cls] = (tuple(fields), frozenset(f[0] for f in fields))
    return shape


def _obj(cls: type, **values: Any) -> Json:
    """The SARIF JSON of the sarif-om object `cls(**values)`, without building it.

    sarif-om is the model: its class says which fields exist, their SARIF names and their
    order, which are required and what their defaults are. A result is written per finding,
    so 10,000 findings would be 100,000 attrs objects walked twice; these dicts are the same
    JSON made directly. As sarif-om's JSON is written: None is left out, and so is a value
    equal to the schema default (ruleIndex -1, kind "fail") except `level`, which code
    scanning users read. Empty lists stay: `results: []` means "ran, found nothing", while an
    absent `results` means the tool did not produce any. Nested values are JSON already (an
    `_obj`, or a property bag passed through `_bag`).
    """
    plan = _PLANS.get((cls, *values))
    if plan is None:
        plan = _plan(cls, tuple(values))
    out: Json = {}
    for name, key, default, required, absent in plan:
        value = values.get(name, absent)
        if value is None:
            if required:
                raise TypeError(f"sarif-om's {cls.__name__} requires {name}")
        elif default is None or value != default:
            out[key] = value
    return out


#: One field to write: attribute name, SARIF name, the default it is left out at (None:
#: never), required, and its value when the call does not pass it.
_Write = tuple[str, str, Any, bool, Any]
#: (class, field names as a call passes them) -> the fields to write, in sarif-om's order:
#: each call site passes the same names, so the order is worked out once per site.
_PLANS: dict[tuple[Any, ...], tuple[_Write, ...]] = {}


def _plan(cls: type, names: tuple[str, ...]) -> tuple[_Write, ...]:
    fields, known = _shape(cls)
    unknown = set(names) - known
    if unknown:
        raise TypeError(f"sarif-om's {cls.__name__} has no field {', '.join(sorted(unknown))}")
    missing = [f[0] for f in fields if f[3] and f[0] not in names]
    if missing:
        raise TypeError(f"sarif-om's {cls.__name__} requires {', '.join(missing)}")
    # `level` is written even at its default, and at its default when not passed (as
    # sarif-om's object would have it): code scanning users read it.
    plan = tuple(
        (name, key, None if name == "level" else default, required, default)
        for name, key, default, required in fields
        if name in names or (name == "level" and default is not None)
    )
    _PLANS[(cls, *names)] = plan
    return plan


def _bag(value: Any) -> Any:
    """A property bag (or any free-form JSON) without its None entries, at every depth."""
    if isinstance(value, dict):
        return {
            str(k): _bag(v) if isinstance(v, _NESTED) else v
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_bag(v) if isinstance(v, _NESTED) else v for v in value]
    return value


_NESTED = (dict, list, tuple)


def _run(
    scanner: str, group: Sequence[RunView], model: ReportModel, cls: type[Scanner] | None
) -> Json:
    runs = [rv.run for rv in group]
    base = _base(model)
    mine = [fv for fv in model.findings if fv.finding.scanner == scanner]
    omitted = max(0, len(mine) - MAX_RESULTS_PER_RUN)
    mine = mine[:MAX_RESULTS_PER_RUN]  # already most severe first

    rules: dict[str, list[FindingView]] = {}
    for fv in mine:
        rules.setdefault(fv.finding.rule_id, []).append(fv)
    rule_ids = sorted(rules)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    descriptors = [_rule(rid, rules[rid]) for rid in rule_ids]

    # Only a scanner that produced results has a run (see build_log); a partial one (it failed
    # on some files) keeps the results of the files it did analyze.
    results = [_result(fv, index[fv.finding.rule_id], base.prefix) for fv in mine]
    versions = sorted({r.tool_version for r in runs if r.tool_version})
    driver = _obj(
        om.ToolComponent,
        name=scanner,
        full_name=_full_name(scanner, cls, versions),
        version=versions[0] if versions else None,
        information_uri=_information_uri(cls),
        rules=descriptors,
    )
    return _obj(
        om.Run,
        tool=_obj(om.Tool, driver=driver),
        automation_details=_obj(om.RunAutomationDetails, id=f"secscan/{scanner}/"),
        original_uri_base_ids={SRCROOT: base.location},
        version_control_provenance=_provenance(model, base),
        invocations=[_invocation(r, omitted, model, base.prefix) for r in runs],
        results=results,
        column_kind="unicodeCodePoints",
        properties=_bag(_run_properties(runs, model)),
    )


def _produced(scanner: str, group: Sequence[RunView], model: ReportModel) -> bool:
    """The scanner finished, or it failed part-way but reported findings for what it did."""
    if any(rv.run.status is RunStatus.OK for rv in group):
        return True
    return any(fv.finding.scanner == scanner for fv in model.findings)


def _secscan_run(model: ReportModel, idle: Sequence[ScannerRun]) -> Json:
    """secscan's own run: one invocation per scanner that produced nothing (failed: not
    successful; skipped: a note why), or, when no scanner ran at all, one failed invocation."""
    base = _base(model)
    invocations = [_invocation(r, 0, model, base.prefix) for r in idle]
    if not idle:
        note = _obj(
            om.Notification,
            message=_obj(om.Message, text="no scanner ran: nothing was assessed"),
            level="error",
            descriptor=_obj(om.ReportingDescriptorReference, id="nothing-scanned"),
        )
        invocations = [
            _obj(om.Invocation, execution_successful=False, tool_execution_notifications=[note])
        ]
    return _obj(
        om.Run,
        tool=_obj(
            om.Tool,
            driver=_obj(
                om.ToolComponent,
                name="secscan",
                full_name=f"secscan {model.saved.result.secscan_version}",
                version=model.saved.result.secscan_version,
                rules=[],
            ),
        ),
        automation_details=_obj(om.RunAutomationDetails, id="secscan/secscan/"),
        original_uri_base_ids={SRCROOT: base.location},
        version_control_provenance=_provenance(model, base),
        invocations=invocations,
        # secscan itself reports no alert: an empty list under its own category closes none
        # of any scanner's alerts.
        results=[],
        column_kind="unicodeCodePoints",
        properties=_bag(
            {**_run_properties(idle, model), "scanners": [r.scanner for r in idle] or None}
        ),
    )


def _information_uri(cls: type[Scanner] | None) -> str | None:
    """Where people can read about the scanner's tool, as the scanner says (None: unknown)."""
    return (getattr(cls, "url", "") or None) if cls is not None else None


def _full_name(scanner: str, cls: type[Scanner] | None, versions: Sequence[str]) -> str:
    tool = (getattr(cls, "display_name", "") or scanner) if cls is not None else scanner
    return f"{tool} {versions[0]} (via secscan)" if versions else f"{tool} (via secscan)"


@dataclass(frozen=True, slots=True)
class _Base:
    """What %SRCROOT% is: the repository's top directory when the scan root is inside a git
    work tree (artifact URIs then carry the root's `prefix`, so alerts land on the repository's
    files whichever subdirectory was scanned), else the scan root itself."""

    location: Json
    prefix: str = ""
    toplevel: str | None = None


def _base(model: ReportModel) -> _Base:
    base = repository_base(model.saved)
    if base.toplevel is not None:
        return _Base(_root_location(base.toplevel), base.prefix, base.toplevel)
    return _Base(_root_location(base.root))


def _provenance(model: ReportModel, base: _Base) -> list[Json] | None:
    """The commit the scanned files are from, and that %SRCROOT% is the repository's root."""
    result = model.saved.result
    if base.toplevel is None or not result.git_commit:
        return None
    meta = dict(result.metadata)
    uri = meta.get(vcs.REPOSITORY_KEY)
    if uri is None and PurePosixPath(base.toplevel).is_absolute():
        uri = PurePosixPath(base.toplevel).as_uri()
    if uri is None:
        return None
    return [
        _obj(
            om.VersionControlDetails,
            repository_uri=uri,
            revision_id=result.git_commit,
            branch=meta.get(vcs.BRANCH_KEY),
            mapped_to=_obj(om.ArtifactLocation, uri_base_id=SRCROOT),
        )
    ]


def _root_location(root: str) -> Json:
    path = PurePosixPath(root)
    if path.is_absolute():
        return _obj(om.ArtifactLocation, uri=path.as_uri().rstrip("/") + "/")
    # A relative root (sample reports) is relative to a base the consumer supplies.
    return _obj(
        om.ArtifactLocation,
        uri=quote(path.as_posix().rstrip("/") + "/", errors=_NO_SURROGATE),
        uri_base_id="REPOROOT",
    )


def _invocation(run: ScannerRun, omitted: int, model: ReportModel, prefix: str = "") -> Json:
    execution: list[Json] = []
    configuration: list[Json] = []
    if run.status is RunStatus.ERROR:
        execution.append(
            _obj(
                om.Notification,
                message=_obj(
                    om.Message, text=_text(run.error or f"{run.scanner} failed", MAX_MESSAGE)
                ),
                level="error",
                descriptor=_obj(om.ReportingDescriptorReference, id="scanner-error"),
            )
        )
    for item in sorted(run.not_analyzed, key=lambda n: (n.path, n.reason)):
        execution.append(
            _obj(
                om.Notification,
                message=_obj(
                    om.Message,
                    text=_text(
                        f"{'outside coverage' if item.uncovered else 'not analyzed'}: "
                        f"{item.reason}",
                        MAX_MESSAGE,
                    ),
                ),
                level="note" if item.uncovered else "warning",
                descriptor=_obj(
                    om.ReportingDescriptorReference,
                    id="outside-coverage" if item.uncovered else "not-analyzed",
                ),
                locations=[
                    _obj(
                        om.Location,
                        physical_location=_obj(
                            om.PhysicalLocation, artifact_location=_artifact(item.path, prefix)
                        ),
                    )
                ],
            )
        )
    if omitted:
        execution.append(
            _obj(
                om.Notification,
                message=_obj(
                    om.Message,
                    text=f"{omitted} least severe result(s) left out: code scanning accepts at "
                    f"most {MAX_RESULTS_PER_RUN} per run; the JSON and HTML reports have them all",
                ),
                level="warning",
                descriptor=_obj(om.ReportingDescriptorReference, id="results-truncated"),
            )
        )
    if run.status is RunStatus.SKIPPED:
        configuration.append(
            _obj(
                om.Notification,
                message=_obj(
                    om.Message,
                    text=_text(f"skipped: {run.error or 'nothing to scan'}", MAX_MESSAGE),
                ),
                level="note",
                descriptor=_obj(om.ReportingDescriptorReference, id="scanner-skipped"),
            )
        )
    result = model.saved.result
    return _obj(
        om.Invocation,
        execution_successful=run.status is not RunStatus.ERROR,
        start_time_utc=_utc(result.started_at),
        end_time_utc=_utc(result.finished_at) if result.finished_at else None,
        tool_execution_notifications=execution or None,
        tool_configuration_notifications=configuration or None,
        properties=_bag(
            {
                "scanner": run.scanner,
                "targets": run.targets,
                "durationSeconds": run.duration_s,
                "status": run.status.value,
            }
        ),
    )


def _run_properties(runs: Iterable[ScannerRun], model: ReportModel) -> dict[str, Any]:
    result = model.saved.result
    runs = list(runs)
    props: dict[str, Any] = {
        "secscanVersion": result.secscan_version,
        "gitCommit": result.git_commit,
        "verdict": model.verdict.value,
        "rulesets": sorted({rs for r in runs for rs in r.rulesets}) or None,
        "inlineSuppressions": sum(r.inline_suppressions for r in runs),
    }
    sources = [
        {
            "kind": s.kind,
            "location": s.location,
            "newestModified": s.newest_modified,
            "recordCount": s.record_count,
        }
        for name, s in model.advisory_sources
        if name in {r.scanner for r in runs}
    ]
    if sources:
        props["advisorySources"] = sources
    if model.warnings:
        # What the gate warned about (a bypass like --trust-tree-settings among them).
        props["gateWarnings"] = [_text(w, MAX_MESSAGE) for w in model.warnings]
    return props


def _rule(rule_id: str, views: Sequence[FindingView]) -> Json:
    findings = [fv.finding for fv in views]
    lead = max(findings, key=lambda f: (f.severity.rank, f.cvss_score or 0.0))
    score = max(_score(f) for f in findings)
    short = _text(lead.title or rule_id, MAX_DESCRIPTION)
    full = _text(_full_description(lead), MAX_DESCRIPTION)
    props: dict[str, Any] = {
        "tags": _tags(views),
        "security-severity": f"{score:.1f}",
        "precision": PRECISION.get(lead.confidence),
        "kind": lead.kind.value,
    }
    return _obj(
        om.ReportingDescriptor,
        id=rule_id,
        name=_text(lead.title, 200) if lead.title else None,
        short_description=_obj(om.MultiformatMessageString, text=short),
        full_description=_obj(om.MultiformatMessageString, text=full),
        help=_obj(
            om.MultiformatMessageString,
            text=_text(_help_text(lead), MAX_HELP),
            markdown=_text(_help_markdown(lead), MAX_HELP),
        ),
        help_uri=next((u for u in lead.references if _is_web_url(u)), None),
        default_configuration=_obj(om.ReportingConfiguration, level=LEVEL[lead.severity]),
        properties=_bag(props),
    )


def _result(fv: FindingView, rule_index: int, prefix: str = "") -> Json:
    f = fv.finding
    baseline = None if fv.new is None else ("new" if fv.new else "unchanged")
    return _obj(
        om.Result,
        rule_id=f.rule_id,
        rule_index=rule_index,
        level=LEVEL[f.severity],
        message=_obj(om.Message, text=_text(_message(f), MAX_MESSAGE)),
        locations=[_location(f, prefix)],
        code_flows=_code_flows(f, prefix),
        partial_fingerprints=_partial_fingerprints(f),
        suppressions=_suppressions(fv),
        baseline_state=baseline,
        properties=_result_properties(fv),
    )


def _result_properties(fv: FindingView) -> dict[str, Any]:
    f = fv.finding
    # A property bag without empty entries (as `_bag` would leave it), built so directly: one
    # per finding.
    props: dict[str, Any] = {
        "severity": f.severity.value,
        "kind": f.kind.value,
        "confidence": f.confidence.value,
    }
    if f.cwe:
        props["cwe"] = [f"CWE-{n}" for n in f.cwe]
    if fv.control_keys or fv.control_ids:
        props["controls"] = list(fv.control_keys or fv.control_ids)
    if f.aliases:
        props["aliases"] = list(f.aliases)
    if f.cvss_score is not None and math.isfinite(f.cvss_score):
        props["cvssScore"] = f.cvss_score
    if f.cvss_vector is not None:
        props["cvssVector"] = f.cvss_vector
    if f.resource is not None:
        props["resource"] = f.resource
    props["scope"] = f.scope.value
    # Which tool's rating decided the severity, and why (docs/reports.md, "Whose severity").
    d = f.decided_by
    props["rating"] = {
        "scanner": d.scanner,
        "ruleId": d.rule_id,
        "reason": _text(d.reason, MAX_MESSAGE),
        "provenSafe": d.proven_safe,
    }
    if f.also_reported_by:
        # One result per flaw: the other tools that reported it, each with its own
        # fingerprint (see docs/reports.md, "One finding per flaw").
        props["alsoReportedBy"] = [
            {
                "scanner": src.scanner,
                "ruleId": src.rule_id,
                "fingerprint": src.fingerprint,
                "severity": src.severity.value,
            }
            for src in f.also_reported_by
        ]
    if f.package is not None:
        props["package"] = _bag(
            {
                "name": f.package.name,
                "version": f.package.version,
                "ecosystem": f.package.ecosystem,
                "purl": f.package.purl,
                "fixedVersions": list(f.package.fixed_versions),
            }
        )
    props.update(_exploit_properties(f))
    return props


def _suppressions(fv: FindingView) -> list[Json] | None:
    """The waiver that accepts the finding and the inline comment that asks to hide it."""
    out: list[Json] = []
    if fv.waiver is not None:
        w = fv.waiver
        out.append(
            _obj(
                Suppression,
                kind="external",
                status="accepted",
                justification=_text(
                    f"waiver {w.id} (owner {w.owner}, expires {w.expires.isoformat()}): {w.reason}",
                    MAX_MESSAGE,
                ),
                properties=_bag(
                    {"waiverId": w.id, "owner": w.owner, "expires": w.expires.isoformat()}
                ),
            )
        )
    s = fv.finding.suppression
    if s is not None:
        # SARIF's own word for a comment in the source: kept whether or not the profile
        # honoured it, so a viewer sees every one; `rejected` means it did not hide the result.
        where = f" (line {s.line})" if s.line else ""
        said = "honoured by the gate profile" if fv.honoured else "not honoured: the result counts"
        out.append(
            _obj(
                Suppression,
                kind="inSource",
                status="accepted" if fv.honoured else "rejected",
                justification=_text(f"{s.directive}{where}: {said}", MAX_MESSAGE),
                properties=_bag({"directive": s.directive}),
            )
        )
    return out or None


def _message(f: Finding) -> str:
    text = f.message.strip() or f.title.strip() or f.rule_id
    if f.package is not None:
        text = f"{f.package.name} {f.package.version}: {text}"
        if f.package.fixed_versions:
            text += f" Fixed in: {', '.join(f.package.fixed_versions)}."
        else:
            text += " No fixed version is known."
    return text


def _location(f: Finding, prefix: str = "") -> Json:
    loc = f.location
    start = loc.start_line if loc.start_line and loc.start_line > 0 else 1
    end = loc.end_line if loc.end_line and loc.end_line >= start else None
    start_col = loc.start_column if loc.start_column and loc.start_column > 0 else None
    end_col = loc.end_column if loc.end_column and loc.end_column > 0 else None
    if start_col and end_col and (end or start) == start and end_col <= start_col:
        end_col = None
    region = _obj(
        om.Region,
        start_line=start,
        end_line=end,
        start_column=start_col,
        end_column=end_col,
        snippet=_obj(om.ArtifactContent, text=loc.snippet) if loc.snippet else None,
    )
    return _obj(
        om.Location,
        physical_location=_obj(
            om.PhysicalLocation, artifact_location=_artifact(loc.path, prefix), region=region
        ),
    )


def _code_flows(f: Finding, prefix: str = "") -> list[Json] | None:
    """The traced data flow (source first, sink last) as one SARIF codeFlow; None if none."""
    if not f.flow:
        return None
    steps = []
    for step in f.flow:
        line = step.location.start_line if (step.location.start_line or 0) > 0 else 1
        where = _obj(
            om.PhysicalLocation,
            artifact_location=_artifact(step.location.path, prefix),
            region=_obj(om.Region, start_line=line),
        )
        note = _obj(om.Message, text=_text(step.note, MAX_MESSAGE)) if step.note else None
        steps.append(
            _obj(
                om.ThreadFlowLocation,
                location=_obj(om.Location, physical_location=where, message=note),
            )
        )
    return [_obj(om.CodeFlow, thread_flows=[_obj(om.ThreadFlow, locations=steps)])]


def _artifact(path: str, prefix: str = "") -> Json:
    uri, base = _uri(path, prefix)
    return _obj(om.ArtifactLocation, uri=uri, uri_base_id=base)


@lru_cache(maxsize=8192)
def _uri(path: str, prefix: str) -> tuple[str, str | None]:
    """A file's URI and the base it is relative to (None: absolute). Cached: a scan's
    findings share their files, and parsing a path costs more than the rest of a result."""
    p = PurePosixPath(path)
    if p.is_absolute():
        return p.as_uri(), None
    # Percent-encoding keeps any path (spaces, '#', a pseudo-path like "image:tag") a valid URI.
    return quote(prefix + p.as_posix(), safe="/", errors=_NO_SURROGATE), SRCROOT


def _partial_fingerprints(f: Finding) -> dict[str, str]:
    """secscan's fingerprint is line-independent already, so it keys GitHub's alert matching too.

    primaryLocationLineHash is "<hash>:<occurrence>" in GitHub's own output; the occurrence is
    folded into secscan's fingerprint, so ours is always ":1".
    """
    own = f.fingerprint or hashlib.sha256(fingerprints.base_key(f).encode()).hexdigest()[:32]
    return {"primaryLocationLineHash": f"{own[:16]}:1", "secscan/v1": own}


def _score(f: Finding) -> float:
    if f.cvss_score is not None and 0.0 <= f.cvss_score <= 10.0:
        return float(f.cvss_score)
    return SECURITY_SEVERITY[f.severity]


def _tags(views: Sequence[FindingView]) -> list[str]:
    findings = [fv.finding for fv in views]
    kinds = sorted({f.kind.value for f in findings})
    cwes = sorted({n for f in findings for n in f.cwe})
    # The controls the decision maps these findings to (each view holds its own: looking them
    # up in every control for each rule was quadratic), else those the findings name.
    controls = sorted(
        {c for fv in views if fv.control_keys for c in fv.control_ids}
        or {c for f in findings for c in f.controls}
    )
    tags = ["security", *kinds, *(f"external/cwe/cwe-{n}" for n in cwes), *controls]
    return list(dict.fromkeys(tags))[:MAX_TAGS_PER_RULE]


def _full_description(f: Finding) -> str:
    if f.kind is FindingKind.DEPENDENCY and f.package is not None:
        also = f" (also {', '.join(f.aliases)})" if f.aliases else ""
        return f"{f.rule_id}{also}: {f.title}"
    return f.message or f.title or f.rule_id


def _help_text(f: Finding) -> str:
    parts = [f.title or f.rule_id, "", f.message]
    if f.remediation:
        parts += ["", f"Remediation: {f.remediation}"]
    if f.package is not None:
        fixed = ", ".join(f.package.fixed_versions) or "none known"
        parts += [
            "",
            f"Package: {f.package.name} {f.package.version} ({f.package.ecosystem}); "
            f"fixed in: {fixed}",
        ]
    if f.cwe:
        parts += ["", "CWE: " + ", ".join(f"CWE-{n}" for n in f.cwe)]
    if f.references:
        parts += ["", "References:", *(f"- {u}" for u in f.references)]
    return "\n".join(parts).strip() or f.rule_id


def _help_markdown(f: Finding) -> str:
    parts = [f"**{_md(f.title or f.rule_id)}**", "", _md(f.message)]
    if f.remediation:
        parts += ["", f"**Remediation:** {_md(f.remediation)}"]
    if f.package is not None:
        fixed = ", ".join(f"`{_code(v)}`" for v in f.package.fixed_versions) or "none known"
        parts += [
            "",
            f"**Package:** `{_code(f.package.name)}` `{_code(f.package.version)}` "
            f"({_md(f.package.ecosystem)}); fixed in: {fixed}",
        ]
    if f.cwe:
        parts += [
            "",
            "**CWE:** "
            + ", ".join(
                f"[CWE-{n}](https://cwe.mitre.org/data/definitions/{n}.html)" for n in f.cwe
            ),
        ]
    links = [u for u in f.references if _is_web_url(u)]
    if links:
        parts += [
            "",
            "**References:**",
            *(f"- <{quote(u, safe=_URL_SAFE, errors=_NO_SURROGATE)}>" for u in links),
        ]
    return "\n".join(parts).strip()


_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"
#: A lone surrogate (a byte a tool could not decode) in a path or URL, percent-encoded as
#: its visible escape `\udXXX`: UTF-8 cannot encode it, and a URI must stay text.
_NO_SURROGATE = "backslashreplace"
_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]()<>#+!|~"})


def _md(text: str) -> str:
    return text.translate(_MD_SPECIAL)


def _code(text: str) -> str:
    return text.replace("`", "'")


def _is_web_url(url: str) -> bool:
    return web_url(url) is not None


def _utc(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _text(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _exploit_properties(f: Finding) -> dict[str, Any]:
    """SARIF result properties: `riskScore`, `epss`, `kev`, `cvssThreatVector`."""
    out: dict[str, Any] = {}
    score = _exploit.risk_score(f)
    if score is not None:
        out["riskScore"] = score
    epss, kev = _exploit.epss_fields(f), _exploit.kev_fields(f)
    if epss is not None:
        out["epss"] = epss
    if kev is not None:
        out["kev"] = kev
    bt = _exploit.threat_vector(f.cvss_vector, f.kev)
    if bt is not None:
        out["cvssThreatVector"], out["cvssThreatScore"] = bt
    return out
