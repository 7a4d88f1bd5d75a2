"""Licences of SBOM components (CycloneDX `licenses`), from what the licence scanner read.

A component that several scanners saw (a dependency scanner's pin, the licence scanner's
reading of the same package) is one component: the copy that carries a licence is kept.
A licence that is a valid SPDX expression is written as one (a single id as `license.id`,
anything else as `expression`); words that are none (`3-Clause BSD License`) as
`license.name`, never dressed up as an SPDX id.
"""

from __future__ import annotations

from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression

from secscan.dependencies import licenses as _lic
from secscan.model.findings import Package


def keep(found: dict[str, Package], ref: str, p: Package) -> None:
    """Add `p` under `ref`, unless a copy is there; a copy without a licence gives way."""
    had = found.get(ref)
    if had is None or (had.license is None and p.license is not None):
        found[ref] = p


def of(p: Package) -> list[License] | None:
    """The component's `licenses`, or None when no licence was read."""
    if not p.license:
        return None
    spdx = _lic.normalize(p.license)
    if spdx is None:
        return [DisjunctiveLicense(name=p.license)]
    if _lic.lookup(spdx) is not None and " " not in spdx:
        return [DisjunctiveLicense(id=spdx)]
    return [LicenseExpression(spdx)]
