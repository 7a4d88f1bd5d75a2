"""The scanner registry: every scanner that can be built, and what the layers ask of them.

One `ScannerRegistry` is built per process (by `secscan.app.registry.Registry.load`, at the
top) and handed down: the pipeline builds and runs scanners from it, settings resolution
gets the config schema (each scanner's section) and the section judges from it, the policy
loader and the reports read the scanners' descriptions through it. Nothing is registered as
a side effect of defining a class: the registry reads each class's declarations when it is
built.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel

from secscan.errors import SecscanError, ToolLockMismatch, UsageError
from secscan.model.findings import Scope
from secscan.scanners.base import HasOptions, Scanner, options_key_of, verified
from secscan.scanners.named_files import check_named_files
from secscan.settings.config import Config, Schema
from secscan.settings.toollock import ToolLock

log = logging.getLogger(__name__)

#: The entry-point group third-party scanner packages register under.
ENTRY_POINT_GROUP = "secscan.scanners"


@dataclass(frozen=True)
class ScannerRegistry:
    """Scanner classes by name (built-ins first), and the config schema they make."""

    classes: Mapping[str, type[Scanner]]
    #: The names that are built-ins (they always run by default, and win every clash).
    builtins: frozenset[str] = frozenset()
    #: Report format names the config's `formats:` may name, handed in by whoever built
    #: the format registry (None: not checked; the settings layer imports no renderer).
    formats: tuple[str, ...] | None = None
    #: Section key -> its model, from the scanners' declarations (see `load`).
    sections: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    #: The tools lock in force (None: none): every scanner's executable is checked against it
    #: before it is started, its version asked included (`secscan.scanners.base.verified`).
    tool_lock: ToolLock | None = None

    @classmethod
    def load(
        cls,
        builtins: Mapping[str, type[Scanner]] | None = None,
        *,
        group: str | None = ENTRY_POINT_GROUP,
        formats: Iterable[str] | None = None,
    ) -> ScannerRegistry:
        """Built-ins plus the plugins installed under `group` (None: built-ins only).

        A plugin named like a built-in, one that fails to import, or one claiming a section
        another scanner has with a different model is left out with a warning; the
        built-ins always load.
        """
        if builtins is None:
            from secscan.scanners.builtin import BUILTINS

            builtins = BUILTINS
        sections: dict[str, type[BaseModel]] = {}
        for name, scanner in builtins.items():
            problem = _claim(sections, scanner)
            if problem is not None:
                raise TypeError(f"built-in scanner {name!r}: {problem}")
        plugins: dict[str, type[Scanner]] = {}
        for name, scanner in _plugins(group, frozenset(builtins)):
            problem = _claim(sections, scanner)
            if problem is not None:
                log.warning("cannot load scanner plugin %r: %s", name, problem)
                continue
            plugins[name] = scanner
        return cls(
            classes=MappingProxyType({**plugins, **builtins}),
            builtins=frozenset(builtins),
            formats=tuple(formats) if formats is not None else None,
            sections=MappingProxyType(sections),
        )

    # --- the scanners -------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every scanner that can be built."""
        return list(self.classes)

    def runs_by_default(self, name: str) -> bool:
        """Whether a config without `scanners:` runs it: every built-in (a missing built-in
        tool is a scanner error, as ever); a third party only when it says so and its tool
        is here."""
        if name in self.builtins:
            return True
        scanner = self.classes[name]
        if not getattr(scanner, "default", True):
            return False
        try:
            built = scanner()
            verified(built, self.tool_lock)
            built.version()
        except ToolLockMismatch:
            # Its tool is here but not the pinned one: it runs, and its run is the exit-3
            # error the lock promises, rather than its findings silently missing.
            return True
        except SecscanError as e:
            log.info("third-party scanner %r left out of the default set: %s", name, e)
            return False
        return True

    def defaults(self) -> list[str]:
        """The scanners a config without `scanners:` runs."""
        return [name for name in self.classes if self.runs_by_default(name)]

    def build(self, names: Sequence[str] | None = None) -> list[Scanner]:
        """Instantiate the named scanners (the default set when None), in a stable order."""
        if names is None:
            names = self.defaults()
        unknown = [n for n in names if n not in self.classes]
        if unknown:
            raise UsageError(
                f"unknown scanner {', '.join(repr(n) for n in unknown)}; "
                f"known: {', '.join(sorted(self.classes))}"
            )
        return [self.classes[n]() for n in dict.fromkeys(names)]

    def credential_rules(self) -> frozenset[tuple[str, str]]:
        """(scanner, rule id) of every rule whose matched code is itself a credential."""
        return frozenset(
            (name, rule)
            for name, scanner in self.classes.items()
            for rule in getattr(scanner, "credential_rules", frozenset())
        )

    def shell_command_rules(self) -> frozenset[str]:
        """ "scanner:rule-id" of every rule that reports a shell command that is not a literal."""
        return frozenset(
            f"{name}:{rule}"
            for name, scanner in self.classes.items()
            for rule in getattr(scanner, "shell_command_rules", frozenset())
        )

    def scope_exemptions(self, name: str) -> Mapping[Scope, frozenset[str]]:
        """The rule ids of a scanner that are no finding in a scope (empty: none, or unknown)."""
        scanner = self.classes.get(name)
        return getattr(scanner, "scope_exemptions", {}) if scanner is not None else {}

    # --- settings ----------------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        """The config schema: every scanner's section, the format names."""
        return Schema(self.sections, self.formats)

    def section_judges(self) -> dict[str, tuple[HasOptions, ...]]:
        """Config section key -> the scanners owning it, which judge changes to it (`trust`).

        A scanner without the judging methods (one written to an older interface) is left
        out; a section nobody judges has every change count as a weakening.
        """
        out: dict[str, list[HasOptions]] = {}
        for scanner in self.classes.values():
            key = options_key_of(scanner)
            owner = scanner() if key is not None else None
            if key is not None and isinstance(owner, HasOptions):
                out.setdefault(key, []).append(owner)
        return {key: tuple(owners) for key, owners in out.items()}

    def load_config(self, root: Path, explicit: Path | None = None) -> Config:
        """The config for a scan root, every section known and validated, and the files its
        options name checked (`named_files.check_named_files`)."""
        config = self.schema.load(root, explicit)
        check_named_files(config, self.section_judges())
        return config

    def default_config(self, base_dir: Path | None = None) -> Config:
        """The config of a tree without one, with every scanner's section."""
        return self.schema.defaults(base_dir)

    def make_config(self, **values: object) -> Config:
        """A Config built in code, sections included (`make_config(bandit={"skip": ...})`)."""
        return self.schema.make(**values)


def _plugins(group: str | None, builtins: frozenset[str]) -> list[tuple[str, type[Scanner]]]:
    """The scanner classes installed under the entry-point group, in a stable order."""
    if group is None:
        return []
    found: list[tuple[str, type[Scanner]]] = []
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        if ep.name in builtins:
            log.warning("ignoring third-party scanner %r: the name belongs to a built-in", ep.name)
            continue
        try:
            found.append((ep.name, ep.load()))
        except Exception as e:  # noqa: BLE001 - a broken plugin must not take down the built-ins
            log.warning("cannot load scanner plugin %r (%s): %s", ep.name, ep.value, e)
    return found


def _claim(sections: dict[str, type[BaseModel]], scanner: type[Scanner]) -> str | None:
    """Add the scanner's section to `sections`; why it cannot, when it cannot."""
    key = options_key_of(scanner)
    model = getattr(scanner, "options_model", None)
    if key is None or model is None:
        return None
    known = sections.get(key)
    if known is not None and known is not model:
        return f"config section {key!r} is registered twice ({known}, {model})"
    if key in Config.model_fields:
        return f"config section {key!r} would shadow a top-level setting"
    sections[key] = model
    return None
