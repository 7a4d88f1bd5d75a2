"""`secscan fix`'s plan: per vulnerable pinned package, the lowest version that clears every
advisory the mirror holds on it, within the project's own constraints and an upgrade cap,
the command for the project's tool, the lossless text edit where there is one, and what the
plan does not fix. Offline: the versions considered are the ones the mirror's records name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from secscan.advisories.osv import Advisory
from secscan.advisories.store import AdvisoryStore
from secscan.dependencies.interface import Declared
from secscan.util.atomic import write_atomic

Cap = Literal["patch", "minor", "major"]
CAPS: tuple[Cap, ...] = ("patch", "minor", "major")
ECOSYSTEM = "PyPI"
#: The files an --apply may edit, by the Declared source: a pinned line, rewritten in place.
EDITABLE = ("requirements", "pyproject")


@dataclass(frozen=True, slots=True)
class Edit:
    """One line's lossless change: `old` is replaced by `new` on `line` of `path`."""

    path: str
    line: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    current: str
    #: Where the pin is declared (the first declaration a person edits).
    path: str
    line: int
    #: The advisories affecting `current`.
    advisories: tuple[str, ...]
    #: The lowest version clearing every advisory within the cap and constraints; None: none.
    target: str | None
    #: Advisories still affecting `target` (or all of them without one): what the plan leaves.
    remaining: tuple[str, ...]
    command: str
    edit: Edit | None = None
    #: Why there is no edit or no full fix, for people.
    note: str = ""

    @property
    def clears_all(self) -> bool:
        return self.target is not None and not self.remaining


def candidate_versions(advisories: Iterable[Advisory], name: str) -> list[Version]:
    """Every version of the package the records name (range events, listed versions): the
    releases the mirror knows of, offline. Sorted, pre-releases left out."""
    key = canonicalize_name(name)
    found: set[Version] = set()
    for adv in advisories:
        for entry in adv.affected:
            if canonicalize_name(entry.name) != key:
                continue
            texts = [*entry.versions, *(ev.version for r in entry.ranges for ev in r.events)]
            for text in texts:
                try:
                    v = Version(text)
                except InvalidVersion:
                    continue
                if not v.is_prerelease and not v.is_devrelease and text not in ("0", "*"):
                    found.add(v)
    return sorted(found)


def within_cap(current: Version, candidate: Version, cap: Cap) -> bool:
    if cap == "major":
        return True
    if candidate.major != current.major:
        return False
    return cap == "minor" or candidate.minor == current.minor


def best_version(
    store: AdvisoryStore,
    name: str,
    current: str,
    cap: Cap = "major",
    constraints: SpecifierSet | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """(lowest version above `current` that no record affects, advisories left on it).

    Without such a version within the cap and constraints: the candidate leaving the fewest
    advisories (the lowest of equals), with those it leaves, when that is fewer than
    `current` has; else None."""
    now = Version(current)
    records = store.candidates(ECOSYSTEM, name)
    best: tuple[int, Version, tuple[str, ...]] | None = None
    has = len(store.query(ECOSYSTEM, name, current))
    for v in candidate_versions(records, name):
        if v <= now or not within_cap(now, v, cap):
            continue
        if constraints is not None and not constraints.contains(v, prereleases=False):
            continue
        left = tuple(a.id for a in store.query(ECOSYSTEM, name, str(v)))
        if not left:
            return str(v), ()
        if len(left) < (best[0] if best is not None else has):
            best = (len(left), v, left)
    if best is None:
        return None, ()
    return str(best[1]), best[2]


def plan(
    root: Path, declared: Sequence[Declared], store: AdvisoryStore, cap: Cap = "major"
) -> list[Plan]:
    """One plan per vulnerable pinned package (by name), in name order."""
    by_name: dict[str, list[Declared]] = defaultdict(list)
    for d in declared:
        by_name[d.key].append(d)
    plans = []
    for key in sorted(by_name):
        decls = by_name[key]
        pinned = [d for d in decls if d.version is not None]
        if not pinned:
            continue  # a range: pip-audit reports it as unpinned, there is no version to move
        first = min(pinned, key=_editable_first)
        current = first.version or ""
        affecting = tuple(a.id for a in store.query(ECOSYSTEM, first.name, current))
        if not affecting:
            continue
        constraints = _constraints(decls)
        target, left = best_version(store, first.name, current, cap, constraints)
        plans.append(_plan(root, first, current, affecting, (target, left), cap, constraints))
    return plans


def _editable_first(d: Declared) -> tuple[int, str, int]:
    return (0 if d.source in EDITABLE else 1, d.path, d.line)


def _constraints(decls: Sequence[Declared]) -> SpecifierSet | None:
    """The project's own bounds on the package: every declaration's specifier but the pins."""
    specs = []
    for d in decls:
        if d.version is not None or not d.specifier:
            continue
        try:
            specs.append(SpecifierSet(d.specifier))
        except InvalidSpecifier:
            continue
    if not specs:
        return None
    out = SpecifierSet()
    for s in specs:
        out &= s
    return out


def _plan(
    root: Path,
    d: Declared,
    current: str,
    affecting: tuple[str, ...],
    best: tuple[str | None, tuple[str, ...]],
    cap: Cap,
    constraints: SpecifierSet | None,
) -> Plan:
    target, left = best
    bounds = f" within {constraints}" if constraints else ""
    if target is None:
        note = (
            f"no version above {current} that the mirror knows of, within the {cap} cap"
            f"{bounds}, is affected by fewer advisories: nothing to upgrade to"
        )
        return Plan(d.name, current, d.path, d.line, affecting, None, affecting, "", None, note)
    note = (
        f"{target} still has {', '.join(left)} (no known version within the {cap} cap"
        f"{bounds} clears every advisory)"
        if left
        else ""
    )
    edit, why = _edit(root, d, current, target)
    if edit is None and why:
        note = "; ".join(n for n in (note, why) if n)
    return Plan(d.name, current, d.path, d.line, affecting, target, left,
                command=_command(root, d, target), edit=edit, note=note)  # fmt: skip


def _command(root: Path, d: Declared, target: str) -> str:
    """The command for the tool that owns the pin (a lock's, or pip-compile's when the
    requirements file has its `.in` beside it); a plain file is edited."""
    directory = PurePosixPath(d.path).parent
    here = root / directory
    if d.source == "uv.lock":
        return f"uv lock --upgrade-package {d.name}=={target}"
    if d.source == "poetry.lock":
        return f"poetry add {d.name}@^{target}"
    if d.source == "Pipfile.lock":
        return f"pipenv install {d.name}=={target}"
    if d.source == "requirements":
        source = PurePosixPath(d.path).with_suffix(".in")
        if (root / source).is_file():
            return f"pip-compile --upgrade-package {d.name}=={target} {source}"
        return f"edit {d.path}:{d.line}: {d.name}=={target}"
    if (here / "uv.lock").is_file():
        return f"uv add {d.name}=={target}"
    return f"edit {d.path}:{d.line}: {d.name}=={target}"


_PIN = re.compile(r"(?P<op>===?)\s*(?P<ver>[A-Za-z0-9][A-Za-z0-9.+!_-]*)")


def _edit(root: Path, d: Declared, current: str, target: str) -> tuple[Edit | None, str]:
    """The pin's lossless edit, or why there is none: only a pinned requirements or
    pyproject line holding exactly one `==VERSION` of that version, and no hash pinning the
    old release."""
    if d.source not in EDITABLE:
        return None, f"{d.path} is written by its tool: run the command"
    if d.source == "requirements" and (root / PurePosixPath(d.path).with_suffix(".in")).is_file():
        return None, f"{d.path} is compiled from its .in file: run the command"
    try:
        lines = (root / d.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        return None, f"{d.path} not read ({e})"
    if not 0 < d.line <= len(lines):
        return None, f"{d.path}:{d.line} not found"
    text = lines[d.line - 1]
    if d.source == "requirements" and _hashed(lines):
        return None, f"{d.path} pins hashes: regenerate them with the tool that wrote them"
    pins = [m for m in _PIN.finditer(text) if _same_version(m.group("ver"), current)]
    if len(pins) != 1 or canonicalize_name(d.name) not in canonicalize_name(text):
        return None, f"{d.path}:{d.line}: the pin is not one plain `=={current}`"
    m = pins[0]
    return Edit(d.path, d.line, m.group(0), f"{m.group('op')}{target}"), ""


def _same_version(text: str, version: str) -> bool:
    try:
        return Version(text) == Version(version)
    except InvalidVersion:
        return False


def _hashed(lines: Sequence[str]) -> bool:
    return any("--hash" in line for line in lines)


def apply(root: Path, edits: Sequence[Edit]) -> list[str]:
    """Write the edits (each file read once, written once); returns the files changed.
    A line that no longer holds what the plan read is an error, never a guess."""
    by_path: dict[str, list[Edit]] = defaultdict(list)
    for e in edits:
        by_path[e.path].append(e)
    changed = []
    for rel, items in sorted(by_path.items()):
        path = root / rel
        raw = path.read_bytes().decode("utf-8")
        lines = raw.splitlines(keepends=True)
        for e in items:
            line = lines[e.line - 1]
            if line.count(e.old) != 1:
                raise ValueError(f"{rel}:{e.line} changed since the plan: {e.old!r} not found once")
            lines[e.line - 1] = line.replace(e.old, e.new)
        write_atomic(path, "".join(lines).encode("utf-8"))
        changed.append(rel)
    return changed
