"""`.secscan-waivers.yaml`: accepted risks, each with a reason, an owner and an expiry date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path

import pathspec
from pydantic import Field, field_validator, model_validator

from secscan._yaml import load_yaml, validate
from secscan.errors import PolicyError
from secscan.findings import Finding
from secscan.policy.match import (
    any_glob,
    canonical_check_glob,
    finding_ids,
    glob_match,
    is_check_id,
)
from secscan.policy.models import SCHEMA_VERSION, Text, _Strict

WAIVERS_FILE = ".secscan-waivers.yaml"


class Waiver(_Strict):
    """One accepted risk. It matches a fingerprint, or a rule id together with a path glob."""

    id: Text | None = None
    fingerprint: Text | None = None
    #: A rule or check id as the scanner reports it (globs allowed; `DS001` matches `DS-0001`).
    rule: Text | None = None
    #: gitignore-style glob relative to the scan root: `app/views.py`, `tests/**`, `*.py`.
    path: Text | None = None
    scanner: Text | None = None
    reason: Text
    owner: Text
    #: The last day the waiver applies (inclusive, UTC); from the next day on it is expired.
    expires: date

    @model_validator(mode="after")
    def _what(self) -> Waiver:
        if self.fingerprint is None and self.rule is None:
            raise ValueError("a waiver needs `fingerprint`, or `rule` together with `path`")
        if self.rule is not None and self.path is None:
            raise ValueError(
                'a waiver by `rule` needs a `path` glob too (write `path: "**"` to waive it '
                "everywhere)"
            )
        return self

    @field_validator("expires", mode="before")
    @classmethod
    def _date_only(cls, v: object) -> object:
        if isinstance(v, datetime):
            raise ValueError("expires must be a date (YYYY-MM-DD), not a date and time")
        return v


class WaiversFile(_Strict):
    version: int = SCHEMA_VERSION
    waivers: tuple[Waiver, ...] = Field(default=())

    @field_validator("version")
    @classmethod
    def _v(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"waivers schema version must be {SCHEMA_VERSION}")
        return v


@dataclass(frozen=True)
class LoadedWaiver:
    waiver: Waiver
    id: str
    #: `file:line`, so a report can send the reader to the waiver.
    origin: str

    @cached_property
    def _paths(self) -> pathspec.GitIgnoreSpec | None:
        if self.waiver.path is None:
            return None
        return pathspec.GitIgnoreSpec.from_lines([self.waiver.path])

    def active(self, today: date) -> bool:
        return today <= self.waiver.expires

    def matches(self, f: Finding) -> bool:
        w = self.waiver
        if w.fingerprint is not None and f.fingerprint != w.fingerprint:
            return False
        if w.scanner is not None and not glob_match(f.scanner, w.scanner):
            return False
        if w.rule is not None:
            pattern = canonical_check_glob(w.rule) if is_check_id(w.rule.rstrip("*")) else w.rule
            if not any_glob(finding_ids(f), (w.rule, pattern)):
                return False
        paths = self._paths
        return paths is None or bool(paths.match_file(f.location.path))


@dataclass(frozen=True)
class Waivers:
    waivers: tuple[LoadedWaiver, ...] = ()
    source: str | None = None

    def __len__(self) -> int:
        return len(self.waivers)


def today_utc(now: datetime) -> date:
    """Expiry is judged on the UTC calendar, so every CI runner agrees on the day."""
    return (now if now.tzinfo is None else now.astimezone(UTC)).date()


def load_waivers(path: Path) -> Waivers:
    """Load and validate a waivers file; any missing reason, owner or expiry is a PolicyError."""
    loaded = load_yaml(path, PolicyError)
    if loaded.data is not None and not isinstance(loaded.data, dict):
        raise PolicyError(
            "the top level must be a mapping with a `waivers:` list", path=str(path), line=1
        )
    parsed = validate(WaiversFile, loaded, str(path), PolicyError)
    out: list[LoadedWaiver] = []
    seen: dict[str, int] = {}
    for i, w in enumerate(parsed.waivers):
        line = loaded.line_of(["waivers", i])
        wid = w.id or f"waiver-{i + 1}"
        if wid in seen:
            raise PolicyError(
                f"duplicate waiver id {wid!r} (first at line {seen[wid]})",
                path=str(path),
                line=loaded.line_of(["waivers", i, "id"]),
                key=f"waivers.{i}.id",
            )
        seen[wid] = line or 0
        out.append(LoadedWaiver(w, wid, f"{path}:{line}" if line else str(path)))
    return Waivers(tuple(out), str(path))
