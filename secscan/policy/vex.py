"""VEX in: CycloneDX and OpenVEX `not_affected` statements read as narrow waivers.

Also the vocabulary the VEX report formats share with this reader (justifications and the note
that carries a waiver's owner and expiry), so what secscan writes it reads back the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from packageurl import PackageURL

from secscan.dependencies import ecosystems
from secscan.errors import PolicyError
from secscan.model.findings import Finding, FindingKind, Package
from secscan.util import jsonio as _json

#: OpenVEX's justifications (CISA's minimum requirements), in its own spelling.
JUSTIFICATIONS: tuple[str, ...] = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
#: The CycloneDX justification closest to each OpenVEX one (CycloneDX's list is finer).
CYCLONEDX_JUSTIFICATION: dict[str, str] = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
OPENVEX_JUSTIFICATION: dict[str, str] = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}
VEX_KINDS = (FindingKind.DEPENDENCY, FindingKind.IMAGE)
_PREFIX = re.compile(r"^\s*(" + "|".join(JUSTIFICATIONS) + r")\s*:\s*(.*)$", re.DOTALL)
#: How a waiver's accountability travels in a VEX note; `parse_note` reads it back.
_NOTE = re.compile(
    r"secscan waiver (?P<id>[^\s;]+); owner (?P<owner>[^;]+?); "
    r"expires (?P<expires>\d{4}-\d{2}-\d{2})"
)


@dataclass(frozen=True, slots=True)
class Reason:
    justification: str | None
    impact: str


def split_reason(reason: str) -> Reason:
    """A waiver reason that starts with a justification (`component_not_present: ...`)."""
    m = _PREFIX.match(reason)
    if m is None:
        return Reason(None, reason.strip())
    return Reason(m.group(1), m.group(2).strip() or m.group(1))


def join_reason(justification: str | None, impact: str | None) -> str:
    text = (impact or "").strip()
    if justification is None:
        return text
    return f"{justification}: {text}" if text and text != justification else justification


def note(waiver_id: str, owner: str, expires: date) -> str:
    return f"secscan waiver {waiver_id}; owner {owner}; expires {expires.isoformat()}"


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    owner: str
    expires: date


def parse_note(text: str | None) -> Note | None:
    m = _NOTE.search(text or "")
    if m is None:
        return None
    try:
        return Note(m["id"], m["owner"].strip(), date.fromisoformat(m["expires"]))
    except ValueError:
        return None


def concrete(p: Package) -> bool:
    """A package version a statement can name: not a range from an unpinned requirement."""
    return bool(p.purl) or (bool(p.version) and not any(c in p.version for c in "<>=!~*, "))


def product_id(p: Package) -> str:
    """The package URL a statement names (built from name and version when the tool gave none)."""
    if p.purl:
        return p.purl
    if p.ecosystem.lower() == "pypi":
        return f"pkg:pypi/{p.name.lower()}@{p.version}"
    if ecosystems.lookup(p.ecosystem) is not None:
        # The ecosystem's own package-URL type (npm, golang, maven, cargo, ...).
        return ecosystems.purl(p.ecosystem, p.name, p.version)
    return f"pkg:generic/{p.name}@{p.version}"


# --- reading VEX -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """One `not_affected` claim: these vulnerability ids do not affect these packages."""

    names: tuple[str, ...]
    products: tuple[str, ...]
    reason: str
    #: From a note secscan wrote (its own export), else None: the importer must be told.
    note: Note | None
    #: Where it is in the document, for messages ("statements[2]").
    where: str


@dataclass(frozen=True, slots=True)
class Document:
    format: str
    statements: tuple[Statement, ...]
    #: Statements of another status (affected, fixed, under investigation): never waivers.
    other: int


def parse(text: str, source: str) -> Document:
    try:
        # Nesting bounded, no NaN or lone surrogate: a hostile document is exit 2, not a
        # RecursionError traceback.
        data = _json.loads(text)
    except ValueError as e:
        raise PolicyError(f"{source}: not JSON: {e}") from e
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a VEX document is a JSON object")
    if isinstance(data.get("@context"), str) and "openvex" in data["@context"]:
        return _openvex(data, source)
    if data.get("bomFormat") == "CycloneDX":
        return _cyclonedx(data, source)
    raise PolicyError(
        f"{source}: neither OpenVEX (an openvex @context) nor CycloneDX (bomFormat CycloneDX)"
    )


def _openvex(data: dict[str, Any], source: str) -> Document:
    out: list[Statement] = []
    other = 0
    for i, st in enumerate(_list(data.get("statements"), f"{source}: statements")):
        where = f"statements[{i}]"
        if not isinstance(st, dict):
            raise PolicyError(f"{source}: {where} is not an object")
        if st.get("status") != "not_affected":
            other += 1
            continue
        out.append(_openvex_statement(st, f"{source}: {where}", where))
    return Document("OpenVEX", tuple(out), other)


def _openvex_statement(st: dict[str, Any], at: str, where: str) -> Statement:
    vuln = st.get("vulnerability")
    if not isinstance(vuln, dict) or not isinstance(vuln.get("name"), str):
        raise PolicyError(f"{at} has no vulnerability name")
    names = (vuln["name"], *(_strings(vuln.get("aliases"))))
    listed = [p for p in _list(st.get("products"), f"{at}.products") if isinstance(p, dict)]
    products = tuple(str(p["@id"]) for p in listed if isinstance(p.get("@id"), str))
    products += tuple(
        str(p["identifiers"]["purl"])
        for p in listed
        if isinstance(p.get("identifiers"), dict) and isinstance(p["identifiers"].get("purl"), str)
    )
    justification = st.get("justification")
    if justification is not None and justification not in JUSTIFICATIONS:
        raise PolicyError(f"{at}: unknown justification {justification!r}")
    impact = st.get("impact_statement")
    return Statement(
        tuple(dict.fromkeys(names)),
        tuple(dict.fromkeys(products)),
        join_reason(justification, impact if isinstance(impact, str) else None),
        parse_note(st.get("status_notes")),
        where,
    )


def _cyclonedx(data: dict[str, Any], source: str) -> Document:
    refs: dict[str, str] = {}
    for c in _components(data):
        if isinstance(c.get("bom-ref"), str):
            refs[c["bom-ref"]] = c["purl"] if isinstance(c.get("purl"), str) else c["bom-ref"]
    out: list[Statement] = []
    other = 0
    for i, v in enumerate(_list(data.get("vulnerabilities", []), f"{source}: vulnerabilities")):
        where = f"vulnerabilities[{i}]"
        if not isinstance(v, dict):
            raise PolicyError(f"{source}: {where} is not an object")
        raw = v.get("analysis")
        analysis: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if analysis.get("state") != "not_affected":
            other += 1
            continue
        if not isinstance(v.get("id"), str):
            raise PolicyError(f"{source}: {where} has no vulnerability id")
        out.append(_cyclonedx_statement(v, analysis, refs, where))
    return Document("CycloneDX", tuple(out), other)


def _cyclonedx_statement(
    v: dict[str, Any], analysis: dict[str, Any], refs: dict[str, str], where: str
) -> Statement:
    names: tuple[str, ...] = (
        str(v["id"]),
        *(
            r["id"]
            for r in v.get("references") or ()
            if isinstance(r, dict) and isinstance(r.get("id"), str)
        ),
    )
    products: tuple[str, ...] = tuple(
        str(refs.get(a["ref"], a["ref"]))
        for a in v.get("affects") or ()
        if isinstance(a, dict) and isinstance(a.get("ref"), str)
    )
    text = analysis.get("detail")
    detail: str = text if isinstance(text, str) else ""
    found = _cyclonedx_note(v) or parse_note(detail)
    detail = _NOTE_SUFFIX.sub("", detail).strip()
    justification = OPENVEX_JUSTIFICATION.get(str(analysis.get("justification")))
    reason = detail if split_reason(detail).justification else join_reason(justification, detail)
    return Statement(
        tuple(dict.fromkeys(names)), tuple(dict.fromkeys(products)), reason, found, where
    )


def _cyclonedx_note(v: dict[str, Any]) -> Note | None:
    """The waiver secscan wrote into a vulnerability's properties, if all of it is there."""
    props = {
        p.get("name"): p.get("value") for p in v.get("properties") or () if isinstance(p, dict)
    }
    owner, expires, wid = props.get(_P_OWNER), props.get(_P_EXPIRES), props.get(_P_ID)
    if isinstance(owner, str) and isinstance(expires, str) and isinstance(wid, str):
        try:
            return Note(wid, owner, date.fromisoformat(expires))
        except ValueError:
            return None
    return None


#: CycloneDX properties secscan writes for what an analysis has no field for.
_P_ID = "secscan:waiver:id"
_P_OWNER = "secscan:waiver:owner"
_P_EXPIRES = "secscan:waiver:expires"
_NOTE_SUFFIX = re.compile(r"\s*\(secscan waiver [^()]*\)\s*$")


def _components(data: dict[str, Any]) -> Iterable[dict[str, Any]]:
    stack = list(data.get("components") or ())
    meta = data.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        stack.append(meta["component"])
    while stack:
        c = stack.pop()
        if isinstance(c, dict):
            yield c
            stack.extend(c.get("components") or ())


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise PolicyError(f"{what} must be a list")
    return value


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


# --- statements onto findings ----------------------------------------------------------------


def same_package(a: str, b: str) -> bool:
    """Package URLs naming one package version (qualifiers, subpath, PyPI name case aside)."""
    return _purl_key(a) == _purl_key(b) and _purl_key(a) is not None


def _purl_key(text: str) -> tuple[str, str, str, str] | None:
    try:
        p = PackageURL.from_string(text)
    except ValueError:
        return None
    name = p.name.lower().replace("_", "-") if p.type == "pypi" else p.name
    return (p.type, (p.namespace or "").lower(), name, p.version or "")


def matches(st: Statement, f: Finding) -> bool:
    if f.kind not in VEX_KINDS or f.package is None or not concrete(f.package):
        return False
    if not {f.rule_id, *f.aliases} & set(st.names):
        return False
    pid = product_id(f.package)
    return any(same_package(pid, p) for p in st.products)


def matched(
    statements: Sequence[Statement], findings: Sequence[Finding]
) -> list[tuple[Statement, Finding]]:
    return [(st, f) for st in statements for f in findings if matches(st, f)]
