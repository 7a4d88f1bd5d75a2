"""Does an OSV advisory affect a package version? OSV range semantics, ecosystem-agnostic."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from univers import versions as uv

from secscan.advisories.apk_version import ApkVersion
from secscan.advisories.osv import Advisory, Affected, Event, Range
from secscan.errors import AdvisoryError

#: OSV ecosystem (the part before the first ":") -> univers version class.
#: Debian ordering (dpkg) is also Ubuntu's; apk ordering is also Wolfi's and Chainguard's
#: (apk_version.py: univers orders apk versions by Gentoo's rules, which refuse `_git`).
_VERSION_CLASSES: dict[str, type[Any]] = {
    "PyPI": uv.PypiVersion,
    "npm": uv.SemverVersion,
    "crates.io": uv.SemverVersion,
    "Go": uv.GolangVersion,
    "Maven": uv.MavenVersion,
    "RubyGems": uv.RubygemsVersion,
    "NuGet": uv.NugetVersion,
    "Packagist": uv.ComposerVersion,
    "Hex": uv.SemverVersion,
    "Pub": uv.SemverVersion,
    "Debian": uv.DebianVersion,
    "Ubuntu": uv.DebianVersion,
    "Alpine": ApkVersion,
    "Wolfi": ApkVersion,
    "Chainguard": ApkVersion,
    "Red Hat": uv.RpmVersion,
    "Rocky Linux": uv.RpmVersion,
    "AlmaLinux": uv.RpmVersion,
    "openSUSE": uv.RpmVersion,
    "SUSE": uv.RpmVersion,
}
_CANONICAL = {k.lower(): k for k in _VERSION_CLASSES}
#: SEMVER ranges order by SemVer 2.0 whatever the ecosystem.
_SCHEMES: dict[str, type[Any]] = {**_VERSION_CLASSES, "SEMVER": uv.SemverVersion}
_PEP503 = re.compile(r"[-_.]+")
_PLAIN_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z")

#: Sorts below every real version: OSV's `introduced: "0"` means "since the first release".
_ZERO = "0"


class UnknownEcosystemError(AdvisoryError):
    """The ecosystem has no version ordering here: refusing beats a silent "no match"."""


class InvalidVersionError(AdvisoryError):
    """The version asked about is not a version in its ecosystem."""


def supported_ecosystems() -> tuple[str, ...]:
    return tuple(_VERSION_CLASSES)


def split_ecosystem(ecosystem: str) -> tuple[str, str | None]:
    """ "Debian:12" -> ("Debian", "12"); the base is put in OSV's spelling; unknown bases raise."""
    base, sep, suffix = ecosystem.strip().partition(":")
    canonical = _CANONICAL.get(base.strip().lower())
    if canonical is None:
        raise UnknownEcosystemError(
            f"unknown ecosystem {ecosystem!r}: secscan cannot order its versions "
            f"(known: {', '.join(sorted(_VERSION_CLASSES, key=str.lower))})"
        )
    return canonical, (suffix.strip() or None) if sep else None


def base_ecosystem(ecosystem: str) -> str | None:
    """The OSV spelling of an ecosystem's base, or None when secscan does not know it (no raise)."""
    return _CANONICAL.get(ecosystem.strip().partition(":")[0].strip().lower())


def normalize_name(ecosystem: str, name: str) -> str:
    """PEP 503 for PyPI (Django ~ django, zope_interface ~ zope.interface); exact elsewhere."""
    name = name.strip()
    if ecosystem.strip().partition(":")[0].strip().lower() == "pypi":
        return _PEP503.sub("-", name).lower()
    return name


def parse_version(ecosystem: str, version: str) -> Any:
    """A comparable univers version; AdvisoryError when the text is not a version there."""
    base, _ = split_ecosystem(ecosystem)
    return _parse(base, version)


def parse_range_version(range_type: str, ecosystem: str, text: str) -> Any:
    """How a range bound orders: SEMVER ranges by SemVer 2.0, ECOSYSTEM ranges by the ecosystem."""
    base, _ = split_ecosystem(ecosystem)
    return _parse("SEMVER" if range_type == "SEMVER" else base, text)


def range_version_problem(range_type: str, ecosystem: str, text: str) -> str | None:
    """Why a range bound is not a version of its scheme, or None; nothing is cached (an import
    checks every bound of every record once: a cache would only hold memory)."""
    base, _ = split_ecosystem(ecosystem)
    scheme = "SEMVER" if range_type == "SEMVER" else base
    cls = _SCHEMES[scheme]
    semver: Any = uv.SemverVersion
    try:
        if cls is semver:
            # Most bounds are plain MAJOR.MINOR.PATCH, which SemVer 2.0 (and univers) accepts;
            # the rest get what constructing one checks, without building the value twice.
            valid = bool(_PLAIN_SEMVER.match(text) or semver.is_valid(semver.normalize(text)))
        else:
            valid = cls(text) is not None
    except (ValueError, TypeError):
        valid = False
    return None if valid else f"{text!r} is not a valid {scheme} version"


def is_affected(advisory: Advisory, ecosystem: str, name: str, version: str) -> bool:
    """True when `name` at `version` lies in one of the advisory's ranges or versions lists.

    Withdrawn advisories affect nothing; GIT ranges (commit hashes) cannot be evaluated for a
    release version and are ignored, as osv.dev does for version queries.
    """
    if advisory.is_withdrawn:
        return False
    base, _ = split_ecosystem(ecosystem)
    for entry in _entries(advisory, ecosystem, name):
        if _in_versions(entry, base, version):
            return True
        for rng in entry.ranges:
            if rng.type != "GIT" and _in_range(rng, base, version, advisory.id):
                return True
    return False


def fixed_versions(advisory: Advisory, ecosystem: str, name: str) -> tuple[str, ...]:
    """Every `fixed` version the advisory names for the package, oldest first, without repeats."""
    base, _ = split_ecosystem(ecosystem)
    found: dict[str, Any] = {}
    for entry in _entries(advisory, ecosystem, name):
        for rng in entry.ranges:
            if rng.type == "GIT":
                continue
            scheme = "SEMVER" if rng.type == "SEMVER" else base
            for ev in rng.events:
                if ev.kind == "fixed" and ev.version and ev.version not in found:
                    found[ev.version] = _parse_or_none(scheme, ev.version)

    def key(item: tuple[str, Any]) -> tuple[int, Any, str]:
        text, parsed = item
        # Unparseable fixes sort last, by text; a type mix (SEMVER next to ECOSYSTEM) by text too.
        return (1, 0, text) if parsed is None else (0, parsed, text)

    try:
        ordered = sorted(found.items(), key=key)
    except TypeError:
        ordered = sorted(found.items(), key=lambda kv: kv[0])
    return tuple(text for text, _ in ordered)


def matching_entries(advisory: Advisory, ecosystem: str, name: str) -> tuple[Affected, ...]:
    """The `affected` entries about this package (severity can be per package)."""
    return tuple(_entries(advisory, ecosystem, name))


def ecosystem_matches(record_ecosystem: str, query_ecosystem: str) -> bool:
    """Same base; when both name a release ("Debian:12"), the releases must be equal too.

    A query without a release ("Debian") matches every release's records: it cannot be narrower.
    """
    q_base, q_suffix = split_ecosystem(query_ecosystem)
    r_base = base_ecosystem(record_ecosystem)
    if r_base != q_base:
        return False
    _, _, r_suffix = record_ecosystem.partition(":")
    r_suffix = r_suffix.strip()
    return not (q_suffix and r_suffix) or r_suffix.lower() == q_suffix.lower()


def _entries(advisory: Advisory, ecosystem: str, name: str) -> Iterator[Affected]:
    wanted = normalize_name(ecosystem, name)
    for entry in advisory.affected:
        if ecosystem_matches(entry.ecosystem, ecosystem) and (
            normalize_name(entry.ecosystem, entry.name) == wanted
        ):
            yield entry


def _in_versions(entry: Affected, base: str, version: str) -> bool:
    if not entry.versions:
        return False
    if version in entry.versions:
        return True
    wanted = _parse_or_none(base, version)
    if wanted is None:
        return False
    return any(_parse_or_none(base, listed) == wanted for listed in entry.versions)


def _in_range(rng: Range, base: str, version: str, record_id: str) -> bool:
    """The OSV schema's evaluation: sweep the events in version order, last one <= v decides."""
    scheme = "SEMVER" if rng.type == "SEMVER" else base
    v = _parse(scheme, version)
    events, limits = _prepared(rng.events, scheme, record_id)
    affected = False
    for is_zero, at, kind in events:
        # Only `<` is trusted: univers' apk (Gentoo) versions get `<=` wrong (it compares text).
        if not is_zero and v < at:
            break  # every later event is above v too: none of them changes the verdict
        if kind == "introduced":
            affected = True
        elif kind == "fixed":
            affected = False
        elif kind == "last_affected" and not is_zero and at < v:
            affected = False
    if affected and limits:
        affected = any(v < limit for limit in limits)
    return affected


_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


@lru_cache(maxsize=65536)
def _prepared(
    events: tuple[Event, ...], scheme: str, record_id: str
) -> tuple[tuple[tuple[bool, Any, str], ...], tuple[Any, ...]]:
    """Parsed and sorted once per range: a server answers many queries against the same ones."""
    limits: list[Any] = []
    keyed: list[tuple[tuple[int, Any], int, str]] = []
    for ev in events:
        if not ev.version:
            continue  # an empty bound (see osv._range) bounds nothing
        if ev.kind == "limit":
            if ev.version != "*":
                limits.append(_event_version(ev.version, scheme, record_id))
            continue
        if ev.kind == "introduced" and ev.version == _ZERO:
            key: tuple[int, Any] = (0, 0)
        else:
            key = (1, _event_version(ev.version, scheme, record_id))
        # At one version, "introduced" is applied first so introduced=fixed=X is an empty range
        # and introduced=last_affected=X affects exactly X.
        keyed.append((key, _ORDER[ev.kind], ev.kind))
    keyed.sort(key=lambda e: (e[0], e[1]))
    return tuple((zero == 0, at, kind) for (zero, at), _, kind in keyed), tuple(limits)


def _event_version(text: str, scheme: str, record_id: str) -> Any:
    parsed = _parse_or_none(scheme, text)
    if parsed is None:
        raise AdvisoryError(
            f"advisory {record_id}: range event version {text!r} is not a valid {scheme} version; "
            "the record cannot be evaluated (fix or remove it from the advisory database)"
        )
    return parsed


def _parse(scheme: str, text: str) -> Any:
    parsed = _parse_or_none(scheme, text)
    if parsed is None:
        raise InvalidVersionError(f"{text!r} is not a valid {scheme} version")
    return parsed


@lru_cache(maxsize=131072)
def _parse_or_none(scheme: str, text: str) -> Any:
    """Cached: a server answering many queries re-parses the same range bounds otherwise."""
    try:
        return _SCHEMES[scheme](text)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One vulnerability of one package version, however many records describe it.

    OSV aggregates databases that describe one flaw under several ids (GHSA-…, GO-…,
    RUSTSEC-…, CVE-…); records naming each other in `aliases` (directly or through a shared
    alias) are one vulnerability, reported once.
    """

    #: The record the finding is keyed by: the ecosystem's own database first, GHSA next.
    advisory: Advisory
    #: Every record that matched, `advisory` first.
    records: tuple[Advisory, ...]
    #: Every other id the records give, sorted.
    aliases: tuple[str, ...]


def _rank(advisory_id: str) -> tuple[int, str]:
    upper = advisory_id.upper()
    return (2 if upper.startswith("CVE-") else 1 if upper.startswith("GHSA-") else 0, advisory_id)


def merge_aliases(records: Sequence[Advisory]) -> list[Vulnerability]:
    """Group matching records that alias each other (union-find over ids), one per group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rec in records:
        for alias in rec.aliases:
            a, b = find(rec.id), find(alias)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[Advisory]] = {}
    for rec in records:
        groups.setdefault(find(rec.id), []).append(rec)
    out = []
    for members in groups.values():
        members.sort(key=lambda r: _rank(r.id))
        ids = {r.id for r in members} | {a for r in members for a in r.aliases}
        primary = members[0]
        out.append(Vulnerability(primary, tuple(members), tuple(sorted(ids - {primary.id}))))
    return sorted(out, key=lambda v: v.advisory.id)
