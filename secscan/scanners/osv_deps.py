"""osv: known vulnerabilities in the lock files of every ecosystem but Python's (npm, yarn,
pnpm, Go, Cargo, ...), matched in-process against the local OSV mirror.

No external tool runs: the dependency sources read the files, `advisories.matcher` applies
OSV's range semantics with each ecosystem's version ordering. An ecosystem the mirror holds
no records for is "not assessed", never a clean pass.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from secscan import __version__
from secscan.advisories import attribution, matcher
from secscan.advisories.severity import DEFAULT_SEVERITY, advisory_severity
from secscan.advisories.store import AdvisoryStore
from secscan.dependencies import sources
from secscan.dependencies.interface import Declared, Manifests
from secscan.errors import AdvisoryError, ScannerError
from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Package,
    Severity,
)
from secscan.scanners.base import (
    ADVISORY_ID,
    Caching,
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ToolScanner,
    advisory_rule,
)

#: Same rule as the Python dependency scanner's: a dependency with no release to audit.
UNPINNED_RULE = "SECSCAN-DEP-UNPINNED"


_OPEN: dict[tuple[str, str | None], AdvisoryStore] = {}


class OsvDepsScanner(ToolScanner):
    """Lock files of every non-Python ecosystem against the local OSV mirror, in-process."""

    name: ClassVar[str] = "osv"
    kind: ClassVar[FindingKind] = FindingKind.DEPENDENCY
    description: ClassVar[str] = (
        "Known vulnerabilities in npm, Go, Cargo, Composer, Bundler, NuGet and Maven/Gradle "
        "dependencies (local OSV mirror, offline)"
    )
    display_name: ClassVar[str] = "secscan OSV matcher"
    url: ClassVar[str] = "https://ossf.github.io/osv-schema/"
    #: No process runs; the matcher is part of secscan.
    executable: ClassVar[str] = "secscan"
    #: One entry for the run: a package is matched once per project folder.
    caching: ClassVar[Caching] = Caching.PER_RUN

    def version(self) -> str:
        return __version__

    def applies_to(self, path: str) -> bool:
        return sources.source_for(path, sources.other_sources()) is not None

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        db = lookup.advisory_db
        if db is None or not ADVISORY_ID.match(rule_id):
            return None
        return advisory_rule(rule_id, db, self.name)

    def cache_material(self, ctx: ScanContext) -> str | None:
        """Results depend on the advisory data: uncacheable when it cannot be named."""
        digest = ctx.request.advisory_digest
        if digest is None:
            return None
        return json.dumps(
            {"advisories": digest, "max_file_size_mb": ctx.config.max_file_size_mb},
            sort_keys=True,
        )

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        max_bytes = int(ctx.config.max_file_size_mb * 1024 * 1024)
        found = sources.collect(ctx.root, ctx.targets, max_bytes, sources.other_sources())
        store = self._store(ctx, found)
        covered = {eco for eco, count in store.info().ecosystems if count}
        pins = _pins(found.declared)
        skipped = [NotAnalyzed(p.path, str(p)) for p in found.problems]
        skipped += _uncovered(pins, covered)
        findings: list[Finding] = []
        for (eco, _, version), places in sorted(pins.items()):
            if eco not in covered:
                continue
            try:
                hits = store.query(eco, places[0].name, version)
            except AdvisoryError as e:
                skipped += [NotAnalyzed(d.path, f"line {d.line}: {d.name} {version}: {e}")
                            for d in places]  # fmt: skip
                continue
            findings += [
                _finding(self.name, d, version, v)
                for v in matcher.merge_aliases(hits)
                for d in places
            ]
        findings += [_unpinned_finding(self.name, d) for d in _unpinned(found.declared)]
        skipped += _ranges_not_locked(found.declared, pins)
        return ScanOutcome(
            findings=tuple(findings),
            not_analyzed=(*found.not_audited, *skipped),
            advisory_source=store.source(),
            inputs=tuple(found.files),
            components=tuple(
                Package(places[0].name, version, eco, places[0].purl)
                for (eco, _, version), places in sorted(pins.items())
            ),
        )

    def _store(self, ctx: ScanContext, found: Manifests) -> AdvisoryStore:
        db = ctx.request.advisory_db or ctx.config.resolve(ctx.config.advisories.db)
        if db is None:
            ecos = sorted({d.ecosystem for d in found.declared})
            raise ScannerError(
                self.name,
                f"no local OSV database, so the {', '.join(ecos) or 'lock-file'} dependencies "
                "were NOT assessed (not a clean result): import OSV records once with "
                "`secscan advisories import all.zip --db DIR` and set `advisories.db: DIR` "
                "(or pass --advisory-db DIR)",
            )
        # A store whose data is named (the pipeline's digest) is kept open for the next scan
        # in this process (the server, fleet jobs): its parsed records are the warm path.
        key = (str(Path(db).resolve()), ctx.request.advisory_digest)
        if key[1] is not None and key in _OPEN:
            return _OPEN[key]
        try:
            store = AdvisoryStore.open(Path(db), write_index=False)
        except AdvisoryError as e:
            raise ScannerError(self.name, e.diagnostics()) from e
        if key[1] is not None:
            _OPEN.clear()  # one mirror at a time: memory stays that of one store
            _OPEN[key] = store
        return store


_Pins = dict[tuple[str, str, str], list[Declared]]


def _pins(declared: Iterable[Declared]) -> _Pins:
    """(ecosystem, name key, version) -> one place per project directory stating it."""
    places: dict[tuple[str, str, str, str], list[Declared]] = defaultdict(list)
    for d in declared:
        if d.version is not None:
            places[(d.ecosystem, d.key, d.version, d.directory)].append(d)
    pins: _Pins = defaultdict(list)
    for (eco, key, version, _), group in sorted(places.items()):
        pins[(eco, key, version)].append(sources.preferred(group))
    return dict(pins)


def _uncovered(pins: _Pins, covered: set[str]) -> list[NotAnalyzed]:
    """One line per file and ecosystem the mirror has no records for: not assessed."""
    files: dict[tuple[str, str], int] = defaultdict(int)
    for (eco, _, _), places in pins.items():
        if eco not in covered:
            for d in places:
                files[(d.path, eco)] += 1
    return [
        NotAnalyzed(path, f"not assessed: no advisories for {eco} in the mirror ({n} packages)")
        for (path, eco), n in sorted(files.items())
    ]


def _unpinned(declared: Sequence[Declared]) -> list[Declared]:
    """Packages from a repository or URL (no release an advisory could name)."""
    loose: dict[tuple[str, str, str], list[Declared]] = defaultdict(list)
    for d in declared:
        if d.version is None and d.url is not None:
            loose[(d.ecosystem, d.key, d.directory)].append(d)
    return [sources.preferred(group) for _, group in sorted(loose.items())]


def _ranges_not_locked(declared: Sequence[Declared], pins: _Pins) -> list[NotAnalyzed]:
    """Per manifest, the ranges (package.json's `^1.2.0`) no lock file in its folder or a
    folder above pins: which version gets installed is unknown, so they, and what they pull
    in, were not assessed. Checked per package, so a lock file that pins nothing (a pull
    request can add one) hides nothing."""
    pinned: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (eco, key, _), places in pins.items():
        pinned[(eco, key)].update(d.directory for d in places)
    loose: dict[str, list[Declared]] = defaultdict(list)
    for d in declared:
        if d.version is None and d.url is None:
            folders = pinned.get((d.ecosystem, d.key), set())
            if not any(_within(d.directory, folder) for folder in folders):
                loose[d.path].append(d)
    return [
        NotAnalyzed(
            path,
            f"not assessed: {len(ds)} dependenc{'y' if len(ds) == 1 else 'ies'} no lock file "
            f"here or in a folder above pins ({', '.join(f'{d.name} {d.specifier}' for d in ds)}):"
            " the installed versions, and what they pull in, are unknown; commit the lock file",
        )
        for path, ds in sorted(loose.items())
    ]


def _within(folder: str, ancestor: str) -> bool:
    return ancestor in (".", "") or folder == ancestor or folder.startswith(ancestor + "/")


def _location(d: Declared) -> Location:
    return Location(path=d.path, start_line=d.line, end_line=d.line, snippet=d.text)


def _finding(scanner: str, d: Declared, version: str, vuln: matcher.Vulnerability) -> Finding:
    record = vuln.advisory
    eco, name = d.ecosystem, d.name
    rated = advisory_severity(record, eco, name)
    fixed: tuple[str, ...] = ()
    for rec in vuln.records:
        fixed = fixed or matcher.fixed_versions(rec, eco, name)
    upgrade = _first_fix_above(eco, version, fixed)
    message = f"{name} {version} is affected by {record.id}"
    message += f" ({', '.join(vuln.aliases)})" if vuln.aliases else ""
    message += f": {record.title}."
    message += f" Fixed in: {', '.join(fixed)}." if fixed else " No fixed version is known."
    if d.direct is not None:
        message += " A direct dependency." if d.direct else " A transitive dependency."
    severity = rated.severity
    if rated.source == "default":
        message += (
            f" The advisory carries no CVSS vector: severity {DEFAULT_SEVERITY} is "
            "secscan's default for unscored known vulnerabilities."
        )
    wrong = attribution.misattributed(record.id, vuln.aliases, eco, name)
    if wrong is not None:
        severity = Severity.INFO
        message += " " + attribution.note(wrong, eco, name)
    return Finding(
        scanner=scanner,
        rule_id=record.id,
        title=_clip(f"{name} {version}: {record.title}", 160),
        message=message,
        severity=severity,
        kind=FindingKind.DEPENDENCY,
        location=_location(d),
        confidence=Confidence.HIGH,
        cwe=_cwes(vuln),
        references=tuple(dict.fromkeys(r.url for rec in vuln.records for r in rec.references))
        or (f"https://osv.dev/vulnerability/{record.id}",),
        remediation=(
            f"Upgrade {name} to {upgrade} or later." if upgrade
            else "No fixed version is known: remove the dependency or waive with a reason."
        ),
        package=Package(name, version, eco, d.purl, fixed),
        aliases=vuln.aliases,
        tags=("security", "dependency", "vulnerability",
              "direct" if d.direct else "transitive" if d.direct is False else "dependency"),
        cvss_vector=rated.vector,
        cvss_score=rated.score,
    )  # fmt: skip


def _unpinned_finding(scanner: str, d: Declared) -> Finding:
    return Finding(
        scanner=scanner,
        rule_id=UNPINNED_RULE,
        title=f"dependency not pinned: {d.name}",
        message=(
            f"{d.name} is installed from a direct reference (repository or URL), not a "
            "released version, so it was not audited against vulnerability advisories."
        ),
        severity=Severity.MEDIUM,
        kind=FindingKind.DEPENDENCY,
        location=_location(d),
        confidence=Confidence.HIGH,
        remediation="Depend on a released version and lock it.",
        package=Package(name=d.name, version=d.specifier or "*", ecosystem=d.ecosystem),
        tags=("supply-chain", "dependency", "unpinned"),
    )


def _first_fix_above(ecosystem: str, version: str, fixed: Sequence[str]) -> str | None:
    try:
        current = matcher.parse_version(ecosystem, version)
        later = [(matcher.parse_version(ecosystem, f), f) for f in fixed]
    except AdvisoryError:
        return None
    above = [(v, text) for v, text in later if current < v]
    try:
        return min(above)[1] if above else None
    except TypeError:
        return above[0][1]


def _cwes(vuln: matcher.Vulnerability) -> tuple[int, ...]:
    out: set[int] = set()
    for rec in vuln.records:
        dbs = rec.raw.get("database_specific")
        ids = dbs.get("cwe_ids", []) if isinstance(dbs, dict) else []
        for cwe in ids if isinstance(ids, list) else []:
            text = str(cwe).upper().removeprefix("CWE-")
            if text.isdigit():
                out.add(int(text))
    return tuple(sorted(out))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
