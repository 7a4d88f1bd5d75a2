"""The licence policy: which licences are allowed, need review or are forbidden.

A licence's verdict comes from, first to last: the policy's `licenses:` (by SPDX id), an
imported ORT `license-classifications.yml` (its categories given verdicts by `ort_verdicts`),
then the licence's ScanCode category through `categories:`. An expression is judged by its
logic: `A OR B` takes the better verdict (the licensee may choose), `A AND B` the worse.
A package with no valid SPDX expression is *unknown*: reported, never allowed.
Per-package `exceptions:` allow (or re-judge) one package, with an owner and an expiry like
waivers; an expired exception no longer applies and the finding says so.

The shipped default is `policies/licenses/default.yaml`; docs/policy.md describes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from license_expression import LicenseExpression
from packaging.utils import canonicalize_name
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from secscan.dependencies import licenses as _lic
from secscan.errors import ConfigError
from secscan.model.findings import Severity
from secscan.util import files as _files
from secscan.util.resources import data_dir
from secscan.util.yamlio import load_model

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Verdict(StrEnum):
    """Ordered from best to worst."""

    ALLOWED = "allowed"
    REVIEW = "review"
    UNKNOWN = "unknown"
    FORBIDDEN = "forbidden"

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Exception_(_Strict):
    """One package allowed (or re-judged) despite its licence, by someone, until a date."""

    package: Text
    #: The ecosystem (`PyPI`, `npm`, `Packagist`); empty: any.
    ecosystem: str = ""
    #: Only this version; empty: any.
    version: str = ""
    #: Only while the package's licence is this expression; empty: whatever it is.
    license: str = ""
    verdict: Verdict = Verdict.ALLOWED
    reason: Text
    owner: Text
    expires: date

    def matches(self, item: _lic.Licensed) -> bool:
        if self.ecosystem and self.ecosystem.lower() != item.ecosystem.lower():
            return False
        if _name(self.package, item.ecosystem) != _name(item.name, item.ecosystem):
            return False
        if self.version and self.version != item.version:
            return False
        if self.license:
            wanted = _lic.normalize(self.license) or self.license
            return wanted == (item.expression or item.declared)
        return True


class Severities(_Strict):
    forbidden: Severity = Severity.HIGH
    unknown: Severity = Severity.MEDIUM
    review: Severity = Severity.LOW


class LicensePolicy(_Strict):
    version: int = 1
    description: str = ""
    #: ScanCode licence category -> verdict. A category left out needs review.
    categories: Mapping[Text, Verdict] = Field(default_factory=dict)
    #: SPDX id (or `id WITH exception`) -> verdict, over its category.
    licenses: Mapping[Text, Verdict] = Field(default_factory=dict)
    severity: Severities = Severities()
    exceptions: tuple[Exception_, ...] = ()
    #: ORT `license-classifications.yml` category -> verdict, for the classifications file
    #: the scanner's `ort_classifications` option names; a licence in no category named
    #: here falls through to its ScanCode category.
    ort_verdicts: Mapping[Text, Verdict] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _v(cls, v: int) -> int:
        if v != 1:
            raise ValueError("licence policy schema version must be 1")
        return v

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, v: Mapping[str, Verdict]) -> Mapping[str, Verdict]:
        unknown = sorted(set(v) - set(_lic.CATEGORIES))
        if unknown:
            raise ValueError(
                f"unknown licence categor{'ies' if len(unknown) > 1 else 'y'} "
                f"{', '.join(map(repr, unknown))}; ScanCode's are {', '.join(_lic.CATEGORIES)}"
            )
        return v

    @field_validator("licenses")
    @classmethod
    def _known_licenses(cls, v: Mapping[str, Verdict]) -> Mapping[str, Verdict]:
        bad = sorted(k for k in v if _lic.normalize(k) is None)
        if bad:
            raise ValueError(f"not an SPDX licence id the licence database knows: {bad[0]!r}")
        return {_lic.normalize(k) or k: verdict for k, verdict in v.items()}


class _OrtCategory(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: Text


class _OrtCategorization(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: Text
    categories: tuple[Text, ...] = ()


class OrtClassifications(BaseModel):
    """ORT's `license-classifications.yml` (its documented schema: `categories` with names,
    `categorizations` of licence ids into them); other keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    categories: tuple[_OrtCategory, ...] = ()
    categorizations: tuple[_OrtCategorization, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A loaded licence policy with its ORT classifications resolved to verdicts."""

    rules: LicensePolicy
    #: SPDX id -> verdict from the ORT import (the worst of its categories that have one).
    ort: Mapping[str, Verdict]
    source: str
    digest: str


@dataclass(frozen=True, slots=True)
class Judged:
    verdict: Verdict
    severity: Severity | None
    #: Why, in words: which licence decided and by what.
    reason: str
    #: The exception that applied or expired, if any.
    exception: Exception_ | None = None
    expired: bool = False


def default_path() -> Path:
    return data_dir("policies") / "licenses" / "default.yaml"


def load(path: Path | None = None, ort_path: Path | None = None) -> Policy:
    """The licence policy at `path` (the shipped default when None), with the ORT
    classifications at `ort_path`; errors are ConfigError naming the file and line."""
    path = path or default_path()
    rules = load_model(path, LicensePolicy)
    digest = hashlib.sha256(_files.read_bytes(path))
    ort: dict[str, Verdict] = {}
    if ort_path is not None:
        classes = load_model(ort_path, OrtClassifications)
        digest.update(_files.read_bytes(ort_path))
        names = {c.name for c in classes.categories}
        for name in rules.ort_verdicts:
            if name not in names:
                raise ConfigError(
                    f"ort_verdicts names {name!r}, which is no category of {ort_path}",
                    path=str(path),
                    key="ort_verdicts",
                )
        for c in classes.categorizations:
            verdicts = [rules.ort_verdicts[n] for n in c.categories if n in rules.ort_verdicts]
            spdx = _lic.normalize(c.id)
            if verdicts and spdx is not None:
                ort[spdx] = max(verdicts, key=lambda v: v.rank)
    elif rules.ort_verdicts:
        raise ConfigError(
            "ort_verdicts is given but no ORT classifications file (license.ort_classifications)",
            path=str(path),
            key="ort_verdicts",
        )
    return Policy(rules, ort, str(path), digest.hexdigest())


def _name(name: str, ecosystem: str) -> str:
    return str(canonicalize_name(name)) if ecosystem == "PyPI" else name.lower()


def judge(policy: Policy, item: _lic.Licensed, today: date) -> Judged:
    """The verdict on one package's licence, exceptions applied."""
    judged = _judge_licence(policy, item)
    for exc in policy.rules.exceptions:
        if not exc.matches(item):
            continue
        if exc.expires < today:
            return Judged(
                judged.verdict,
                judged.severity,
                f"{judged.reason}; the exception owned by {exc.owner} expired on {exc.expires}",
                exc,
                expired=True,
            )
        return Judged(
            exc.verdict,
            _severity(policy, exc.verdict),
            f"exception until {exc.expires} (owner {exc.owner}): {exc.reason}",
            exc,
        )
    return judged


def _severity(policy: Policy, verdict: Verdict) -> Severity | None:
    s = policy.rules.severity
    return {
        Verdict.ALLOWED: None,
        Verdict.REVIEW: s.review,
        Verdict.UNKNOWN: s.unknown,
        Verdict.FORBIDDEN: s.forbidden,
    }[verdict]


def _judge_licence(policy: Policy, item: _lic.Licensed) -> Judged:
    if item.expression is None:
        if item.category is not None:
            verdict = policy.rules.categories.get(item.category, Verdict.REVIEW)
            return Judged(
                verdict,
                _severity(policy, verdict),
                f"{item.declared!r} names no exact licence; its category {item.category} is "
                f"{verdict.value}",
            )
        said = (
            f"{item.declared!r} is no SPDX expression secscan knows"
            if item.declared
            else ("the package states no licence")
        )
        return Judged(Verdict.UNKNOWN, _severity(policy, Verdict.UNKNOWN), said)
    expr = _lic.parse(item.expression)
    if expr is None:  # normalised once already: cannot happen unless the database changed
        return Judged(Verdict.UNKNOWN, _severity(policy, Verdict.UNKNOWN), "unparsable")
    verdict, why = _evaluate(policy, expr)
    return Judged(verdict, _severity(policy, verdict), why)


def _evaluate(policy: Policy, expr: LicenseExpression) -> tuple[Verdict, str]:
    if _lic.is_and(expr) or _lic.is_or(expr):
        parts = [_evaluate(policy, arg) for arg in expr.args]
        pick = max if _lic.is_and(expr) else min
        return pick(parts, key=lambda p: p[0].rank)
    return _symbol(policy, expr)


def _symbol(policy: Policy, symbol: LicenseExpression) -> tuple[Verdict, str]:
    text = str(symbol)
    if text in policy.rules.licenses:
        v = policy.rules.licenses[text]
        return v, f"{text} is {v.value} by the licence policy"
    licence, exception = _lic.with_parts(symbol)
    if licence in policy.rules.licenses and exception is None:
        v = policy.rules.licenses[licence]
        return v, f"{licence} is {v.value} by the licence policy"
    if text in policy.ort or (exception is None and licence in policy.ort):
        v = policy.ort.get(text) or policy.ort[licence]
        return v, f"{text} is {v.value} by its ORT licence classification"
    known = _lic.lookup(exception) if exception else None
    if known is None or not known.is_exception:
        known = _lic.lookup(licence)
    if known is None:
        return Verdict.UNKNOWN, f"{text} is not in the licence database"
    v = policy.rules.categories.get(known.category, Verdict.REVIEW)
    return v, f"{text} is {known.category} (ScanCode category), {v.value} by the licence policy"
