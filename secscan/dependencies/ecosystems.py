"""Ecosystems as OSV names them, and what each one's package URL looks like.

One table, read by every stage that has to say which ecosystem a package belongs to (the
findings, CycloneDX and VEX product ids, GitLab's dependency report), so none assumes Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from packageurl import PackageURL

PYPI = "PyPI"
NPM = "npm"
GO = "Go"
MAVEN = "Maven"
CARGO = "crates.io"
PACKAGIST = "Packagist"
RUBYGEMS = "RubyGems"
NUGET = "NuGet"

_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """How packages of one ecosystem are named in package URLs."""

    #: OSV's spelling ("PyPI", "crates.io").
    name: str
    #: The package-URL type ("pypi", "cargo").
    purl_type: str
    #: The separator between namespace and name in the ecosystem's own package names
    #: ("/" for npm scopes, Go modules and Composer; ":" for Maven's group:artifact).
    namespace_separator: str | None = None


ECOSYSTEMS: dict[str, Ecosystem] = {
    e.name: e
    for e in (
        Ecosystem(PYPI, "pypi"),
        Ecosystem(NPM, "npm", "/"),
        Ecosystem(GO, "golang", "/"),
        Ecosystem(MAVEN, "maven", ":"),
        Ecosystem(CARGO, "cargo"),
        Ecosystem(PACKAGIST, "composer", "/"),
        Ecosystem(RUBYGEMS, "gem"),
        Ecosystem(NUGET, "nuget"),
        Ecosystem("Hex", "hex"),
        Ecosystem("Pub", "pub"),
    )
}
_BY_LOWER = {k.lower(): v for k, v in ECOSYSTEMS.items()}


def lookup(ecosystem: str) -> Ecosystem | None:
    """The table entry for an OSV ecosystem name (any case, a ":release" suffix ignored)."""
    return _BY_LOWER.get(ecosystem.strip().partition(":")[0].strip().lower())


def normalize_name(ecosystem: str, name: str) -> str:
    """PEP 503 for PyPI (Django ~ django, zope_interface ~ zope.interface); exact elsewhere."""
    name = name.strip()
    if ecosystem.strip().partition(":")[0].strip().lower() == "pypi":
        return _PEP503.sub("-", name).lower()
    return name


def purl(ecosystem: str, name: str, version: str | None) -> str:
    """The package URL of `name` (at `version` when given) in `ecosystem`.

    PyPI names are PEP 503 normalized, as pip-audit's and secscan's earlier purls were; an
    ecosystem outside the table gets a `pkg:generic/` URL rather than a wrong type.
    """
    eco = lookup(ecosystem)
    if eco is not None and eco.purl_type == "pypi":
        key = normalize_name(PYPI, name)
        return f"pkg:pypi/{key}@{quote(version)}" if version else f"pkg:pypi/{key}"
    namespace: str | None = None
    if eco is not None and eco.namespace_separator and eco.namespace_separator in name:
        namespace, _, name = name.rpartition(eco.namespace_separator)
    if eco is not None and eco.purl_type == "golang" and version and not version.startswith("v"):
        version = f"v{version}"  # Go's purls carry the module version as `go` writes it
    kind = eco.purl_type if eco is not None else "generic"
    return PackageURL(kind, namespace or None, name, version or None).to_string()
