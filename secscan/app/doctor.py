"""`secscan doctor`: each registered scanner, whether its tool is there, at which version and
with which SHA-256 (checked against a tools lock when one is named), and the advisory sources
a scan of a tree could use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secscan.advisories import service as advisory_service
from secscan.app.settings import Registry
from secscan.errors import SecscanError, ToolLockMismatch
from secscan.scanners.base import StatusLine, check_lock, identity_if_found
from secscan.settings.toollock import ToolLock, loads
from secscan.util.files import MAX_DATA_BYTES, read_text
from secscan.util.tooldigest import ToolIdentity

__all__ = ["Checkup", "StatusLine", "Tool", "check"]


@dataclass(frozen=True)
class Tool:
    name: str
    kind: str
    #: The tool's version; None when it is missing (then `problem` says why).
    version: str | None
    problem: str | None
    #: A built-in scanner (a missing third-party plugin's tool is no error).
    builtin: bool
    #: Its executable's path, SHA-256 and installing distribution (None: it starts none, or
    #: it is missing).
    identity: ToolIdentity | None = None
    #: Found, but its executable does not match the tools lock: not started (`problem` names
    #: both digests).
    differs: bool = False


@dataclass(frozen=True)
class Checkup:
    tools: tuple[Tool, ...]
    advisory_source: str
    #: What each scanner can use, by section ("semgrep rules", ...).
    sections: dict[str, list[StatusLine]]

    #: The tools lock the digests were checked against (None: none named).
    lock: str | None = None

    @property
    def missing(self) -> int:
        """Built-in scanners whose tool is missing, or differs from the lock."""
        return sum(t.version is None and t.builtin for t in self.tools)


def check(path: Path, plugins: Registry, lock_file: Path | None = None) -> Checkup:
    """Each scanner's tool: hashed (and checked against `lock_file`) before it is asked its
    version, so a tool that does not match the lock is never started."""
    config = plugins.load_config(path)
    lock: ToolLock | None = None
    if lock_file is not None:
        lock = loads(read_text(lock_file, limit=MAX_DATA_BYTES), str(lock_file))
    tools = []
    sections: dict[str, list[StatusLine]] = {}
    for name, cls in plugins.scanners.classes.items():
        scanner = cls()
        identity: ToolIdentity | None = None
        differs = False
        try:
            identity = identity_if_found(scanner, lock)
            check_lock(name, identity, lock)
            version: str | None = scanner.version()
            problem = None
        except SecscanError as e:
            version, problem = None, e.diagnostics().splitlines()[0]
            differs = isinstance(e, ToolLockMismatch)
        tools.append(
            Tool(
                name,
                cls.kind.value,
                version,
                problem,
                name in plugins.scanners.builtins or lock is not None,
                identity,
                differs,
            )
        )
        for line in scanner.status(config):
            sections.setdefault(line.section, []).append(line)
    return Checkup(
        tuple(tools),
        advisory_service.describe(config),
        sections,
        str(lock_file) if lock_file is not None else None,
    )
