"""`.secscan-waivers.yaml`: accepted risks, each narrow (one rule or finding, named paths), with
a reason, an owner, the day it was granted and an expiry within the gate profile's limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path

import pathspec
from pydantic import Field, field_validator, model_validator

from secscan.errors import PolicyError
from secscan.model.findings import Finding
from secscan.policy.match import (
    any_glob,
    canonical_check_glob,
    finding_ids,
    finding_scanners,
    glob_match,
    is_check_id,
)
from secscan.policy.models import SCHEMA_VERSION, Text, _Strict
from secscan.util.yamlio import load_yaml, validate

WAIVERS_FILE = ".secscan-waivers.yaml"
_WILDCARDS = frozenset("*?[")
_CLASS_OR_WILDCARD = re.compile(r"\[[^\]]*\]|[*?]")


def _names_something(segment: str) -> bool:
    """A path segment narrows a glob when it starts with a literal character and the literal
    part holds a letter or digit: `app`, `.github`, `test_*.py` do; `*`, `**`, `*.py`,
    `*_test.py`, `.*`, `[a-z]*` do not (they match by type or by nothing at all)."""
    if not segment or segment[0] in _WILDCARDS:
        return False
    return any(c.isalnum() for c in _CLASS_OR_WILDCARD.sub("", segment))


def narrow_path_error(pattern: str) -> str | None:
    """Why a waiver's path glob is too wide to accept, or None when it names a place."""
    text = pattern.strip()
    if text.startswith("!"):
        return "a waiver path cannot be a negated glob (`!...`)"
    if "\\" in text:
        return "a waiver path is a POSIX glob relative to the scan root (no backslashes)"
    segments = [s for s in text.split("/") if s not in ("", ".")]
    if ".." in segments:
        return "a waiver path is relative to the scan root and cannot leave it (`..`)"
    if not any(_names_something(s) for s in segments):
        return (
            f"waiver path {pattern!r} is a catch-all: it must name a directory or file "
            "(e.g. `app/views.py`, `tests/**`, `app/test_*.py`), not only wildcards or a file "
            "type like `*.py`"
        )
    if anchor(pattern) is None:
        return (
            f"waiver path {pattern!r} is not anchored: a glob must begin with the directory "
            "it covers (e.g. `app/*.py`, `tests/**`, `app/test_*.py`); one that begins with a "
            "wildcard (`a*`, `**/a*`, `*/views.py`) also covers files a change adds anywhere"
        )
    return None


def _segments(pattern: str) -> list[str]:
    return [s for s in pattern.strip().split("/") if s not in ("", ".")]


def anchor(pattern: str) -> str | None:
    """The directory a glob is anchored in: its literal segments before the first wildcard
    (`app/sub` of `app/sub/*.py`); "" for a path with no wildcard (it names one file or
    folder); None when the glob begins with a wildcard."""
    segments = _segments(pattern)
    if not any(c in _WILDCARDS for c in pattern):
        return ""
    literal: list[str] = []
    for s in segments:
        if any(c in _WILDCARDS for c in s):
            break
        literal.append(s)
    if not literal or not any(_names_something(s) for s in literal):
        return None
    return "/".join(literal)


def anchor_error(pattern: str, root: Path) -> str | None:
    """Why a glob's anchor is not a directory of the scan root (None: it is, or the path
    has no wildcard). A glob anchored in a folder that does not exist covers whatever a
    later change puts there, so it names no place yet."""
    at = anchor(pattern)
    if not at:
        return None
    folder = root
    for part in at.split("/"):
        folder = folder / part
        if folder.is_symlink() or not folder.is_dir():
            break
    else:
        return None
    return (
        f"waiver path {pattern!r} is anchored in {at}/, which is not a directory of the "
        "scan root: a glob must begin with a directory that exists"
    )


class Waiver(_Strict):
    """One accepted risk. It matches a fingerprint, or a rule id together with a path glob.

    Narrow by construction: the rule is one exact id (no glob), the path names a place (see
    narrow_path_error), and the lifetime is bounded (checked against the profile on load).
    """

    id: Text | None = None
    #: One exact finding (compared for equality, never as a glob).
    fingerprint: Text | None = None
    #: One rule or check id as the scanner reports it, no wildcards (`DS001` matches `DS-0001`).
    rule: Text | None = None
    #: gitignore-style glob relative to the scan root that names a place: `app/views.py`,
    #: `tests/**`; never a catch-all such as `**` or `*.py`.
    path: Text | None = None
    scanner: Text | None = None
    reason: Text
    owner: Text
    #: The day the risk was accepted (UTC); the lifetime limit counts from it.
    created: date
    #: The last day the waiver applies (inclusive, UTC); from the next day on it is expired.
    expires: date

    @model_validator(mode="after")
    def _what(self) -> Waiver:
        if self.fingerprint is None and self.rule is None:
            raise ValueError("a waiver needs `fingerprint`, or `rule` together with `path`")
        if self.rule is not None and self.path is None and self.fingerprint is None:
            raise ValueError(
                "a waiver by `rule` needs a `path` that names the file or directory it covers "
                "(a waiver for a rule everywhere is not accepted)"
            )
        if self.expires <= self.created:
            raise ValueError(
                f"expires ({self.expires.isoformat()}) must be after created "
                f"({self.created.isoformat()})"
            )
        return self

    @field_validator("rule")
    @classmethod
    def _exact_rule(cls, v: str | None) -> str | None:
        if v is not None and any(ch in _WILDCARDS for ch in v):
            raise ValueError(
                f"waiver rule {v!r} is a glob: name one exact rule id (a waiver per rule, "
                "or a fingerprint per finding)"
            )
        return v

    @field_validator("path")
    @classmethod
    def _narrow_path(cls, v: str | None) -> str | None:
        problem = narrow_path_error(v) if v is not None else None
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("expires", "created", mode="before")
    @classmethod
    def _date_only(cls, v: object) -> object:
        if isinstance(v, datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
        return v

    @property
    def lifetime_days(self) -> int:
        return (self.expires - self.created).days


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
    #: The waivers file, and the line of each of this waiver's keys (for located errors).
    path: str | None = None
    key_lines: tuple[tuple[str, int], ...] = field(default=())

    def line_of(self, key: str) -> int | None:
        return dict(self.key_lines).get(key)

    @cached_property
    def _paths(self) -> pathspec.GitIgnoreSpec | None:
        if self.waiver.path is None:
            return None
        # Anchored at the scan root: a bare `views.py` means ./views.py, never every
        # views.py a change adds in any folder (gitignore's reading of a slash-less name).
        path = self.waiver.path.strip()
        return pathspec.GitIgnoreSpec.from_lines([path if path.startswith("/") else "/" + path])

    def active(self, today: date) -> bool:
        return today <= self.waiver.expires

    def matches(self, f: Finding) -> bool:
        w = self.waiver
        # A flaw several tools reported matches a waiver written against any one of them.
        if w.fingerprint is not None and w.fingerprint not in f.fingerprints:
            return False
        if w.scanner is not None and not any(glob_match(s, w.scanner) for s in finding_scanners(f)):
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

    def check(self, max_days: int, today: date | None = None) -> None:
        """Refuse a waiver that runs longer than `max_days` or (given `today`) was created in
        the future: a PolicyError at the waiver's line, never a quietly shortened waiver."""
        for n, lw in enumerate(self.waivers):
            w = lw.waiver
            if w.lifetime_days > max_days:
                raise PolicyError(
                    f"waiver {lw.id} runs {w.lifetime_days} days (created "
                    f"{w.created.isoformat()}, expires {w.expires.isoformat()}); this gate "
                    f"profile allows at most {max_days} (gate.max_waiver_days)",
                    path=lw.path,
                    line=lw.line_of("expires"),
                    key=f"waivers.{n}.expires",
                )
            if today is not None and w.created > today:
                raise PolicyError(
                    f"waiver {lw.id} is created {w.created.isoformat()}, after today "
                    f"({today.isoformat()}, UTC): a waiver cannot be dated ahead",
                    path=lw.path,
                    line=lw.line_of("created"),
                    key=f"waivers.{n}.created",
                )


def today_utc(now: datetime) -> date:
    """Expiry is judged on the UTC calendar, so every CI runner agrees on the day."""
    return (now if now.tzinfo is None else now.astimezone(UTC)).date()


def load_waivers(path: Path, *, max_days: int | None = None, root: Path | None = None) -> Waivers:
    """Load and validate a waivers file; a missing reason, owner, created or expires date, a
    catch-all rule or path, (given `root`) a glob anchored in a folder the scan root does
    not have, or (given `max_days`) an over-long waiver is a PolicyError."""
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
        keys = tuple(
            (k, n)
            for k in ("created", "expires", "rule", "path")
            if (n := loaded.line_of(["waivers", i, k])) is not None
        )
        origin = f"{path}:{line}" if line else str(path)
        problem = anchor_error(w.path, root) if root is not None and w.path else None
        if problem:
            raise PolicyError(
                problem,
                path=str(path),
                line=loaded.line_of(["waivers", i, "path"]),
                key=f"waivers.{i}.path",
            )
        out.append(LoadedWaiver(w, wid, origin, str(path), keys))
    waivers = Waivers(tuple(out), str(path))
    if max_days is not None:
        waivers.check(max_days)
    return waivers
