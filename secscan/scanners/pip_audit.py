"""pip-audit: known vulnerabilities in pinned Python dependencies (`pip-audit --format json`)."""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from packaging.version import InvalidVersion, Version

from secscan.advisories import attribution, client, matcher
from secscan.advisories.osv import Advisory
from secscan.advisories.severity import DEFAULT_SEVERITY, AdvisorySeverity, advisory_severity
from secscan.dependencies import ecosystems, sources
from secscan.dependencies.interface import Declared, Manifests, mask
from secscan.errors import ScannerError, ScannerOutputError, ToolError
from secscan.model.findings import (
    AdvisorySource,
    Confidence,
    Finding,
    FindingKind,
    Location,
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
from secscan.util import proc as _subprocess

#: Where pip-audit's `-s osv` goes when no mirror is configured.
OSV_API = "https://api.osv.dev"
UNPINNED_RULE = "SECSCAN-DEP-UNPINNED"
#: An unpinned requirement is not a known vulnerability, but whatever gets installed is unaudited.
UNPINNED_SEVERITY = Severity.MEDIUM
#: pip-audit's own socket timeout per advisory query, in seconds.
QUERY_TIMEOUT_S = 30
#: The formats this scanner reads: every registered source of Python packages.


@dataclass(frozen=True, slots=True)
class Vuln:
    id: str
    fix_versions: tuple[str, ...]
    aliases: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class Audit:
    """What pip-audit said: vulnerabilities per (name, version), and what it did not audit."""

    resolved: Mapping[tuple[str, str], tuple[Vuln, ...]]
    skipped: tuple[tuple[str, str], ...]  # (name, skip_reason)


def parse_audit(stdout: str) -> Audit:
    """Pure parse of `pip-audit --format json` (tested from captured real output)."""
    try:
        data = json.loads(stdout)
        deps: list[dict[str, Any]] = data["dependencies"]
        if not isinstance(deps, list):
            raise TypeError("'dependencies' is not a list")
    except (ValueError, KeyError, TypeError) as e:
        raise ScannerOutputError("pip-audit", f"output is not pip-audit JSON: {e}") from e
    resolved: dict[tuple[str, str], tuple[Vuln, ...]] = {}
    skipped: list[tuple[str, str]] = []
    try:
        for dep in deps:
            name = str(dep["name"])
            if "skip_reason" in dep:
                skipped.append((name, str(dep["skip_reason"])))
                continue
            vulns = tuple(
                Vuln(
                    id=str(v["id"]),
                    fix_versions=tuple(str(x) for x in v.get("fix_versions", [])),
                    aliases=tuple(str(x) for x in v.get("aliases", [])),
                    description=str(v.get("description") or ""),
                )
                for v in dep.get("vulns", [])
            )
            resolved[(_key(name), _norm_version(str(dep["version"])))] = vulns
    except (KeyError, TypeError, AttributeError) as e:
        raise ScannerOutputError("pip-audit", f"unexpected pip-audit result shape: {e!r}") from e
    return Audit(resolved, tuple(skipped))


class PipAuditScanner(ToolScanner):
    name: ClassVar[str] = "pip-audit"
    kind: ClassVar[FindingKind] = FindingKind.DEPENDENCY
    description: ClassVar[str] = "Known vulnerabilities in pinned Python dependencies (pip-audit)"
    url: ClassVar[str] = "https://github.com/pypa/pip-audit"

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        db = lookup.advisory_db
        if db is None or not ADVISORY_ID.match(rule_id):
            return None
        return advisory_rule(rule_id, db, self.name)

    executable: ClassVar[str] = "pip-audit"
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)  # 1 = vulnerabilities found (or a crash: see _run)
    version_from_distribution: ClassVar[bool] = True
    #: One entry for the run: a pin is audited once per project folder whichever manifest
    #: states it, and `-r` pulls in files from anywhere, so findings are no per-file matter.
    caching: ClassVar[Caching] = Caching.PER_RUN

    def cache_material(self, ctx: ScanContext) -> str | None:
        """Advisory data that cannot be named (the public OSV API, a mirror that does not
        say how fresh it is) changes without notice: such results are never cached."""
        digest = ctx.request.advisory_digest
        if digest is None:
            return None
        settings = sorted(
            (k, v) for k, v in os.environ.items() if k.upper().startswith("PIP_AUDIT_")
        )
        return json.dumps(
            {
                "advisories": digest,
                "max_file_size_mb": ctx.config.max_file_size_mb,
                "env": settings,
            },
            sort_keys=True,
        )

    def applies_to(self, path: str) -> bool:
        return sources.source_for(path, sources.python_sources()) is not None

    def parse_version(self, text: str) -> str:
        # "pip-audit 2.10.1"
        words = text.strip().split()
        return words[-1] if words else "unknown"

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        max_bytes = int(ctx.config.max_file_size_mb * 1024 * 1024)
        found = sources.collect(ctx.root, ctx.targets, max_bytes, sources.python_sources())
        if found.problems:
            raise ScannerError(self.name, _unreadable_message(found))
        pins = _pins(found.declared)
        # Nothing pinned, nothing to look up: the local mirror's server is not started.
        base_url, source = self._service(ctx, start=bool(pins))
        audit = self._audit(sorted(pins), base_url, ctx) if pins else Audit({}, ())
        _require_complete(self.name, audit, pins, source)
        records = _fetch_records(
            base_url, {v.id for vulns in audit.resolved.values() for v in vulns}, QUERY_TIMEOUT_S
        )
        findings = [
            self._vuln_finding(where, version, v, records.get(v.id))
            for (key, version), vulns in sorted(audit.resolved.items())
            for where in pins[(key, version)]
            for v in vulns
        ]
        findings += [self._unpinned_finding(d) for d in _unpinned(found.declared)]
        return ScanOutcome(
            findings=tuple(findings),
            not_analyzed=tuple(found.not_audited),
            advisory_source=source,
            inputs=tuple(found.files),
            components=tuple(
                Package(
                    pins[pin][0].name,
                    pin[1],
                    ecosystems.PYPI,
                    ecosystems.purl(ecosystems.PYPI, *pin),
                )
                for pin in sorted(pins)
            ),
        )

    def argv(self, ctx: ScanContext) -> list[str]:
        """The command for one requirements file; `scan` supplies the file (see _audit)."""
        raise NotImplementedError("pip-audit runs once per generated requirements file")

    # --- running pip-audit ------------------------------------------------------------------

    def _service(self, ctx: ScanContext, *, start: bool = True) -> tuple[str, AdvisorySource]:
        url = ctx.request.osv_url
        if url is None and ctx.request.osv_endpoint is not None:
            if not start and ctx.request.advisory_source is not None:
                return "", ctx.request.advisory_source
            url = ctx.request.osv_endpoint()  # starts the local mirror's server
        base = (url or "").rstrip("/") or None
        if base is None and ctx.config.advisories.url:
            base = client.base_url(ctx.config.advisories.url)
        if base is None:
            return OSV_API, ctx.request.advisory_source or AdvisorySource("osv-api", OSV_API)
        # A mirror URL may carry credentials: reports show the location, never the secret.
        source = AdvisorySource("osv-api", mask(base))
        return base, ctx.request.advisory_source or source

    def audit_argv(self, requirements: Path, base_url: str) -> list[str]:
        return [
            self.tool_path(),
            "-r", str(requirements),
            "--no-deps", "--disable-pip",
            "--format", "json",
            "--progress-spinner", "off",
            "--desc", "on", "--aliases", "on",
            "--timeout", str(QUERY_TIMEOUT_S),
            "-s", "osv", "--osv-url", f"{base_url}/v1/query",
        ]  # fmt: skip

    def _audit(self, pins: Sequence[tuple[str, str]], base_url: str, ctx: ScanContext) -> Audit:
        resolved: dict[tuple[str, str], tuple[Vuln, ...]] = {}
        skipped: list[tuple[str, str]] = []
        with tempfile.TemporaryDirectory(prefix="secscan-pip-audit-") as tmp:
            # pip-audit refuses one name pinned twice in a run: each layer holds a name once.
            for n, layer in enumerate(_layers(pins)):
                req = Path(tmp) / f"requirements-{n}.txt"
                req.write_text("".join(f"{name}=={version}\n" for name, version in layer))
                done = self._run(self.audit_argv(req, base_url), ctx, base_url)
                part = parse_audit(done.stdout)
                resolved.update(part.resolved)
                skipped += part.skipped
        return Audit(resolved, tuple(skipped))

    def _run(self, argv: list[str], ctx: ScanContext, base_url: str) -> _subprocess.Completed:
        try:
            done = _subprocess.run(
                argv,
                ok_codes=self.ok_codes,
                timeout=ctx.timeout,
                cwd=ctx.root,
                env=_env(base_url),
            )
        except ToolError as e:
            raise ScannerError(self.name, mask(e.diagnostics())) from e
        if not done.stdout.strip():
            # pip-audit exits 1 both for "found vulnerabilities" and for a traceback.
            raise ScannerError(self.name, mask(_failure(done.stderr, base_url)))
        return done

    # --- findings ---------------------------------------------------------------------------

    def _vuln_finding(
        self, where: Declared, version: str, vuln: Vuln, record: Advisory | None
    ) -> Finding:
        name = where.name
        if record is not None:
            rated = advisory_severity(record, "PyPI", name)
            fixed = matcher.fixed_versions(record, "PyPI", name) or vuln.fix_versions
            aliases = tuple(sorted({*record.aliases, *vuln.aliases} - {vuln.id}))
            summary = record.title
            refs = tuple(dict.fromkeys(r.url for r in record.references))
            cwe = _cwes(record)
        else:
            rated = AdvisorySeverity(DEFAULT_SEVERITY)
            fixed, aliases, cwe = vuln.fix_versions, tuple(sorted(vuln.aliases)), ()
            summary = vuln.description.split(". ", 1)[0].strip() or vuln.id
            refs = ()
        upgrade = _first_fix_above(version, fixed)
        message = vuln.description or summary
        if fixed:
            message += f" Fixed in: {', '.join(fixed)}."
        if rated.source == "default":
            message += (
                f" The advisory carries no CVSS vector: severity {DEFAULT_SEVERITY} is "
                "secscan's default for unscored known vulnerabilities."
            )
        severity = rated.severity
        wrong = attribution.misattributed(vuln.id, aliases, "PyPI", name)
        if wrong is not None:
            severity = Severity.INFO
            message += " " + attribution.note(wrong, "PyPI", name)
        return Finding(
            scanner=self.name,
            rule_id=vuln.id,
            title=_clip(f"{name} {version}: {summary}", 160),
            message=message.strip(),
            severity=severity,
            kind=FindingKind.DEPENDENCY,
            location=_location(where),
            confidence=Confidence.HIGH,
            cwe=cwe,
            references=refs or (f"https://osv.dev/vulnerability/{quote(vuln.id)}",),
            remediation=(
                f"Upgrade {name} to {upgrade} or later." if upgrade
                else "No fixed version is known: remove the dependency or waive with a reason."
            ),
            package=Package(
                name=name,
                version=version,
                ecosystem="PyPI",
                purl=ecosystems.purl(where.ecosystem, where.name, version),
                fixed_versions=tuple(fixed),
            ),
            aliases=aliases,
            tags=("security", "dependency", "vulnerability"),
            cvss_vector=rated.vector,
            cvss_score=rated.score,
        )  # fmt: skip

    def _unpinned_finding(self, d: Declared) -> Finding:
        if d.url:
            what = "is installed from a direct reference (URL or VCS), not a released version"
            fix = "Depend on a released version and pin it with == (or lock it)."
        else:
            allowed = f"allows {d.specifier}" if d.specifier else "allows any version"
            what = f"{allowed}: which version gets installed depends on the day of the build"
            fix = "Pin an exact version with == or install from a lock file."
        return Finding(
            scanner=self.name,
            rule_id=UNPINNED_RULE,
            title=f"dependency not pinned: {d.name}",
            message=(f"{d.name} {what}, so it was not audited against vulnerability advisories."),
            severity=UNPINNED_SEVERITY,
            kind=FindingKind.DEPENDENCY,
            location=_location(d),
            confidence=Confidence.HIGH,
            remediation=fix,
            package=Package(name=d.name, version=d.specifier or "*", ecosystem="PyPI"),
            tags=("supply-chain", "dependency", "unpinned"),
        )


# --- helpers ------------------------------------------------------------------------------


def _key(name: str) -> str:
    return matcher.normalize_name("PyPI", name)


def _norm_version(text: str) -> str:
    try:
        return str(Version(text))
    except InvalidVersion:
        return text


def _pins(declared: Iterable[Declared]) -> dict[tuple[str, str], list[Declared]]:
    """(name, version) -> one place per project directory where that pin is written."""
    places: dict[tuple[str, str, str], list[Declared]] = defaultdict(list)
    for d in declared:
        if d.version is not None:
            places[(d.key, d.version, d.directory)].append(d)
    pins: dict[tuple[str, str], list[Declared]] = defaultdict(list)
    for (key, version, _), group in sorted(places.items()):
        pins[(key, version)].append(sources.preferred(group))
    return dict(pins)


def _unpinned(declared: Sequence[Declared]) -> list[Declared]:
    """One finding per package and project directory, unless that directory also pins it."""
    pinned = {(d.key, d.directory) for d in declared if d.version is not None}
    loose: dict[tuple[str, str], list[Declared]] = defaultdict(list)
    for d in declared:
        if d.version is None and (d.key, d.directory) not in pinned:
            loose[(d.key, d.directory)].append(d)
    return [sources.preferred(group) for _, group in sorted(loose.items())]


def _layers(pins: Sequence[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    layers: list[list[tuple[str, str]]] = []
    for name, version in pins:
        for layer in layers:
            if all(n != name for n, _ in layer):
                layer.append((name, version))
                break
        else:
            layers.append([(name, version)])
    return layers


def _location(d: Declared) -> Location:
    # The snippet is set here, masked, so the fingerprinter never copies a raw line with a token.
    return Location(path=d.path, start_line=d.line, end_line=d.line, snippet=d.text)


def _env(base_url: str) -> dict[str, str]:
    """Keep a loopback mirror off any corporate proxy the environment configures."""
    env = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    host = urlsplit(base_url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
        extra = "127.0.0.1,localhost,::1"
        joined = f"{current},{extra}" if current else extra
        env.update(NO_PROXY=joined, no_proxy=joined)
    return env


def _failure(stderr: str, base_url: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    unreachable = ("ConnectionError", "Could not connect", "Max retries", "NameResolution",
                   "ConnectTimeout", "ReadTimeout")  # fmt: skip
    if any(word in stderr for word in unreachable):
        # One line that says what to do; the tool's own traceback adds nothing to it.
        return (
            f"the advisory service at {base_url} is unreachable, so no dependency was audited "
            "(not a clean result); to audit offline, import an OSV export once with "
            "`secscan advisories import all.zip --db DIR` and set `advisories.db: DIR` in "
            ".secscan.yaml (or pass --advisory-db DIR)"
        )
    if "HTTPError" in stderr or "ServiceError" in stderr:
        return f"the advisory service at {base_url} answered with an error: {_clip(last, 300)}"
    return f"pip-audit printed no result: {_clip(last, 300)}"


def _unreadable_message(found: Manifests) -> str:
    listed = "\n  ".join(str(p) for p in found.problems[:20])
    more = f"\n  ... and {len(found.problems) - 20} more" if len(found.problems) > 20 else ""
    return (
        "cannot read every dependency manifest, so not every dependency could be "
        f"audited:\n  {listed}{more}"
    )


def _require_complete(
    scanner: str,
    audit: Audit,
    pins: Mapping[tuple[str, str], list[Declared]],
    source: AdvisorySource,
) -> None:
    """A pin pip-audit skipped or did not mention is an error, never a pass."""
    skipped = {_key(name) for name, _ in audit.skipped}
    missing = [
        f"{n}=={v}" for n, v in sorted(pins) if (n, v) not in audit.resolved and n not in skipped
    ]
    if audit.skipped or missing:
        raise ScannerError(scanner, _not_audited_message(audit.skipped, missing, source))


def _not_audited_message(
    skipped: Sequence[tuple[str, str]], missing: Sequence[str], source: AdvisorySource
) -> str:
    parts = [f"{name}: {reason}" for name, reason in skipped]
    parts += [f"{pin}: pip-audit did not report on it" for pin in missing]
    shown = "\n  ".join(parts[:20])
    more = f"\n  ... and {len(parts) - 20} more" if len(parts) > 20 else ""
    return (
        f"{len(parts)} dependenc{'y was' if len(parts) == 1 else 'ies were'} NOT audited "
        f"against {source.kind} {source.location} (a skipped dependency is never a pass):\n"
        f"  {shown}{more}"
    )


def _fetch_records(base_url: str, ids: set[str], timeout: float) -> dict[str, Advisory]:
    """Full OSV records for severity, references and CWEs (pip-audit's JSON has none of them).

    A record that cannot be fetched leaves the finding in place at the default severity.
    """
    if not ids:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(ids))) as pool:
        got = pool.map(lambda i: (i, client.fetch_vuln(base_url, i, timeout)), sorted(ids))
        return {i: rec for i, rec in got if rec is not None}


def _cwes(record: Advisory) -> tuple[int, ...]:
    dbs = record.raw.get("database_specific")
    ids = dbs.get("cwe_ids", []) if isinstance(dbs, dict) else []
    out: list[int] = []
    for cwe in ids if isinstance(ids, list) else []:
        text = str(cwe).upper().removeprefix("CWE-")
        if text.isdigit():
            out.append(int(text))
    return tuple(sorted(set(out)))


def _first_fix_above(version: str, fixed: Sequence[str]) -> str | None:
    try:
        current = Version(version)
        later = sorted((Version(f) for f in fixed if _is_version(f)), key=lambda v: v)
    except InvalidVersion:
        return None
    for v in later:
        if v > current:
            return str(v)
    return None


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
