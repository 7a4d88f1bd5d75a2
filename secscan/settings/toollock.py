"""The tools lock: the SHA-256 each scanner's executable must have (`secscan tools lock`).

A lock is trusted-side only: it is named on the command line or by SECSCAN_TOOLS_LOCK and
read from outside the scanned tree, or, under `ci --new-since`, from the merge base
(secscan/app/toollock.py decides where it comes from). With a lock in force a tool whose
digest differs, or a tool the lock does not name, is a scanner error, found before the tool
is started (secscan/scan/pipeline.py asks `problem` before it asks the tool its version).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from secscan.errors import ConfigError
from secscan.util.tooldigest import ToolIdentity, is_sha256

__all__ = [
    "LOCK_FILE",
    "RESULTS_KEY",
    "SCHEMA",
    "LockMode",
    "LockedTool",
    "ToolLock",
    "dumps",
    "loads",
]

#: The ScanResult.metadata key recording the lock a scan was held to (`ToolLock.record`).
RESULTS_KEY = "tools.lock"
#: The lock's file name when a command line names none (looked for in the trusted places).
LOCK_FILE = ".secscan-tools.lock"
SCHEMA = "secscan-tools-lock"
SCHEMA_VERSION = 1

#: A gate profile's `tools_lock`: `required` (no lock in force: exit 2), `warn` (a warning
#: in every report), `off` (nothing said). A lock that is in force is enforced in every mode.
LockMode = Literal["required", "warn", "off"]


@dataclass(frozen=True, slots=True)
class LockedTool:
    """One scanner's pinned executable."""

    sha256: str
    #: Where it was when the lock was written, and its version then: for people only.
    path: str = ""
    version: str = ""
    distribution: str | None = None
    #: The SHA-256 of the installing distribution's RECORD, compared when both sides have it.
    record_sha256: str | None = None

    @classmethod
    def of(cls, identity: ToolIdentity, version: str) -> LockedTool:
        return cls(
            sha256=identity.sha256,
            path=identity.path,
            version=version,
            distribution=identity.distribution,
            record_sha256=identity.record_sha256,
        )


@dataclass(frozen=True)
class ToolLock:
    """Scanner name -> its pinned executable; `source` says where the lock was read."""

    tools: Mapping[str, LockedTool] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "<memory>"
    #: SHA-256 of the lock file's text (None: built in memory).
    sha256: str | None = None

    @property
    def record(self) -> str:
        """What a results file records of the lock in force (RESULTS_KEY)."""
        digest = f" (sha256 {self.sha256})" if self.sha256 else ""
        return f"{self.source}{digest}: {len(self.tools)} tool(s) pinned"

    def problem(self, scanner: str, identity: ToolIdentity) -> str | None:
        """Why `identity` may not run as `scanner` under this lock; None when it may."""
        pinned = self.tools.get(scanner)
        if pinned is None:
            return (
                f"the tools lock {self.source} names no digest for it; the "
                f"executable {identity.path} (sha256 {identity.sha256}) was not run"
            )
        if pinned.sha256 != identity.sha256:
            return (
                f"executable {identity.path} does not match the tools lock "
                f"{self.source}: expected sha256 {pinned.sha256}, found sha256 "
                f"{identity.sha256}; it was not run"
            )
        if (
            pinned.record_sha256 is not None
            and identity.record_sha256 is not None
            and pinned.record_sha256 != identity.record_sha256
        ):
            return (
                f"the RECORD of {identity.distribution} does not match the tools "
                f"lock {self.source}: expected sha256 {pinned.record_sha256}, found sha256 "
                f"{identity.record_sha256}; it was not run"
            )
        if identity.record_matches is False:
            return (
                f"executable {identity.path} differs from the hash its "
                f"distribution {identity.distribution} recorded when it was installed; it "
                "was not run"
            )
        return None


def dumps(tools: Mapping[str, LockedTool]) -> str:
    """The lock file's text: sorted, one stable JSON document."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tools": {
            name: {k: v for k, v in _fields(t).items() if v is not None}
            for name, t in sorted(tools.items())
        },
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _fields(t: LockedTool) -> dict[str, str | None]:
    return {
        "sha256": t.sha256,
        "path": t.path,
        "version": t.version,
        "distribution": t.distribution,
        "record_sha256": t.record_sha256,
    }


def loads(text: str, source: str) -> ToolLock:
    """A lock file's text; anything malformed is a ConfigError (exit 2) naming `source`."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ConfigError(f"tools lock is not JSON: {e}", path=source) from e
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ConfigError(f'not a tools lock (no "schema": "{SCHEMA}")', path=source)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            f"tools lock schema version {data.get('schema_version')!r} is not {SCHEMA_VERSION}",
            path=source,
        )
    raw = data.get("tools")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("a tools lock must pin at least one tool", path=source)
    tools: dict[str, LockedTool] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or not is_sha256(entry.get("sha256")):
            raise ConfigError(f"tool {name!r}: no valid sha256", path=source, key=str(name))
        record = entry.get("record_sha256")
        if record is not None and not is_sha256(record):
            raise ConfigError(f"tool {name!r}: invalid record_sha256", path=source, key=name)
        tools[str(name)] = LockedTool(
            sha256=entry["sha256"],
            path=str(entry.get("path", "")),
            version=str(entry.get("version", "")),
            distribution=entry.get("distribution"),
            record_sha256=record,
        )
    return ToolLock(MappingProxyType(tools), source, hashlib.sha256(text.encode()).hexdigest())
