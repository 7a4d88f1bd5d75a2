"""Fleet manifests: which repositories a team scans, how each is judged, and its tags.

The manifest is the trusted side. Every setting a repository is judged with comes from here
(its `settings:` are a `.secscan.yaml` mapping, its profile defaults to `ci`); nothing in the
scanned repository, its own `.secscan.yaml`, waivers or baseline included, changes how it is
judged. A mistake is a ConfigError at the manifest's file and line (exit 2), found before any
repository is cloned. The schema is in docs/fleet.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from secscan.errors import ConfigError, UsageError
from secscan.history.repository import without_credentials
from secscan.model.redact import mask_name
from secscan.util.yamlio import load_yaml, validate

__all__ = ["DEFAULT_PROFILE", "Manifest", "Target", "load", "select", "with_branch"]

#: How a fleet repository is judged unless the manifest says otherwise.
DEFAULT_PROFILE = "ci"
MANIFEST_VERSION = 1
#: A tag key or value: short, printable, no separators a filter would need to escape.
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")
#: Transports a manifest may name: never ext:: (runs a command) nor plain git://.
_SCHEMES = ("https://", "ssh://", "file://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/].*$|^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _tags(value: Mapping[str, str]) -> Mapping[str, str]:
    for key, tag in value.items():
        for part in (key, tag):
            if not _TAG.match(part):
                raise ValueError(
                    f"tag {part!r}: letters, digits and _.:/- only, at most 128 characters"
                )
    return value


class Defaults(_Strict):
    profile: str = DEFAULT_PROFILE
    branch: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    _check_tags = field_validator("tags")(_tags)


class Selection(_Strict):
    """`key=value` tag filters: a repository is scanned when it matches any `include` (or
    there is none) and no `exclude`."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @field_validator("include", "exclude")
    @classmethod
    def _pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            key, eq, tag = item.partition("=")
            if not eq or not _TAG.match(key) or not _TAG.match(tag):
                raise ValueError(f"{item!r}: a tag filter is key=value")
        return value


class RepositoryEntry(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    #: A git URL (https://, ssh://, user@host:path, file://) ...
    url: str | None = None
    #: ... or a local path, relative to the manifest.
    path: str | None = None
    branch: str | None = None
    profile: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    _check_tags = field_validator("tags")(_tags)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not (value.startswith(_SCHEMES) or _SCP_LIKE.match(value)):
            raise ValueError(
                "a repository URL is https://, ssh://, user@host:path or file:// "
                "(other transports can run commands)"
            )
        if without_credentials(value) != value and "://" in value:
            raise ValueError(
                "the URL carries a user name or token: give git the credential "
                "(a credential helper, an SSH key), never the manifest"
            )
        return value

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("-") or not value.strip() or ".." in value):
            raise ValueError(f"{value!r} is not a branch name")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> RepositoryEntry:
        if (self.url is None) == (self.path is None):
            raise ValueError("give each repository either url or path")
        return self


class ManifestModel(_Strict):
    version: int = MANIFEST_VERSION
    defaults: Defaults = Defaults()
    select: Selection = Selection()
    repositories: tuple[RepositoryEntry, ...] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _known(cls, value: int) -> int:
        if value != MANIFEST_VERSION:
            raise ValueError(f"this secscan reads manifest version {MANIFEST_VERSION}")
        return value


@dataclass(frozen=True)
class Target:
    """One repository to scan, with everything its job needs (JSON-able: a queued job
    carries it to a worker on another machine)."""

    name: str
    #: What git clones: an https/ssh URL, or file:///abs/path for a local repository.
    source: str
    branch: str | None
    profile: str
    #: The trusted `.secscan.yaml` mapping (defaults merged under the repository's own).
    settings: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    #: Where relative paths in `settings` are resolved: the manifest's folder.
    base_dir: str = "."

    @property
    def identity(self) -> str:
        """The history's name for the repository: what `history.repository.identity` says of
        the clone (its origin URL, without credentials, masked)."""
        return mask_name(without_credentials(self.source))

    @property
    def slug(self) -> str:
        """A folder name for its work tree: readable, and unique per source and branch."""
        digest = hashlib.sha256(f"{self.source}\0{self.branch}".encode()).hexdigest()[:12]
        readable = re.sub(r"[^A-Za-z0-9._-]+", "-", self.name).strip("-.")[:60] or "repo"
        return f"{readable}-{digest}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "branch": self.branch,
            "profile": self.profile,
            "settings": dict(self.settings),
            "tags": dict(self.tags),
            "base_dir": self.base_dir,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        return cls(
            name=str(data["name"]),
            source=str(data["source"]),
            branch=data.get("branch"),
            profile=str(data["profile"]),
            settings=dict(data.get("settings") or {}),
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            base_dir=str(data.get("base_dir") or "."),
        )

    def settings_text(self) -> str:
        """The trusted settings, canonical (what the settings digest reads)."""
        return json.dumps(
            {"profile": self.profile, "settings": self.settings}, sort_keys=True, default=str
        )


@dataclass(frozen=True)
class Manifest:
    path: Path
    targets: tuple[Target, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def load(path: Path, check_settings: Any = None) -> Manifest:
    """Read and validate a manifest. `check_settings(mapping, base_dir)` validates each
    repository's merged settings (the config schema of the installed scanners) and raises a
    ConfigError whose `key` is the setting's dotted path."""
    loaded = load_yaml(path)
    model = validate(ManifestModel, loaded, str(path))
    base = path.resolve().parent
    targets: list[Target] = []
    names: dict[str, int] = {}
    for i, entry in enumerate(model.repositories):
        target = _target(entry, model.defaults, base)
        if target.name in names:
            raise ConfigError(
                f"repository name {target.name!r} is used twice (also entry {names[target.name]})",
                path=str(path),
                line=loaded.line_of(["repositories", i]),
                key=f"repositories.{i}.name",
            )
        names[target.name] = i
        if check_settings is not None:
            _check(check_settings, target, path, loaded, i, entry)
        targets.append(target)
    return Manifest(path, tuple(targets), model.select.include, model.select.exclude)


def _check(
    check_settings: Any, target: Target, path: Path, loaded: Any, i: int, entry: RepositoryEntry
) -> None:
    try:
        check_settings(target.settings, Path(target.base_dir))
    except ConfigError as e:
        loc = [p for p in (e.key or "").split(".") if p]
        where = ["repositories", i, "settings"] if loc and loc[0] in entry.settings else None
        line = loaded.line_of([*(where or ["defaults", "settings"]), *loc])
        raise ConfigError(
            f"settings of {target.name!r}: {e.message}",
            path=str(path),
            line=line,
            key=".".join(str(p) for p in [*(where or ["defaults", "settings"]), *loc]),
        ) from e


def _target(entry: RepositoryEntry, defaults: Defaults, base: Path) -> Target:
    if entry.path is not None:
        local = (base / entry.path).resolve()
        source = local.as_uri()
        name = entry.name or local.name
    else:
        assert entry.url is not None  # noqa: S101 - the model checked one is given
        source = entry.url
        name = entry.name or entry.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return Target(
        name=name,
        source=source,
        branch=entry.branch or defaults.branch,
        profile=entry.profile or defaults.profile,
        settings={**defaults.settings, **entry.settings},
        tags={**defaults.tags, **entry.tags},
        base_dir=str(base),
    )


def with_branch(targets: Sequence[Target], branch: str) -> tuple[Target, ...]:
    """The targets on another branch (a pull request's), judged with the same settings."""
    try:
        RepositoryEntry._branch(branch)
    except ValueError as e:
        raise UsageError(f"--branch: {e}") from None
    return tuple(replace(t, branch=branch) for t in targets)


def _matches(tags: Mapping[str, str], filters: Sequence[str]) -> bool:
    return any(tags.get(k) == v for k, _, v in (f.partition("=") for f in filters))


def select(
    manifest: Manifest,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    shard: tuple[int, int] | None = None,
) -> tuple[Target, ...]:
    """The repositories to scan: the manifest's tag filters and the command line's together,
    then one shard of them (`(i, n)`: every n-th from the i-th, in manifest order)."""
    inc = (*manifest.include, *include)
    exc = (*manifest.exclude, *exclude)
    chosen = [
        t
        for t in manifest.targets
        if (not inc or _matches(t.tags, inc)) and not _matches(t.tags, exc)
    ]
    if shard is not None:
        index, count = shard
        chosen = [t for n, t in enumerate(chosen) if n % count == index]
    return tuple(chosen)
