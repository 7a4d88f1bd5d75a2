"""image: a container image's packages and their vulnerabilities, its secrets and misconfigurations.

Vulnerabilities come from trivy's own database when the config makes one available; otherwise
(air-gapped, the usual case) trivy lists the packages (CycloneDX) and secscan matches each
package URL against the local OSV database. With neither, the scan is an error, never clean.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import platformdirs
from packageurl import PackageURL

from secscan.advisories import attribution, matcher
from secscan.advisories.osv import Advisory
from secscan.advisories.severity import advisory_severity
from secscan.advisories.store import AdvisoryStore
from secscan.errors import AdvisoryError, ConfigError, ScannerError, ScannerOutputError
from secscan.model.findings import (
    AdvisorySource,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Package,
    Severity,
)
from secscan.scanners import _trivy
from secscan.scanners.base import (
    ADVISORY_ID,
    Caching,
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ScanRequest,
    StatusLine,
    advisory_rule,
    options,
)
from secscan.scanners.trivy_config import misconfig_finding
from secscan.scanners.trivy_secrets import secret_finding
from secscan.settings.config import Config
from secscan.util import files as _files
from secscan.util import proc as _subprocess
from secscan.util.cachedir import digest_file, digest_tree

log = logging.getLogger(__name__)

#: trivy package types -> OSV ecosystem (language packages found inside the image).
LANGUAGE_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "maven": "Maven",
    "gem": "RubyGems",
    "cargo": "crates.io",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
}
#: trivy's OS family (the purl namespace) -> OSV ecosystem base.
OS_ECOSYSTEMS = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
    "rocky": "Rocky Linux",
    "alma": "AlmaLinux",
    "almalinux": "AlmaLinux",
    "redhat": "Red Hat",
    "opensuse": "openSUSE",
    "opensuse.leap": "openSUSE",
    "opensuse-leap": "openSUSE",
    "suse": "SUSE",
    "sles": "SUSE",
}
_FROM = re.compile(r"^\s*FROM\s", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_TITLE_CHARS = 160
#: Where secscan puts findings about files inside an image: `image:<repository>!/<path>`.
IN_IMAGE = "!/"


def repository(reference: str) -> str:
    """`registry:5000/team/app:1.2@sha256:...` -> `registry:5000/team/app`.

    Findings are keyed by the repository, never the tag or digest: every build has a new
    digest, and a fingerprint that followed it would close and reopen every alert.
    """
    ref = reference.strip().split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref = ref[:colon]
    return ref or reference.strip()


def pseudo_path(repo: str, inner: str | None = None) -> str:
    """The stable path of an image (or of a file inside it) in reports."""
    base = f"image:{repo}"
    return f"{base}{IN_IMAGE}{inner.lstrip('/')}" if inner else base


def anchor(root: Path, repo: str) -> Location:
    """Where image vulnerabilities are reported: the scan root's Dockerfile (its last FROM).

    A path in the repository lets code-scanning tools show the alert beside the file that
    picks the base image; without a Dockerfile, a pseudo-path naming the repository.
    """
    dockerfile = root / "Dockerfile"
    try:
        if dockerfile.is_file() and not dockerfile.is_symlink():
            lines = dockerfile.read_text(encoding="utf-8", errors="replace").splitlines()
            froms = [i for i, line in enumerate(lines, 1) if _FROM.match(line)]
            return Location("Dockerfile", froms[-1], froms[-1]) if froms else Location("Dockerfile")
    except OSError:
        pass
    return Location(pseudo_path(repo))


@dataclass(frozen=True, slots=True)
class ImagePackage:
    """One package trivy found in the image, and how secscan can look it up in OSV."""

    name: str
    version: str
    purl: str | None
    #: OSV ecosystem ("Debian:11", "Alpine:v3.16", "PyPI"); None when secscan cannot match it.
    ecosystem: str | None
    #: The name and version advisories use: the source package for Debian, Alpine and RPM.
    query_name: str
    query_version: str
    path: str | None = None
    os_package: bool = False


@dataclass(frozen=True, slots=True)
class Inventory:
    os_family: str | None
    os_version: str | None
    repo_tags: tuple[str, ...]
    packages: tuple[ImagePackage, ...]


def osv_ecosystem(purl: PackageURL, os_family: str | None, os_version: str | None) -> str | None:
    """The OSV ecosystem to query for a package URL, as narrow as OSV names releases.

    Debian records name the release by its major number ("Debian:11"), Alpine by
    "v<major>.<minor>". Ubuntu and RPM families are queried without a release: OSV spells
    their releases in ways a purl does not carry, and a wider query can only add matches.
    """
    if purl.type in LANGUAGE_ECOSYSTEMS:
        return LANGUAGE_ECOSYSTEMS[purl.type]
    if purl.type not in ("deb", "apk", "rpm"):
        return None
    base = OS_ECOSYSTEMS.get((purl.namespace or os_family or "").lower())
    if base is None:
        return None
    distro = str((purl.qualifiers or {}).get("distro") or "")
    version = distro.split("-", 1)[1] if "-" in distro else distro or (os_version or "")
    return _with_release(base, _DIGITS.findall(version))


def _with_release(base: str, numbers: Sequence[str]) -> str:
    """`base` narrowed to the release as OSV spells it for that family, when it does."""
    if base == "Debian" and numbers:
        return f"Debian:{numbers[0]}"
    if base == "Alpine" and len(numbers) >= 2:
        return f"Alpine:v{numbers[0]}.{numbers[1]}"
    if base in ("Rocky Linux", "AlmaLinux") and numbers:
        return f"{base}:{numbers[0]}"
    return base


def _properties(component: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for prop in component.get("properties") or []:
        if isinstance(prop, dict) and "name" in prop:
            out[str(prop["name"]).rsplit(":", 1)[-1]] = str(prop.get("value") or "")
    return out


def _walk(components: Sequence[Any]) -> Iterator[dict[str, Any]]:
    for c in components:
        if isinstance(c, dict):
            yield c
            yield from _walk(c.get("components") or [])


def image_package(
    name: str,
    version: str,
    purl_text: str | None,
    props: dict[str, str],
    os_family: str | None,
    os_version: str | None,
) -> ImagePackage:
    """How to look one package up: OS packages by their source package, as advisories name them."""
    purl = _purl_or_none(purl_text)
    if purl is None:
        return ImagePackage(name, version, purl_text, None, name, version, props.get("FilePath"))
    os_package = purl.type in ("deb", "apk", "rpm")
    query_name, query_version = (
        _source_package(purl, version, props) if os_package else _language_package(purl, version)
    )
    return ImagePackage(
        name=name,
        version=version,
        purl=purl_text,
        ecosystem=osv_ecosystem(purl, os_family, os_version),
        query_name=query_name,
        query_version=query_version,
        path=props.get("FilePath"),
        os_package=os_package,
    )


def _purl_or_none(text: str | None) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _source_package(purl: PackageURL, version: str, props: dict[str, str]) -> tuple[str, str]:
    """An OS package's source package name and version (epoch:version-release)."""
    query_name = props.get("SrcName") or purl.name
    if not props.get("SrcVersion"):
        return query_name, version
    epoch = props.get("SrcEpoch") or str((purl.qualifiers or {}).get("epoch") or "")
    release = props.get("SrcRelease")
    query_version = props["SrcVersion"] + (f"-{release}" if release else "")
    if epoch and epoch != "0":
        query_version = f"{epoch}:{query_version}"
    return query_name, query_version


def _language_package(purl: PackageURL, version: str) -> tuple[str, str]:
    """A language package's name and version as OSV spells them (Maven's group:artifact, Go
    versions without their `v`)."""
    sep = ":" if purl.type == "maven" else "/"
    query_name = f"{purl.namespace}{sep}{purl.name}" if purl.namespace else purl.name
    query_version = purl.version or version
    if purl.type == "golang":
        query_version = query_version.removeprefix("v")
    return query_name, query_version


def parse_inventory(text: str, scanner: str = "image") -> Inventory:
    """trivy's CycloneDX SBOM of the image: the OS, the repository tags and every package."""
    try:
        bom = json.loads(text)
    except ValueError as e:
        raise ScannerOutputError(scanner, f"package inventory is not JSON: {e}") from e
    if not isinstance(bom, dict) or bom.get("bomFormat") != "CycloneDX":
        raise ScannerOutputError(scanner, "package inventory is not a CycloneDX document")
    components = bom.get("components") or []
    meta = bom.get("metadata") or {}
    if not isinstance(components, list) or not isinstance(meta, dict):
        raise ScannerOutputError(scanner, "CycloneDX `components` is not a list")
    try:  # a value of the wrong type anywhere is a broken tool, never a partial inventory
        return _inventory(components, meta)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise ScannerOutputError(scanner, f"unexpected CycloneDX shape: {e!r}") from e


def _operating_system(components: list[Any]) -> tuple[str | None, str | None]:
    """The (family, version) of the last operating-system component (None, None without one)."""
    os_family = os_version = None
    for c in _walk(components):
        if c.get("type") == "operating-system":
            os_family = str(c.get("name") or "") or None
            os_version = str(c.get("version") or "") or None
    return os_family, os_version


def _inventory(components: list[Any], meta: dict[str, Any]) -> Inventory:
    tags = [
        str(prop.get("value"))
        for prop in (meta.get("component") or {}).get("properties") or []
        if isinstance(prop, dict) and str(prop.get("name", "")).endswith(":RepoTag")
    ]
    os_family, os_version = _operating_system(components)
    packages = [
        image_package(
            str(c.get("name") or ""),
            str(c.get("version") or ""),
            c.get("purl"),
            _properties(c),
            os_family,
            os_version,
        )
        for c in _walk(components)
        if c.get("type") == "library"
    ]
    return Inventory(os_family, os_version, tuple(tags), tuple(packages))


def match_inventory(
    inventory: Inventory, store: AdvisoryStore, where: Location, repo: str, scanner: str = "image"
) -> tuple[tuple[Finding, ...], tuple[NotAnalyzed, ...]]:
    """Every package against the local OSV store; what cannot be matched is said, not dropped.

    Raises ScannerError when the image's OS packages cannot be assessed at all (the store
    holds no record for that distribution, or secscan cannot order its versions): reporting
    them as clean would be the silent "0 vulnerabilities" this scanner must never give.
    """
    covered = {eco for eco, count in store.info().ecosystems if count}
    _require_os_coverage(inventory, store, covered, scanner)
    findings: list[Finding] = []
    skipped: list[NotAnalyzed] = []
    for pkg in inventory.packages:
        where_pkg = pseudo_path(repo, pkg.path) if pkg.path else pseudo_path(repo)
        unmatched = _unmatchable(pkg, covered)
        if unmatched is not None:
            skipped.append(NotAnalyzed(where_pkg, f"package {pkg.purl or pkg.name}: {unmatched}"))
            continue
        assert pkg.ecosystem is not None  # noqa: S101 - _unmatchable said it is set
        try:
            hits = store.query(pkg.ecosystem, pkg.query_name, pkg.query_version)
        except AdvisoryError as e:
            skipped.append(NotAnalyzed(where_pkg, f"package {pkg.purl or pkg.name}: {e}"))
            continue
        findings.extend(_osv_finding(a, pkg, pkg.ecosystem, where, repo, scanner) for a in hits)
    return tuple(findings), tuple(skipped)


def _unmatchable(pkg: ImagePackage, covered: set[str]) -> str | None:
    """Why the package cannot be looked up in the store, or None when it can."""
    base = matcher.base_ecosystem(pkg.ecosystem) if pkg.ecosystem else None
    if base is None:
        return "no OSV ecosystem secscan can match"
    if base not in covered:
        return f"no {base} records in the advisory database"
    return None


def _require_os_coverage(
    inventory: Inventory, store: AdvisoryStore, covered: set[str], scanner: str
) -> None:
    os_pkgs = [p for p in inventory.packages if p.os_package]
    if not os_pkgs:
        return
    os_eco = next((p.ecosystem for p in os_pkgs if p.ecosystem), None)
    base = matcher.base_ecosystem(os_eco) if os_eco else None
    if base is not None and base in covered:
        return
    distro = f"{inventory.os_family or 'unknown'} {inventory.os_version or ''}".strip()
    why = (
        f"the advisory database {store.root} holds no {base} records"
        if base
        else f"secscan cannot match {distro} packages against OSV"
    )
    raise ScannerError(
        scanner,
        f"cannot assess the {len(os_pkgs)} OS package(s) of {distro}: {why}. Add that "
        "distribution's OSV records or make trivy's database available (trivy.cache_dir, "
        "trivy.db_repository, trivy.download_db)",
    )


def _osv_finding(
    advisory: Advisory, pkg: ImagePackage, ecosystem: str, where: Location, repo: str, scanner: str
) -> Finding:
    sev = advisory_severity(advisory, ecosystem, pkg.query_name)
    fixed = matcher.fixed_versions(advisory, ecosystem, pkg.query_name)
    # Debian's records keep the CVE in `upstream`, not `aliases`.
    upstream = advisory.raw.get("upstream") if isinstance(advisory.raw, dict) else None
    aliases = [*advisory.aliases, *(str(u) for u in upstream or [] if isinstance(u, str))]
    aliases = [a for a in dict.fromkeys(aliases) if a != advisory.id]
    via = (
        f" (source package {pkg.query_name} {pkg.query_version})"
        if (pkg.query_name != pkg.name)
        else ""
    )
    severity, note = sev.severity, ""
    wrong = attribution.misattributed(advisory.id, aliases, ecosystem, pkg.query_name)
    if wrong is not None:
        severity, note = Severity.INFO, " " + attribution.note(wrong, ecosystem, pkg.query_name)
    return Finding(
        scanner=scanner,
        rule_id=advisory.id,
        title=_short(advisory.title),
        message=(
            f"{pkg.name} {pkg.version}{via} in image {repo} is affected by {advisory.id}"
            + (f" ({', '.join(aliases)})" if aliases else "")
            + (f"; fixed in {', '.join(fixed)}" if fixed else "; no fixed version is known")
            + note
        ),
        severity=severity,
        kind=FindingKind.IMAGE,
        location=where,
        references=tuple(dict.fromkeys(r.url for r in advisory.references)),
        remediation=_remediation(pkg.name, fixed, pkg.os_package),
        package=Package(pkg.name, pkg.version, ecosystem, pkg.purl, fixed),
        aliases=tuple(aliases),
        tags=("image", "os-pkgs" if pkg.os_package else "lang-pkgs"),
        resource=repo,
        cvss_vector=sev.vector,
        cvss_score=sev.score,
    )


def _remediation(name: str, fixed: Sequence[str], os_package: bool) -> str:
    if not fixed:
        return f"No fixed {name} is known yet: rebuild when one is out, or waive with a reason."
    how = "update the base image or install the fixed package" if os_package else "upgrade it"
    return f"Rebuild the image with {name} {fixed[-1]} or later ({how})."


def _short(text: str) -> str:
    line = " ".join(text.split())
    if len(line) <= _TITLE_CHARS:
        return line
    cut = line.find(". ")
    return line[: cut + 1] if 0 < cut < _TITLE_CHARS else line[: _TITLE_CHARS - 3] + "..."


def parse_report(
    stdout: str, where: Location, repo: str, scanner: str = "image"
) -> tuple[Finding, ...]:
    """trivy's JSON image report: vulnerabilities (when its DB ran), secrets, misconfigurations."""
    results = _trivy.load_results(stdout, scanner)
    try:
        data = json.loads(stdout)
        os_meta = (data.get("Metadata") or {}).get("OS") or {}
        os_family, os_version = os_meta.get("Family"), os_meta.get("Name")
        artifact = str(data.get("ArtifactName") or "")
        findings: list[Finding] = []
        for result in results:
            findings.extend(
                _trivy_vuln(v, result, os_family, os_version, where, repo, scanner)
                for v in result.get("Vulnerabilities") or []
            )
            findings.extend(_result_extras(result, artifact, repo, scanner))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise ScannerOutputError(scanner, f"unexpected trivy image report shape: {e!r}") from e
    return tuple(findings)


def _result_extras(
    result: dict[str, Any], artifact: str, repo: str, scanner: str
) -> Iterator[Finding]:
    """The secrets and failed misconfiguration checks of one result."""
    target = str(result.get("Target") or "")
    # Checks of the image config (its history, user, env) name the image itself, whose
    # name as given carries the tag or archive file name: keyed by repository instead.
    inner = pseudo_path(repo) if target == artifact else pseudo_path(repo, target)
    kind = str(result.get("Type") or "")
    for s in result.get("Secrets") or []:
        yield secret_finding(s, inner, scanner, resource=repo)
    for m in result.get("Misconfigurations") or []:
        if m.get("Status", "FAIL") == "FAIL":
            yield misconfig_finding(m, inner, kind, scanner, resource=repo)


def _trivy_vuln(
    v: dict[str, Any],
    result: dict[str, Any],
    os_family: str | None,
    os_version: str | None,
    where: Location,
    repo: str,
    scanner: str,
) -> Finding:
    vid = str(v["VulnerabilityID"])
    name, version = str(v["PkgName"]), str(v.get("InstalledVersion") or "")
    purl_text = (v.get("PkgIdentifier") or {}).get("PURL")
    pkg = image_package(
        name, version, purl_text, {"FilePath": v.get("PkgPath") or ""}, os_family, os_version
    )
    fixed = _fixed_versions(v.get("FixedVersion"))
    vector, score = _cvss(v)
    os_package = str(result.get("Class")) == "os-pkgs"
    ecosystem = pkg.ecosystem or str(result.get("Type") or "unknown")
    return Finding(
        scanner=scanner,
        rule_id=vid,
        title=_short(str(v.get("Title") or vid)),
        message=f"{name} {version} in image {repo} is affected by {vid}{_fixed_note(fixed)}",
        severity=Severity.parse(str(v.get("Severity") or "UNKNOWN")),
        kind=FindingKind.IMAGE,
        location=where,
        cwe=_cwe_ids(v.get("CweIDs") or []),
        references=_references(v),
        remediation=_remediation(name, fixed, os_package),
        package=Package(name, version, ecosystem, purl_text, fixed),
        aliases=tuple(str(a) for a in v.get("VendorIDs") or []),
        tags=("image", "os-pkgs" if os_package else "lang-pkgs"),
        resource=repo,
        cvss_vector=vector,
        cvss_score=score,
    )


def _fixed_versions(text: Any) -> tuple[str, ...]:
    """trivy's comma-separated FixedVersion, as a tuple."""
    return tuple(x.strip() for x in str(text or "").split(",") if x.strip())


def _fixed_note(fixed: Sequence[str]) -> str:
    return f"; fixed in {', '.join(fixed)}" if fixed else "; no fixed version is known"


def _cvss(v: dict[str, Any]) -> tuple[str | None, float | None]:
    """The vector and score of the source trivy took the severity from, else NVD's, else any."""
    cvss: dict[str, Any] = v.get("CVSS") or {}
    chosen: dict[str, Any] = (
        cvss.get(str(v.get("SeveritySource") or ""))
        or cvss.get("nvd")
        or next(iter(cvss.values()), {})
    )
    vector = chosen.get("V3Vector") or chosen.get("V40Vector") or chosen.get("V2Vector")
    score = chosen.get("V3Score") or chosen.get("V40Score") or chosen.get("V2Score")
    return (str(vector) if vector else None), _score(score)


def _cwe_ids(ids: list[Any]) -> tuple[int, ...]:
    return tuple(
        int(c.split("-", 1)[1])
        for c in ids
        if str(c).upper().startswith("CWE-") and str(c).split("-", 1)[1].isdigit()
    )


def _references(v: dict[str, Any]) -> tuple[str, ...]:
    refs = [str(u) for u in (v.get("PrimaryURL"), *(v.get("References") or [])) if u]
    return tuple(dict.fromkeys(refs))


def _score(value: Any) -> float | None:
    """A CVSS base score: 0 to 10; trivy's JSON may carry NaN or a string that is none."""
    try:
        score = float(value) if value else None
    except (TypeError, ValueError):
        return None
    return score if score is not None and 0.0 <= score <= 10.0 else None


def oci_ref_name(layout: Path) -> str | None:
    """The `org.opencontainers.image.ref.name` of an OCI layout directory, when it names a repo.

    trivy does not report it; a bare tag (`7`, as some tools write) names no repository.
    """
    try:
        # In the scanned tree: a link to /dev/zero is refused, not read until memory runs out.
        index = json.loads(_files.read_text(layout / "index.json"))
        for m in index.get("manifests") or []:
            name = str((m.get("annotations") or {}).get("org.opencontainers.image.ref.name") or "")
            if "/" in name or ":" in name:
                return name
    except (ConfigError, ValueError, AttributeError, TypeError, RecursionError):
        return None
    return None


def read_db_metadata(cache_dir: Path) -> dict[str, Any] | None:
    """trivy's `db/metadata.json` when a vulnerability DB sits in cache_dir, else None."""
    db = cache_dir / "db"
    try:
        if not (db / "trivy.db").is_file():
            return None
        meta = json.loads(_files.read_text(db / "metadata.json"))
    except (OSError, ValueError, RecursionError, ConfigError):
        return None
    return meta if isinstance(meta, dict) else None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One vulnerability source for images, as `secscan doctor` shows it."""

    kind: str  # "trivy-db" | "local-osv"
    usable: bool
    detail: str


def advisory_sources(config: Config) -> tuple[SourceStatus, ...]:
    """Which sources an image scan with this config could use, without touching the network."""
    opts = config.section("trivy", _trivy.TrivyOptions)
    cache = config.resolve(opts.cache_dir) or default_cache_dir()
    meta = read_db_metadata(cache)
    opted_in = bool(opts.download_db or opts.db_repository or opts.cache_dir)
    if meta is not None:
        fresh = f"updated {meta.get('UpdatedAt', '?')}, next due {meta.get('NextUpdate', '?')}"
        trivy_db = SourceStatus(
            "trivy-db",
            opted_in,
            f"{cache / 'db'} ({fresh})"
            + ("" if opted_in else "; not used: set trivy.cache_dir to use it"),
        )
    elif opts.download_db or opts.db_repository:
        where = opts.db_repository or "trivy's default registries"
        trivy_db = SourceStatus(
            "trivy-db",
            False,
            f"none in {cache / 'db'} yet; a scan will try to download it from "
            f"{where} (needs the network or a mirror)",
        )
    else:
        trivy_db = SourceStatus(
            "trivy-db",
            False,
            f"none in {cache / 'db'}; not configured (trivy.cache_dir, trivy.db_repository, "
            "trivy.download_db)",
        )
    db = config.resolve(config.advisories.db)
    if db is None:
        local = SourceStatus("local-osv", False, "not configured (advisories.db or --advisory-db)")
    else:
        try:
            info = AdvisoryStore.open(db, write_index=False).info()
        except AdvisoryError as e:
            local = SourceStatus("local-osv", False, e.diagnostics().splitlines()[0])
        else:
            ecosystems = ", ".join(f"{eco} {n}" for eco, n in info.ecosystems) or "none"
            local = SourceStatus(
                "local-osv",
                info.records > 0,
                f"{info.location}: {info.records} record(s), newest modified "
                f"{info.newest_modified or '-'}; ecosystems: {ecosystems}",
            )
    return (trivy_db, local)


def default_cache_dir() -> Path:
    """trivy's own default (os.UserCacheDir()/trivy), passed explicitly so secscan knows it."""
    return Path(platformdirs.user_cache_dir("trivy"))


class TrivyImageScanner(_trivy.TrivyScanner):
    name: ClassVar[str] = "image"
    kind: ClassVar[FindingKind] = FindingKind.IMAGE
    description: ClassVar[str] = (
        "container image packages and vulnerabilities, secrets and misconfigurations (trivy image)"
    )
    display_name: ClassVar[str] = "trivy image"
    kinds: ClassVar[frozenset[FindingKind]] = frozenset(
        {FindingKind.IMAGE, FindingKind.SECRET, FindingKind.IAC}
    )

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        db = lookup.advisory_db
        if db is None or not ADVISORY_ID.match(rule_id):
            return None
        return advisory_rule(rule_id, db, self.name)

    def status(self, config: Config) -> tuple[StatusLine, ...]:
        return tuple(
            StatusLine("advisory sources for images", s.kind, s.usable, s.detail)
            for s in advisory_sources(config)
        )

    #: One entry per image and vulnerability data: the image is named by its content (an
    #: archive's digest, a reference pinned by digest), the data by trivy's DB metadata or
    #: the local OSV mirror's digest.
    caching: ClassVar[Caching] = Caching.PER_RUN

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...] | None:
        return ()  # the target is no file of the tree: cache_material names the image

    def cache_material(self, ctx: ScanContext) -> str | None:
        image = self._image_identity(ctx)
        data = self._data_identity(ctx)
        if image is None or data is None:
            return None
        dockerfile = ctx.root / "Dockerfile"  # anchor(): where image findings are reported
        anchor_file = "link" if dockerfile.is_symlink() else digest_file(dockerfile) or "absent"
        return json.dumps(
            {
                "image": image,
                "data": data,
                "anchor": anchor_file,
                "checks": _trivy.checks_digest(self.cache_dir(ctx)),
                "env": _trivy.settings_digest(os.environ),
            },
            sort_keys=True,
        )

    def _image_identity(self, ctx: ScanContext) -> str | None:
        """The image by content; None for a tag, which may point elsewhere tomorrow."""
        archive = ctx.request.image_archive
        if archive is not None:
            where = Path(archive).absolute()
            digest = digest_tree(where)
            return None if digest is None else f"archive:{where}:{digest}"
        ref = ctx.request.image or ""
        return f"ref:{ref}" if "@sha256:" in ref else None

    def _data_identity(self, ctx: ScanContext) -> str | None:
        """The vulnerability data scan() will use, named by content; None when it would be
        downloaded during the scan (a cached result would outlive the update)."""
        opts = options(ctx.config, self, _trivy.TrivyOptions)
        if opts.download_db or opts.db_repository or opts.java_db_repository:
            return None
        if opts.cache_dir:
            db = self.cache_dir(ctx) / "db"
            if read_db_metadata(self.cache_dir(ctx)) is not None:
                meta = digest_file(db / "metadata.json")
                try:
                    st = (db / "trivy.db").stat()
                except OSError:
                    return None
                return f"trivy-db:{meta}:{st.st_size}:{st.st_mtime_ns}"
        db_dir = ctx.request.advisory_db or ctx.config.resolve(ctx.config.advisories.db)
        if db_dir is None:
            return None
        if ctx.request.advisory_db is not None and ctx.request.advisory_digest is not None:
            return ctx.request.advisory_digest
        try:
            return f"local-osv:{AdvisoryStore.open(Path(db_dir), write_index=False).digest()}"
        except AdvisoryError:
            return None

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        """Only an image the user named: without --image / --image-archive this scanner skips."""
        if request.image_archive is not None:
            return (str(request.image_archive),)
        if request.image:
            return (request.image,)
        return ()

    def cache_dir(self, ctx: ScanContext) -> Path:
        configured = ctx.config.resolve(options(ctx.config, self, _trivy.TrivyOptions).cache_dir)
        return configured if configured is not None else default_cache_dir()

    def image_args(self, ctx: ScanContext) -> list[str]:
        if ctx.request.image_archive is not None:
            return ["--input", str(Path(ctx.request.image_archive).absolute())]
        if ctx.request.image:
            return ["--", ctx.request.image]
        raise ScannerError(self.name, "no image given (--image REF or --image-archive FILE)")

    def base_argv(self, ctx: ScanContext, *, vuln_db: bool) -> list[str]:
        opts = options(ctx.config, self, _trivy.TrivyOptions)
        argv = [
            self.tool_path(),
            "image",
            *self.common_flags(ctx),
            "--cache-dir",
            str(self.cache_dir(ctx)),
            # layer analysis stays in memory: nothing written beside the user's trivy cache
            "--cache-backend",
            "memory",
            "--skip-check-update",
            "--skip-db-update",
            "--parallel",
            str(ctx.jobs),
        ]
        if opts.java_db_repository:
            argv += ["--java-db-repository", opts.java_db_repository]
        else:
            argv += ["--skip-java-db-update"]
        if not vuln_db:
            argv += ["--offline-scan"]
        return argv

    def trivy_db(self, ctx: ScanContext) -> tuple[AdvisorySource | None, str | None]:
        """trivy's DB when the config opts into one (download, mirror, pre-filled cache).

        Returns the source (None when there is no usable DB) and why a download failed.
        """
        opts = options(ctx.config, self, _trivy.TrivyOptions)
        if not (opts.download_db or opts.db_repository or opts.cache_dir):
            return None, None
        cache = self.cache_dir(ctx)
        problem = None
        if opts.download_db or opts.db_repository:
            argv = [
                self.tool_path(),
                "image",
                "--download-db-only",
                *self.common_flags(ctx),
                "--cache-dir",
                str(cache),
            ]
            if opts.db_repository:
                argv += ["--db-repository", opts.db_repository]
            try:
                self.execute(argv, ctx)
            except ScannerError as e:
                problem = f"trivy could not download its vulnerability DB: {e.reason}"
        meta = read_db_metadata(cache)
        if meta is None:
            return None, problem or f"no trivy vulnerability DB in {cache / 'db'}"
        updated = meta.get("UpdatedAt")
        return (
            AdvisorySource(
                kind="trivy-db",
                location=str(cache / "db"),
                newest_modified=str(updated) if updated else None,
            ),
            problem,
        )

    def osv_store(self, ctx: ScanContext, db_problem: str | None) -> AdvisoryStore:
        db_dir = ctx.request.advisory_db or ctx.config.resolve(ctx.config.advisories.db)
        if db_dir is None:
            raise ScannerError(
                self.name,
                "no vulnerability source for the image: "
                + (f"{db_problem}, and " if db_problem else "trivy's DB is not configured and ")
                + "no local OSV database is set (advisories.db or --advisory-db). secscan will "
                "not report an image as free of vulnerabilities it could not look up",
            )
        try:
            return AdvisoryStore.open(Path(db_dir), write_index=False)
        except AdvisoryError as e:
            raise ScannerError(self.name, e.diagnostics()) from e

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        target = self.image_args(ctx)
        db_source, db_problem = self.trivy_db(ctx)
        if db_source is not None:
            done = self._run(
                [
                    *self.base_argv(ctx, vuln_db=True),
                    "--scanners",
                    "vuln,secret,misconfig",
                    "--image-config-scanners",
                    "misconfig,secret",
                    "--list-all-pkgs=false",
                    "--format",
                    "json",
                    *target,
                ],
                ctx,
            )
            repo = self.repository(ctx, _repo_tags_from_report(done.stdout))
            where = anchor(ctx.root, repo)
            findings = parse_report(done.stdout, where, repo, self.name)
            return ScanOutcome(
                findings=findings,
                not_analyzed=self._log(done.stderr, repo),
                advisory_source=db_source,
            )
        store = self.osv_store(ctx, db_problem)
        if db_problem:
            log.warning("image: %s; matching against the local OSV database instead", db_problem)
        sbom = self._run(
            [
                *self.base_argv(ctx, vuln_db=False),
                "--scanners",
                "",
                "--format",
                "cyclonedx",
                *target,
            ],
            ctx,
        )
        inventory = parse_inventory(sbom.stdout, self.name)
        repo = self.repository(ctx, inventory.repo_tags)
        where = anchor(ctx.root, repo)
        vulns, unmatched = match_inventory(inventory, store, where, repo, self.name)
        extras = self._run(
            [
                *self.base_argv(ctx, vuln_db=False),
                "--scanners",
                "secret,misconfig",
                "--image-config-scanners",
                "misconfig,secret",
                "--list-all-pkgs=false",
                "--format",
                "json",
                *target,
            ],
            ctx,
        )
        others = parse_report(extras.stdout, where, repo, self.name)
        nothing = (
            ()
            if inventory.packages
            else (
                NotAnalyzed(
                    pseudo_path(repo), "trivy found no OS or language packages in the image"
                ),
            )
        )
        return ScanOutcome(
            findings=(*vulns, *others),
            not_analyzed=(*nothing, *unmatched, *self._log(extras.stderr, repo)),
            advisory_source=store.source(),
            components=tuple(
                Package(p.name, p.version, p.ecosystem or "", p.purl) for p in inventory.packages
            ),
        )

    def repository(self, ctx: ScanContext, repo_tags: Sequence[str]) -> str:
        """The image's repository: from --image, else the archive's own tag, else its file name."""
        if ctx.request.image:
            return repository(ctx.request.image)
        if repo_tags:
            return repository(repo_tags[0])
        archive = Path(ctx.request.image_archive or "image")
        named = oci_ref_name(archive)
        if named:
            return repository(named)
        return archive.name.split(".", 1)[0] or archive.name

    def _run(self, argv: list[str], ctx: ScanContext) -> _subprocess.Completed:
        try:
            return self.execute(argv, ctx)
        except ScannerError as e:
            raise ScannerError(self.name, f"trivy could not read the image: {e.reason}") from e

    def _log(self, stderr: str, repo: str) -> tuple[NotAnalyzed, ...]:
        return tuple(
            NotAnalyzed(pseudo_path(repo, str(PurePosixPath(p.path))), p.message)
            for p in _trivy.log_problems(stderr)
        )


def _repo_tags_from_report(stdout: str) -> tuple[str, ...]:
    try:
        meta = json.loads(stdout).get("Metadata") or {}
        return tuple(str(t) for t in meta.get("RepoTags") or [])
    except (ValueError, AttributeError, TypeError):
        return ()
