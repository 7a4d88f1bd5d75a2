"""What a dependency source is: a reader of one manifest or lock-file format of one ecosystem,
and the values it hands back (declared packages with their file and line, and what it could not
read). One module per format implements `DependencySource`; `sources.py` lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from secscan.dependencies import ecosystems
from secscan.model.findings import NotAnalyzed, Scope

_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def mask(text: str) -> str:
    """Hide `user:token@` in URLs: manifest lines are shown in reports and logs."""
    return _USERINFO.sub("***@", text)


@dataclass(frozen=True, slots=True)
class Declared:
    """One dependency as a manifest states it, with the line that states it."""

    name: str
    specifier: str
    path: str
    line: int
    #: The name of the source (format) that read it: "requirements", "poetry.lock", ...
    source: str
    #: The line as written, with any URL credentials masked: safe to show in reports.
    text: str
    #: The exact version when the manifest pins one (`==X`, or a lock entry).
    version: str | None = None
    #: Direct reference (URL, VCS) with credentials masked: there is no release to audit.
    url: str | None = None
    #: OSV's name of the ecosystem whose advisories apply ("PyPI", "npm", "Go", ...).
    ecosystem: str = ecosystems.PYPI
    #: True for a dependency the project names itself, False for one pulled in by another;
    #: None when the format does not say.
    direct: bool | None = None

    @property
    def key(self) -> str:
        """The name as the ecosystem compares names (PEP 503 for PyPI, exact elsewhere)."""
        return ecosystems.normalize_name(self.ecosystem, self.name)

    @property
    def directory(self) -> str:
        """The project directory the manifest belongs to (one pin is audited once per folder)."""
        return str(PurePosixPath(self.path).parent)

    @property
    def purl(self) -> str:
        """The package URL of this dependency; with a version only when one is pinned."""
        return ecosystems.purl(self.ecosystem, self.name, self.version)


@dataclass(frozen=True, slots=True)
class Problem:
    """A manifest secscan could not read completely: its dependencies were not all audited."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        """`path:line: message`, as an error names it."""
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


@dataclass
class Manifests:
    """What parsing some manifests gave: what they declare, and what could not be assessed."""

    declared: list[Declared] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Not third-party packages (local paths, the project itself): said, not audited.
    not_audited: list[NotAnalyzed] = field(default_factory=list)
    #: Every file read, in the order read (the scan's inputs).
    files: list[str] = field(default_factory=list)

    def extend(self, other: Manifests) -> None:
        """Append another parse's results after this one's."""
        self.declared += other.declared
        self.problems += other.problems
        self.not_audited += other.not_audited
        self.files += other.files


class Reader:
    """Reads manifests below one root, once each, within a size limit; a file that cannot be
    read becomes a Problem (never an exception), so one bad file never hides the others."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        """Read files under `root`, none larger than `max_bytes`."""
        self.root = root
        self.max_bytes = max_bytes
        self._seen: set[str] = set()

    def first_visit(self, rel: str) -> bool:
        """True the first time `rel` is asked about: a file included twice is read once."""
        if rel in self._seen:
            return False
        self._seen.add(rel)
        return True

    def read(self, rel: str, out: Manifests) -> str | None:
        """The file's text (UTF-8, BOM dropped), recorded in `out.files`; None and a Problem in
        `out.problems` when it is too large, unreadable or not UTF-8."""
        path = self.root / rel
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                limit = self.max_bytes // (1024 * 1024)
                out.problems.append(Problem(rel, None, f"larger than {limit} MB: not read"))
                return None
            data = path.read_bytes()
        except OSError as e:
            out.problems.append(Problem(rel, None, f"cannot read: {e.strerror or e}"))
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            out.problems.append(Problem(rel, None, "not UTF-8 text"))
            return None
        out.files.append(rel)
        return text


@runtime_checkable
class DependencySource(Protocol):
    """One manifest or lock-file format of one ecosystem.

    A source says which files it reads (`pattern`, a regular expression over the path relative
    to the scan root, in pre-commit's `files:` dialect) and turns one of them into declared
    packages. It never runs code from the file and never reads outside the scan root.
    """

    #: Unique name of the format; `Declared.source` carries it ("requirements", "uv.lock").
    name: str
    #: OSV's name of the ecosystem the packages belong to ("PyPI", "npm", "Go", ...).
    ecosystem: str
    #: What GitLab's dependency-scanning report calls the tool that installs from this file.
    package_manager: str
    #: When one project directory declares a package in several formats, findings point at
    #: the lowest: the file people edit to pin a version (requirements 0, manifests 1, locks 2).
    priority: int
    #: Python regular expression (searched, not matched) over the POSIX path of a claimed file.
    pattern: str

    def claims(self, path: str) -> bool:
        """Whether this source reads the file at `path` (relative POSIX path)."""
        ...

    def parse(self, rel: str, reader: Reader) -> Manifests:
        """Every dependency the file declares, with problems and not-audited entries named."""
        ...

    def scope_of(self, path: str) -> Scope | None:
        """Scope.TEST or Scope.DOCS when the file's name says it installs development tools only
        (`requirements-dev.txt`), else None; the workspace's scopes ask this."""
        ...


class PatternSource:
    """Base for sources that claim a file exactly when `pattern` finds the path."""

    name: str
    ecosystem: str
    package_manager: str
    priority: int
    pattern: str

    def claims(self, path: str) -> bool:
        """Whether `pattern` is found in `path` (what pre-commit's `files:` does too)."""
        return re.search(self.pattern, path) is not None

    def scope_of(self, path: str) -> Scope | None:
        """No file of this format is development-only by its name."""
        return None
