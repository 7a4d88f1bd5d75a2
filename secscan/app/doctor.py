"""`secscan doctor`: each registered scanner, whether its tool is there and at which version,
and the advisory sources a scan of a tree could use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secscan.advisories import service as advisory_service
from secscan.app.settings import Registry
from secscan.errors import SecscanError
from secscan.scanners.base import StatusLine

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


@dataclass(frozen=True)
class Checkup:
    tools: tuple[Tool, ...]
    advisory_source: str
    #: What each scanner can use, by section ("semgrep rules", ...).
    sections: dict[str, list[StatusLine]]

    @property
    def missing(self) -> int:
        """Built-in scanners whose tool is missing."""
        return sum(t.version is None and t.builtin for t in self.tools)


def check(path: Path, plugins: Registry) -> Checkup:
    config = plugins.load_config(path)
    tools = []
    sections: dict[str, list[StatusLine]] = {}
    for name, cls in plugins.scanners.classes.items():
        scanner = cls()
        try:
            version: str | None = scanner.version()
            problem = None
        except SecscanError as e:
            version, problem = None, e.diagnostics().splitlines()[0]
        tools.append(
            Tool(name, cls.kind.value, version, problem, name in plugins.scanners.builtins)
        )
        for line in scanner.status(config):
            sections.setdefault(line.section, []).append(line)
    return Checkup(tuple(tools), advisory_service.describe(config), sections)
