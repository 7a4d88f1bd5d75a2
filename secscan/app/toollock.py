"""Which tools lock a run enforces, and `secscan tools lock` (writing one).

The lock is trusted-side only. It is named by `--tools-lock` or SECSCAN_TOOLS_LOCK, else
`.secscan-tools.lock` at the scan root is looked for. A lock inside the scanned tree (the scan
root or its git work tree) is never read from the tree: under `ci --new-since` the merge
base's copy of that file is read (a change that adds or edits the lock changes nothing that
is enforced); in any other scan it is not trusted and counts as missing, with the reason. The
gate profile's `tools_lock` then says what a missing lock does: `required` is a
configuration error (exit 2, before any tool runs), `warn` a warning in every report, `off`
nothing. A lock that is in force is always enforced (secscan/settings/toollock.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secscan.errors import ConfigError, SecscanError
from secscan.scanners.base import tool_identity
from secscan.scanners.registry import ScannerRegistry
from secscan.settings.toollock import LOCK_FILE, LockedTool, LockMode, ToolLock, dumps, loads
from secscan.util.atomic import write_atomic
from secscan.util.files import MAX_DATA_BYTES, read_text
from secscan.workspace import bounds

if TYPE_CHECKING:
    from secscan.app.incremental import Change

__all__ = ["ENV", "LockInForce", "in_force", "lock_text", "write_lock"]

#: The environment variable naming the lock (a CI job's trusted settings).
ENV = "SECSCAN_TOOLS_LOCK"


@dataclass(frozen=True)
class LockInForce:
    """The lock a run enforces, or why there is none."""

    lock: ToolLock | None
    #: Why no lock is in force (None when one is).
    missing: str | None = None
    #: Said in every report (a missing lock under `tools_lock: warn`).
    warnings: tuple[str, ...] = ()


def in_force(
    root: Path,
    named: Path | None,
    mode: LockMode,
    profile: str,
    change: Change | None = None,
) -> LockInForce:
    """The lock for a scan of `root` under a profile whose `tools_lock` is `mode`.

    Raises ConfigError when a named lock cannot be read or is malformed, and when the
    profile requires a lock and none is in force.
    """
    lock, missing, asked = _find(root.resolve(), named, change)
    if lock is not None:
        return LockInForce(lock)
    assert missing is not None  # noqa: S101 - _find gives one or the other
    if mode == "off" and asked:
        # A lock was named or committed but cannot be trusted: said whatever the profile,
        # so nobody believes a lock is enforced when it is not.
        return LockInForce(
            None,
            missing,
            (
                f"tools lock not in force ({missing}): the scanners' executables were not "
                "verified against pinned digests",
            ),
        )
    if mode == "required":
        raise ConfigError(
            f"gate profile {profile!r} requires a tools lock (tools_lock: required) and none "
            f"is in force: {missing}. Write one with `secscan tools lock --output FILE` on a "
            "trusted machine and name it with --tools-lock or SECSCAN_TOOLS_LOCK",
            key="tools_lock",
        )
    if mode == "warn":
        warning = (
            f"no tools lock in force ({missing}): the scanners' executables were not "
            f"verified against pinned digests (profile {profile!r}: tools_lock: warn)"
        )
        return LockInForce(None, missing, (warning,))
    return LockInForce(None, missing)


def _find(
    root: Path, named: Path | None, change: Change | None
) -> tuple[ToolLock | None, str | None, bool]:
    """The lock in force, or why none is; and whether one was asked for (named, or a
    `.secscan-tools.lock` at the root)."""
    explicit = named or (Path(os.environ[ENV]) if os.environ.get(ENV) else None)
    candidate = (explicit or root / LOCK_FILE).absolute()
    resolved = candidate.resolve()
    asked = explicit is not None or candidate.is_symlink() or candidate.exists()
    trees = (root, change.top) if change is not None else bounds.trees_of(root)
    if not bounds.inside(candidate, trees):
        if explicit is None:
            return None, f"no lock named (--tools-lock or {ENV})", False
        return loads(_read(candidate), str(candidate)), None, True
    if change is not None:
        top = change.top.resolve()
        named_at = candidate if candidate.is_relative_to(top) else resolved
        if not named_at.is_relative_to(top):  # in the scan root, out of the work tree
            return None, f"{candidate} is not in the merge base's tree", asked
        return (*_from_base(named_at.relative_to(top), change), asked)
    if not asked:
        return (
            None,
            f"no lock named (--tools-lock or {ENV}) and no {LOCK_FILE} at the root",
            False,
        )
    return (
        None,
        f"{candidate} is inside the scanned tree, which cannot vouch for its own tools (name "
        "a lock outside it, or gate with `ci --new-since`, which reads it from the merge base)",
        True,
    )


def _from_base(rel: Path, change: Change) -> tuple[ToolLock | None, str | None]:
    """The merge base's copy of the lock at `rel` (relative to the git top level)."""
    base_copy = change.tree / rel
    if not base_copy.is_file():
        return None, (
            f"{rel.as_posix()} is not in the merge base {change.base[:12]} (a lock the change "
            "under review adds is not trusted)"
        )
    return loads(_read(base_copy), f"{rel.as_posix()} at merge base {change.base[:12]}"), None


def _read(path: Path) -> str:
    try:
        return read_text(path, limit=MAX_DATA_BYTES)
    except ConfigError as e:
        raise ConfigError(f"cannot read tools lock: {e.message}", path=str(path)) from e


# --- `secscan tools lock` ------------------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    """One scanner as `tools lock` found it: pinned, or why it could not be."""

    name: str
    tool: LockedTool | None
    problem: str | None = None


def pin(registry: ScannerRegistry, names: Sequence[str] | None = None) -> list[Pinned]:
    """Every named scanner's executable (all registered ones by default) with its digest and
    version. Scanners that start no executable of their own are left out."""
    out = []
    for name in names or registry.names():
        if name not in registry.classes:
            raise ConfigError(f"unknown scanner {name!r}")
        scanner = registry.classes[name]()
        try:
            identity = tool_identity(scanner)
            if identity is None:
                continue
            out.append(Pinned(name, LockedTool.of(identity, scanner.version())))
        except SecscanError as e:
            out.append(Pinned(name, None, e.diagnostics().splitlines()[0]))
    return out


def lock_text(pinned: Sequence[Pinned]) -> str:
    tools: Mapping[str, LockedTool] = {p.name: p.tool for p in pinned if p.tool is not None}
    return dumps(tools)


def write_lock(path: Path, pinned: Sequence[Pinned]) -> None:
    write_atomic(path, lock_text(pinned))
