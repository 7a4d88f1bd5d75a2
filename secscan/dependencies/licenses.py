"""Licences of dependencies: what each package says its licence is, as an SPDX expression.

Parsing and the licence categories are `license-expression`'s: it bundles the index of
ScanCode's LicenseDB (2,500+ licences, each with its SPDX id, the older SPDX ids it had,
and a category: Permissive, Copyleft, Copyleft Limited, ...). Nothing here guesses from
free text beyond an exact table: a licence that is neither a valid SPDX expression, nor a
known trove classifier, nor a known licence file header is *unknown*, and said so.

What a package says is a claim of its publisher (or, for a lock file in the scanned tree,
of whoever wrote the tree): docs/security.md says what that means for the gate.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from license_expression import (
    ExpressionError,
    LicenseExpression,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)
from packaging.utils import canonicalize_name

from secscan.util import files as _files
from secscan.util import jsonio as _json

#: ScanCode's licence categories (the `category` field of its LicenseDB).
CATEGORIES = (
    "Permissive",
    "Public Domain",
    "Copyleft Limited",
    "Copyleft",
    "Patent License",
    "Free Restricted",
    "Proprietary Free",
    "Source-available",
    "Commercial",
    "CLA",
    "Unstated License",
)

#: A METADATA file or licence file read from an environment: larger is no metadata.
MAX_METADATA_BYTES = 4 * 1024 * 1024
#: How much of a licence file is read to recognise its header.
LICENSE_FILE_HEAD = 4096
#: A `License:` field longer than this is a licence text, not an expression.
MAX_EXPRESSION_CHARS = 400


@dataclass(frozen=True, slots=True)
class Known:
    """One licence of ScanCode's LicenseDB."""

    spdx: str
    key: str
    category: str
    is_exception: bool


@dataclass(frozen=True, slots=True)
class Licensed:
    """One package and what it says its licence is."""

    name: str
    version: str
    ecosystem: str
    #: The normalised SPDX expression; None when what the package says is not one.
    expression: str | None
    #: What the package said, as it said it (an expression, a classifier, a file's header).
    declared: str
    #: Where it said it: `License-Expression`, `classifier`, `License`, `license file`,
    #: or the lock file's name.
    source: str
    #: Where the package was read (a lock file in the tree, or a METADATA file), and the line.
    path: str
    line: int | None = None
    #: A category given without an exact licence (the classifier `BSD License`).
    category: str | None = None
    #: The package's licence files as its metadata names them.
    license_files: tuple[str, ...] = ()
    purl: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.ecosystem, self.name, self.version)


@cache
def licensing() -> Licensing:
    """The SPDX licensing of `license-expression` (ids, older ids, exceptions)."""
    return get_spdx_licensing()


@cache
def database() -> Mapping[str, Known]:
    """Lower-case SPDX id (current or older) -> the LicenseDB entry, from the index the
    library bundles. `LicenseRef-scancode-<key>` names every entry too."""
    index: list[dict[str, Any]] = json.loads(
        files("license_expression").joinpath("data", "scancode-licensedb-index.json").read_text()
    )
    out: dict[str, Known] = {}
    for e in index:
        spdx = str(e.get("spdx_license_key") or f"LicenseRef-scancode-{e['license_key']}")
        known = Known(spdx, str(e["license_key"]), str(e["category"]), bool(e["is_exception"]))
        out.setdefault(spdx.lower(), known)
        out.setdefault(f"licenseref-scancode-{known.key}".lower(), known)
        for other in e.get("other_spdx_license_keys") or ():
            out.setdefault(str(other).lower(), known)
    return out


def lookup(spdx_id: str) -> Known | None:
    return database().get(spdx_id.lower())


def parse(text: str) -> LicenseExpression | None:
    """`text` as a valid SPDX expression (every id known to the LicenseDB), or None."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_EXPRESSION_CHARS:
        return None
    try:
        expr = licensing().parse(text, validate=True, strict=True)
    except (ExpressionError, ValueError, TypeError, AttributeError, RecursionError):
        return None
    if expr is None:
        return None
    if any(lookup(k) is None for k in licensing().license_keys(expr)):
        return None
    return expr


def normalize(text: str) -> str | None:
    """The expression as SPDX spells it (`mit or apache-2.0` -> `MIT OR Apache-2.0`)."""
    expr = parse(text)
    if expr is None:
        return None
    return str(_spelled(expr))


def _spelled(expr: LicenseExpression) -> LicenseExpression:
    """Each symbol in its current SPDX spelling (`GPL-2.0+` -> `GPL-2.0-or-later`)."""
    mapping: dict[str, str] = {}
    for key in licensing().license_keys(expr):
        known = lookup(key)
        if known is not None and known.spdx != key:
            mapping[key] = known.spdx
    if not mapping:
        return expr
    text = str(expr)
    for old, new in mapping.items():
        text = re.sub(rf"(?<![\w.+-]){re.escape(old)}(?![\w.+-])", new, text)
    return licensing().parse(text)


def symbols(expr: LicenseExpression) -> Iterator[LicenseSymbol]:
    """The licence (and exception) symbols of an expression."""
    yield from licensing().license_symbols(expr, unique=False, decompose=False)


def is_and(expr: object) -> bool:
    return isinstance(expr, licensing().AND)


def is_or(expr: object) -> bool:
    return isinstance(expr, licensing().OR)


def with_parts(symbol: LicenseSymbol) -> tuple[str, str | None]:
    """(licence id, exception id or None) of a symbol."""
    if isinstance(symbol, LicenseWithExceptionSymbol):
        return str(symbol.license_symbol.key), str(symbol.exception_symbol.key)
    return str(symbol.key), None


# --- trove classifiers ---------------------------------------------------------------------

#: Trove classifiers that name one licence exactly (after `License :: `), by their SPDX id.
#: Source: the classifier list of pypa/trove-classifiers, matched to the SPDX licence list.
CLASSIFIER_SPDX: Mapping[str, str] = {
    "OSI Approved :: MIT License": "MIT",
    "OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "OSI Approved :: Apache Software License": "Apache-2.0",
    "OSI Approved :: ISC License (ISCL)": "ISC",
    "OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": (
        "AGPL-3.0-or-later"
    ),
    "OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": (
        "LGPL-2.0-or-later"
    ),
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later"
    ),
    "OSI Approved :: GNU Library or Lesser General Public License (LGPL)": "LGPL-2.0-or-later",
    "OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
    "OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "OSI Approved :: zlib/libpng License": "Zlib",
    "OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "OSI Approved :: Artistic License": "Artistic-2.0",
    "OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
    "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "OSI Approved :: Academic Free License (AFL)": "AFL-3.0",
    "OSI Approved :: Zope Public License": "ZPL-2.1",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
}

#: Classifiers that name a family, not one licence: only its category is known.
CLASSIFIER_CATEGORY: Mapping[str, str] = {
    "OSI Approved :: BSD License": "Permissive",
    "OSI Approved :: GNU General Public License (GPL)": "Copyleft",
    "GNU General Public License (GPL)": "Copyleft",
    "OSI Approved :: GNU Free Documentation License (FDL)": "Copyleft",
    "Public Domain": "Public Domain",
    "Freely Distributable": "Permissive",
    "Freeware": "Proprietary Free",
    "Other/Proprietary License": "Commercial",
}

#: Classifiers that say nothing about which licence (`OSI Approved` alone).
_CLASSIFIER_NOTHING = frozenset(
    {"OSI Approved", "DFSG approved", "Aladdin Free Public License (AFPL)"}
)


def from_classifiers(classifiers: Iterable[str]) -> tuple[str | None, str | None, str]:
    """(SPDX expression, category of a family classifier, the classifiers read) of the
    `License :: ` classifiers. Several are joined with AND: a classifier list does not say
    whether they are alternatives, so the package is held to every one of them."""
    exact: list[str] = []
    families: list[str] = []
    said: list[str] = []
    for c in classifiers:
        if not c.startswith("License :: "):
            continue
        rest = c[len("License :: ") :].strip()
        if rest in _CLASSIFIER_NOTHING:
            continue
        said.append(c)
        if rest in CLASSIFIER_SPDX:
            exact.append(CLASSIFIER_SPDX[rest])
        elif rest in CLASSIFIER_CATEGORY:
            families.append(CLASSIFIER_CATEGORY[rest])
        else:
            families.append("")  # a classifier this table does not know: unknown
    if not said:
        return None, None, ""
    text = "; ".join(said)
    if families:
        # A family (or an unknown classifier) makes the whole exact expression unknown; the
        # category is the family's when there is exactly one and no unknown.
        known = [f for f in families if f]
        category = known[0] if len(known) == len(families) == 1 and not exact else None
        return None, category, text
    return " AND ".join(dict.fromkeys(exact)), None, text


# --- licence files -------------------------------------------------------------------------

#: Licence file headers that name one licence: (pattern over the folded first lines, SPDX id).
#: Each is the licence's own title line as the SPDX licence list's text has it.
_HEADERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), spdx)
    for p, spdx in (
        (r"\bapache license,? version 2\.0\b", "Apache-2.0"),
        (r"^\s*apache license\s+version 2\.0, january 2004", "Apache-2.0"),
        (r"\bgnu affero general public license\s+version 3\b", "AGPL-3.0-only"),
        (r"\bgnu lesser general public license\s+version 3\b", "LGPL-3.0-only"),
        (r"\bgnu lesser general public license\s+version 2\.1\b", "LGPL-2.1-only"),
        (r"\bgnu library general public license\s+version 2\b", "LGPL-2.0-only"),
        (r"\bgnu general public license\s+version 3\b", "GPL-3.0-only"),
        (r"\bgnu general public license\s+version 2\b", "GPL-2.0-only"),
        (r"\bmozilla public license,? version 2\.0\b", "MPL-2.0"),
        (r"\bboost software license - version 1\.0\b", "BSL-1.0"),
        (
            r"this is free and unencumbered software released into the public domain",
            "Unlicense",
        ),
        (
            r"permission is hereby granted, free of charge, to any person obtaining a copy",
            "MIT",
        ),
        (
            r"permission to use, copy, modify, and(/or)? distribute this software for any\s+"
            r"purpose with or without fee is hereby granted, provided that the above\s+"
            r"copyright notice and this permission notice appear in all copies",
            "ISC",
        ),
    )
)
_BSD = re.compile(r"redistribution and use in source and binary forms", re.IGNORECASE)
#: The clauses that tell the BSD licences apart (the advertising clause makes it BSD-4-Clause,
#: the no-endorsement clause BSD-3-Clause, neither BSD-2-Clause).
_BSD_ADVERTISING = re.compile(r"all advertising materials mentioning", re.IGNORECASE)
_BSD_ENDORSE = re.compile(r"endorse or promote products derived", re.IGNORECASE)


def from_license_text(head: str) -> str | None:
    """The SPDX id of a licence file by its header, or None (only exact titles and the
    standard first sentences of MIT, ISC and BSD are recognised)."""
    folded = " ".join(head.split())
    for pattern, spdx in _HEADERS:
        if pattern.search(folded):
            return spdx
    if not _BSD.search(folded):
        return None
    if _BSD_ADVERTISING.search(folded):
        return "BSD-4-Clause"
    return "BSD-3-Clause" if _BSD_ENDORSE.search(folded) else "BSD-2-Clause"


# --- installed distributions ---------------------------------------------------------------


def site_packages(environment: Path) -> list[Path]:
    """The directories holding a Python environment's distributions: the environment itself
    when it holds `*.dist-info`, else a virtual environment's `lib/python3*/site-packages`
    (or `Lib/site-packages`)."""
    if any(environment.glob("*.dist-info")) or any(environment.glob("*.egg-info")):
        return [environment]
    found = sorted(environment.glob("lib/python3*/site-packages"))
    found += sorted(environment.glob("lib64/python3*/site-packages"))
    found += [p for p in (environment / "Lib" / "site-packages",) if p.is_dir()]
    return list(dict.fromkeys(p.resolve() for p in found if p.is_dir()))


def installed(environment: Path) -> list[Licensed]:
    """Every distribution installed in the environment, with its licence."""
    out: dict[str, Licensed] = {}
    top = environment.resolve()
    for sp in site_packages(environment):
        for meta in sorted([*sp.glob("*.dist-info/METADATA"), *sp.glob("*.egg-info/PKG-INFO")]):
            try:
                label = meta.relative_to(top).as_posix()
            except ValueError:
                label = meta.relative_to(sp.parent).as_posix()
            got = read_distribution(meta, label=label)
            if got is not None:
                out.setdefault(canonicalize_name(got.name), got)
    return [out[k] for k in sorted(out)]


def read_distribution(meta: Path, label: str) -> Licensed | None:
    """One distribution's licence from its METADATA (PEP 639 first: `License-Expression`,
    then a `License` field that is a valid expression, the classifiers, the licence files)."""
    try:
        raw = _files.read_bytes(meta, limit=MAX_METADATA_BYTES)
    except Exception:  # noqa: BLE001 - an unreadable METADATA is no distribution to list
        return None
    msg = email.parser.BytesHeaderParser().parsebytes(raw)
    name = str(msg.get("Name") or "").strip()
    version = str(msg.get("Version") or "").strip()
    if not name:
        return None
    base = Licensed(
        name=name,
        version=version,
        ecosystem="PyPI",
        expression=None,
        declared="",
        source="none",
        path=label,
        license_files=tuple(str(f) for f in msg.get_all("License-File") or ()),
        purl=f"pkg:pypi/{canonicalize_name(name)}@{version}" if version else None,
    )
    return _classified(base, msg, meta.parent)


def _classified(base: Licensed, msg: Any, dist_dir: Path) -> Licensed:
    expression = str(msg.get("License-Expression") or "").strip()
    if expression:
        # PEP 639: authoritative. Not valid SPDX: unknown, whatever else the metadata says.
        return replace(
            base, expression=normalize(expression), declared=expression, source="License-Expression"
        )
    field = " ".join(str(msg.get("License") or "").split())
    if field and (norm := normalize(field)) is not None:
        return replace(base, expression=norm, declared=field, source="License")
    spdx, category, said = from_classifiers(str(c) for c in msg.get_all("Classifier") or ())
    if said:
        return replace(
            base,
            expression=normalize(spdx) if spdx else None,
            declared=said,
            source="classifier",
            category=category,
        )
    return _from_license_files(base, field, dist_dir)


def _from_license_files(base: Licensed, field: str, dist_dir: Path) -> Licensed:
    """The licence a distribution's licence file's text names (`field`: its `License`
    metadata that did not parse, kept as what it stated)."""
    names = base.license_files or tuple(
        sorted(
            p.name
            for p in dist_dir.iterdir()
            if p.name.upper().startswith(("LICENSE", "LICENCE", "COPYING"))
        )
    )
    for name in names:
        spdx = _license_file(dist_dir, name)
        if spdx is not None:
            said = f"{name}: {spdx}" + (f" (License: {field[:100]})" if field else "")
            return replace(base, expression=spdx, declared=said, source="license file")
    return replace(base, declared=field[:200])


def _license_file(dist_dir: Path, name: str) -> str | None:
    if name.startswith(("/", "\\")) or ".." in Path(name).parts:
        return None
    for candidate in (dist_dir / "licenses" / name, dist_dir / name):
        try:
            with _files.open_regular(candidate) as fh:
                head = fh.read(LICENSE_FILE_HEAD).decode("utf-8", "replace")
        except OSError:
            continue
        return from_license_text(head)
    return None


# --- lock files that record licences -------------------------------------------------------

#: Lock files whose entries carry each package's licence, by file name.
LOCK_FILES = ("package-lock.json", "npm-shrinkwrap.json", "composer.lock")


def is_lock_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in LOCK_FILES


def from_lock_file(rel: str, text: str) -> list[Licensed]:
    """The packages of a lock file with the licences it records (ValueError: not one)."""
    data = _json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    lines = _line_finder(text)
    if rel.rsplit("/", 1)[-1] == "composer.lock":
        return list(_composer(rel, data, lines))
    return list(_npm(rel, data, lines))


def _line_finder(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r'\s*"([^"]+)"\s*:\s*\{', line)
        if m:
            out.setdefault(m.group(1), number)
    return out


def _npm(rel: str, data: dict[str, Any], lines: dict[str, int]) -> Iterator[Licensed]:
    packages = data.get("packages")
    if not isinstance(packages, dict):
        raise ValueError('no "packages" object (lockfileVersion 2 or 3 records licences)')
    for where, entry in sorted(packages.items()):
        if not where or not isinstance(entry, dict) or "node_modules/" not in where:
            continue
        if entry.get("dev") is True:  # a development dependency does not ship
            continue
        name = str(entry.get("name") or where.rsplit("node_modules/", 1)[-1])
        version = str(entry.get("version") or "")
        raw = entry.get("license")
        said = str(raw) if isinstance(raw, str) else ""
        yield Licensed(
            name=name,
            version=version,
            ecosystem="npm",
            expression=normalize(said) if said else None,
            declared=said,
            source=rel.rsplit("/", 1)[-1],
            path=rel,
            line=lines.get(where),
            purl=f"pkg:npm/{name.replace('@', '%40')}@{version}" if version else None,
        )


def _composer(rel: str, data: dict[str, Any], lines: dict[str, int]) -> Iterator[Licensed]:
    for group in ("packages",):  # `packages-dev` does not ship
        for entry in data.get(group) or ():
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            name = entry["name"]
            version = str(entry.get("version") or "")
            raw = entry.get("license")
            ids = [str(x) for x in raw] if isinstance(raw, list) else []
            # composer: several licences are alternatives ("or-later" dual licensing)
            said = " OR ".join(ids)
            yield Licensed(
                name=name,
                version=version,
                ecosystem="Packagist",
                expression=normalize(said) if said else None,
                declared=said,
                source="composer.lock",
                path=rel,
                line=None,
                purl=f"pkg:composer/{name}@{version}" if version else None,
            )


def environment_label(environment: Path, base: Path | None) -> str:
    """How an environment is named in findings: relative to the config's folder when below
    it, else as given."""
    if base is not None:
        try:
            return environment.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return os.fspath(environment)
