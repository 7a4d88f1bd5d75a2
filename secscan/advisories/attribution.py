"""Advisory records that name the wrong package: a reviewed table, matched exactly.

Some OSV records were generated from a product identifier (an NVD CPE) that shares its name
with a package: the PyPI package `couchbase` is the Python SDK, while the records below are
about Couchbase Server and Sync Gateway, the database products. Their `affected` entry says
"PyPI couchbase", so every version-range matcher (ours, pip-audit's, osv.dev's) matches them
to the SDK. Matching cannot be fixed by a looser or stricter name compare; the record itself
is wrong, and the correction is data: this table, reviewed like code, each row with the
record's own words as evidence and where the mis-attribution is documented.

A corrected match is not hidden: the finding stays, rated info, its message saying which
product the advisory is about and why it does not apply. A row matches only its record ids
(or their aliases) for exactly its ecosystem and package name; the scanned tree cannot add a
row (the table ships with secscan).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from secscan.advisories import matcher


@dataclass(frozen=True, slots=True)
class Misattribution:
    #: Record ids and their aliases (PYSEC-..., CVE-...) this row corrects.
    ids: frozenset[str]
    ecosystem: str  # OSV spelling of the ecosystem base: "PyPI"
    package: str  # the package the records name, normalised as the ecosystem compares names
    product: str  # what the advisory is really about
    evidence: str  # the record's own words


MISATTRIBUTED: tuple[Misattribution, ...] = (
    Misattribution(
        ids=frozenset({"PYSEC-2023-235", "PYSEC-0000-CVE-2023-45875", "CVE-2023-45875"}),
        ecosystem="PyPI",
        package="couchbase",
        product="Couchbase Server (the database server), not the Python SDK",
        evidence=(
            '"An issue was discovered in Couchbase Server 7.2.0. There is a private key leak '
            'in debug.log while adding a pre-7.0 node to a 7.2 cluster."'
        ),
    ),
    Misattribution(
        ids=frozenset({"PYSEC-2022-207", "PYSEC-0000-CVE-2022-32563", "CVE-2022-32563"}),
        ecosystem="PyPI",
        package="couchbase",
        product="Couchbase Sync Gateway (a server product), not the Python SDK",
        evidence=(
            '"An issue was discovered in Couchbase Sync Gateway 3.x before 3.0.2. Admin '
            'credentials are not verified when using X.509 client-certificate authentication"'
        ),
    ),
)


def misattributed(
    advisory_id: str, aliases: Iterable[str], ecosystem: str, name: str
) -> Misattribution | None:
    """The table row that says this record does not concern `name` in `ecosystem`, if any."""
    base = matcher.base_ecosystem(ecosystem)
    if base is None:
        return None
    key = matcher.normalize_name(base, name)
    ids = {advisory_id, *aliases}
    for row in MISATTRIBUTED:
        if row.ecosystem == base and row.package == key and ids & row.ids:
            return row
    return None


def note(row: Misattribution, ecosystem: str, name: str) -> str:
    """The sentence a corrected finding carries."""
    return (
        f"secscan: this record names {ecosystem} package {name!r}, but the advisory is about "
        f"{row.product}; its own text: {row.evidence}. Rated info: it does not affect "
        f"the {name} package (secscan's table of mis-attributed advisories)."
    )
