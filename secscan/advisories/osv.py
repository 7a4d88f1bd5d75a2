"""OSV records (https://ossf.github.io/osv-schema/) parsed into frozen, validated value objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from secscan.errors import AdvisoryError

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
EVENT_KINDS: tuple[EventKind, ...] = ("introduced", "fixed", "last_affected", "limit")

#: Ids become file names in a local mirror, so they may not hold path separators or dots only.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


class InvalidRecordError(AdvisoryError):
    """One OSV record does not follow the schema; the message names the record and the field."""

    def __init__(self, message: str, *, record_id: str | None = None) -> None:
        where = f"{record_id}: " if record_id else ""
        super().__init__(f"{where}{message}")
        self.record_id = record_id
        self.reason = message


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    version: str


@dataclass(frozen=True, slots=True)
class Range:
    type: str  # "ECOSYSTEM" | "SEMVER" | "GIT"
    events: tuple[Event, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class SeverityScore:
    type: str  # "CVSS_V2" | "CVSS_V3" | "CVSS_V4" | "Ubuntu" | ...
    score: str


@dataclass(frozen=True, slots=True)
class Reference:
    type: str
    url: str


@dataclass(frozen=True, slots=True)
class Affected:
    ecosystem: str
    name: str
    purl: str | None = None
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    severity: tuple[SeverityScore, ...] = ()
    #: `database_specific.severity` (GHSA writes LOW/MODERATE/HIGH/CRITICAL there).
    database_severity: str | None = None


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    modified: str
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    summary: str | None = None
    details: str | None = None
    affected: tuple[Affected, ...] = ()
    references: tuple[Reference, ...] = ()
    severity: tuple[SeverityScore, ...] = ()
    published: str | None = None
    withdrawn: str | None = None
    schema_version: str | None = None
    database_severity: str | None = None
    #: The record as it was read: what the OSV server hands out, unchanged.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn is not None

    @property
    def modified_at(self) -> datetime:
        return parse_timestamp(self.modified)

    @property
    def title(self) -> str:
        """One line for a report: the summary, else the first line of the details."""
        text = self.summary or (self.details or "").strip().split("\n", 1)[0] or self.id
        return text.strip()


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 as OSV writes it; nanosecond fractions (osv.dev) are cut to microseconds."""
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()))
    except ValueError as e:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}") from e
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_advisory(raw: Any) -> Advisory:
    """Validate one OSV record; raise InvalidRecordError naming the first bad field."""
    if not isinstance(raw, dict):
        raise InvalidRecordError(f"a record must be a JSON object, not {_kind(raw)}")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise InvalidRecordError(
            f"'id' must be a short identifier without path characters, got {rid!r}"
        )
    try:
        return _build(raw, rid)
    except _Bad as e:
        raise InvalidRecordError(str(e), record_id=rid) from None


class _Bad(ValueError):
    pass


def _build(raw: dict[str, Any], rid: str) -> Advisory:
    modified = _timestamp(raw, "modified")
    if modified is None:
        raise _Bad("'modified' is required")
    affected_raw = _list(raw, "affected")
    affected = tuple(_affected(a, f"affected[{i}]") for i, a in enumerate(affected_raw))
    return Advisory(
        id=rid,
        modified=modified,
        aliases=_strings(raw, "aliases"),
        related=_strings(raw, "related"),
        summary=_opt_str(raw, "summary"),
        details=_opt_str(raw, "details"),
        affected=affected,
        references=tuple(
            _reference(r, f"references[{i}]") for i, r in enumerate(_list(raw, "references"))
        ),
        severity=tuple(
            _severity(s, f"severity[{i}]") for i, s in enumerate(_list(raw, "severity"))
        ),
        published=_timestamp(raw, "published"),
        withdrawn=_timestamp(raw, "withdrawn"),
        schema_version=_opt_str(raw, "schema_version"),
        database_severity=_db_severity(raw, ""),
        raw=raw,
    )


def _affected(a: Any, where: str) -> Affected:
    if not isinstance(a, dict):
        raise _Bad(f"{where} must be an object")
    pkg = a.get("package")
    if not isinstance(pkg, dict):
        raise _Bad(
            f"{where}.package must be an object (records without a package are not supported)"
        )
    eco, name = pkg.get("ecosystem"), pkg.get("name")
    if not isinstance(eco, str) or not eco.strip():
        raise _Bad(f"{where}.package.ecosystem must be a non-empty string")
    if not isinstance(name, str) or not name.strip():
        raise _Bad(f"{where}.package.name must be a non-empty string")
    ranges = tuple(
        _range(r, f"{where}.ranges[{i}]") for i, r in enumerate(_list(a, "ranges", where))
    )
    versions = _strings(a, "versions", where)
    if not ranges and not versions:
        raise _Bad(f"{where} lists neither ranges nor versions: it cannot match anything")
    return Affected(
        ecosystem=eco.strip(),
        name=name.strip(),
        purl=_opt_str(pkg, "purl", f"{where}.package"),
        ranges=ranges,
        versions=versions,
        severity=tuple(
            _severity(s, f"{where}.severity[{i}]")
            for i, s in enumerate(_list(a, "severity", where))
        ),
        database_severity=_db_severity(a, where),
    )


def _range(r: Any, where: str) -> Range:
    if not isinstance(r, dict):
        raise _Bad(f"{where} must be an object")
    rtype = r.get("type")
    if rtype not in ("ECOSYSTEM", "SEMVER", "GIT"):
        raise _Bad(f"{where}.type must be ECOSYSTEM, SEMVER or GIT, got {rtype!r}")
    events_raw = _list(r, "events", where)
    if not events_raw:
        raise _Bad(f"{where}.events must not be empty")
    events: list[Event] = []
    for i, ev in enumerate(events_raw):
        if not isinstance(ev, dict) or len(ev) != 1:
            raise _Bad(f"{where}.events[{i}] must be an object with exactly one key")
        ((kind, version),) = ev.items()
        if kind not in EVENT_KINDS:
            raise _Bad(f"{where}.events[{i}]: unknown event {kind!r}")
        if not isinstance(version, str) or (kind == "introduced" and not version.strip()):
            raise _Bad(f"{where}.events[{i}].{kind} must be a non-empty string")
        # An empty fixed/last_affected/limit (GHSA writes `"fixed": ""` for some malicious
        # packages) bounds nothing: the matcher ignores it, so every version from `introduced`
        # on is affected (reading it as no range at all would hide the package).
        events.append(Event(kind, version.strip()))
    if not any(e.kind == "introduced" for e in events):
        raise _Bad(f"{where} has no 'introduced' event")
    return Range(rtype, tuple(events), _opt_str(r, "repo", where))


def _severity(s: Any, where: str) -> SeverityScore:
    if (
        not isinstance(s, dict)
        or not isinstance(s.get("type"), str)
        or not isinstance(s.get("score"), str)
    ):
        raise _Bad(f"{where} must be an object with string 'type' and 'score'")
    return SeverityScore(s["type"], s["score"].strip())


def _reference(r: Any, where: str) -> Reference:
    if not isinstance(r, dict) or not isinstance(r.get("url"), str):
        raise _Bad(f"{where} must be an object with a string 'url'")
    rtype = r.get("type", "WEB")
    return Reference(rtype if isinstance(rtype, str) else "WEB", r["url"])


def _db_severity(obj: dict[str, Any], where: str) -> str | None:
    dbs = obj.get("database_specific")
    if isinstance(dbs, dict) and isinstance(dbs.get("severity"), str):
        return str(dbs["severity"])
    return None


def _timestamp(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(f"'{key}' must be an RFC 3339 string")
    try:
        parse_timestamp(value)
    except ValueError as e:
        raise _Bad(f"'{key}': {e}") from None
    return value


def _list(obj: dict[str, Any], key: str, where: str = "") -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"{where + '.' if where else ''}{key} must be a list")
    return value


def _strings(obj: dict[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    items = _list(obj, key, where)
    if not all(isinstance(x, str) for x in items):
        raise _Bad(f"{where + '.' if where else ''}{key} must be a list of strings")
    return tuple(items)


def _opt_str(obj: dict[str, Any], key: str, where: str = "") -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(f"{where + '.' if where else ''}{key} must be a string")
    return value


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
