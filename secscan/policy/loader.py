"""Load the shipped policy library merged with a user's policy directory, and validate it whole.

Every mistake is a PolicyError naming the file, the line and the key: unknown or duplicate
ids, unknown keys, wrong types, and mapping rules that could never match a real finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel

from secscan import scanners
from secscan.errors import PolicyError
from secscan.model.findings import FindingKind
from secscan.model.targets import CHECK_TARGETS, OF_FINDING_KIND, TargetKind, describe
from secscan.policy.match import any_glob, canonical_check_glob, glob_match
from secscan.policy.models import (
    Control,
    Framework,
    FrameworkFile,
    MappingFile,
    MappingRule,
    MappingRuleSpec,
    Match,
    Policy,
    Profile,
    ProfileFile,
    qualify,
)
from secscan.scanners.base import kinds_of
from secscan.scanners.registry import ScannerRegistry
from secscan.util import files as _files
from secscan.util.resources import data_dir
from secscan.util.yamlio import _Loaded, load_yaml, validate

#: The folders of a policy directory; anything else in it (e.g. semgrep/) is not ours.
FRAMEWORKS, MAPPINGS, GATES = "frameworks", "mappings", "gates"
_SUFFIXES = (".yaml", ".yml")
_GLOB_META = frozenset("*?[")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Catalog:
    """What scanners exist, so a rule naming a scanner, or a rule id it never emits, is caught.

    Empty means "do not check": a saved result can be re-judged without the scanners.
    """

    #: Scanner name -> the kinds of finding it can emit (one kind is accepted too).
    kinds: Mapping[str, FindingKind | frozenset[FindingKind]] = field(default_factory=dict)
    rule_ids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Scanner name -> why a `checks:` pattern is none of its check ids (None: it is one),
    #: for the scanners that emit iac findings. A pattern any of them accepts is valid.
    check_ids: Mapping[str, Callable[[str], str | None]] = field(default_factory=dict)

    def kinds_of(self, scanner: str) -> frozenset[FindingKind]:
        k = self.kinds[scanner]
        return frozenset({k}) if isinstance(k, FindingKind) else k


def builtin_dir() -> Path:
    return data_dir("policies")


def default_catalog(registry: ScannerRegistry | None = None) -> Catalog:
    """Every registered scanner as it describes itself: its kinds, its closed set of rule ids
    (when it has one and can read it here) and how it recognises its check ids.
    `registry`: the scanners (the process's installed ones when not handed one)."""
    registry = registry or scanners.installed()
    built = {name: cls() for name, cls in registry.classes.items()}
    kinds = {name: kinds_of(s) for name, s in built.items()}
    ids = {name: s.rule_ids() for name, s in built.items()}
    checks = {
        name: s.check_id_problem for name, s in built.items() if FindingKind.IAC in kinds[name]
    }
    return Catalog(kinds, {k: v for k, v in ids.items() if v}, checks)


def load_policy(
    user_dir: Path | None = None,
    *,
    builtin: Path | None = None,
    include_builtin: bool = True,
    catalog: Catalog | None = None,
) -> Policy:
    """The shipped library, with `user_dir` added on top (a file at the same relative path
    replaces the shipped one), validated as a whole.
    """
    roots: list[Path] = []
    if include_builtin:
        roots.append(builtin or builtin_dir())
    if user_dir is not None:
        if not user_dir.is_dir():
            raise PolicyError("policy directory not found (or not a directory)", path=str(user_dir))
        # Named by a config a pull request can write: no link to elsewhere, no device or FIFO.
        _files.check(user_dir, error=PolicyError, directory=True)
        if not any((user_dir / sub).is_dir() for sub in (FRAMEWORKS, MAPPINGS, GATES)):
            raise PolicyError(
                f"a policy directory holds {FRAMEWORKS}/, {MAPPINGS}/ and/or {GATES}/ folders; "
                "found none",
                path=str(user_dir),
            )
        roots.append(user_dir)
    files: dict[tuple[str, str], Path] = {}
    for root in roots:
        for sub in (FRAMEWORKS, MAPPINGS, GATES):
            folder = root / sub
            if folder.is_dir():
                for p in sorted(folder.iterdir()):
                    if p.suffix in _SUFFIXES and p.is_file():
                        files[(sub, p.stem)] = p
    return _Builder(catalog or Catalog()).build(files, tuple(str(r) for r in roots))


class _Builder:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.loaded: dict[Path, _Loaded] = {}
        self.warnings: list[str] = []

    def error(self, path: Path, loc: list[int | str], message: str) -> PolicyError:
        loaded = self.loaded.get(path)
        line = loaded.line_of(loc) if loaded is not None else None
        return PolicyError(message, path=str(path), line=line, key=".".join(map(str, loc)) or None)

    def parse(self, path: Path, model: type[M]) -> M:
        loaded, parsed = _parse(path, model)
        self.loaded[path] = loaded
        return parsed

    def build(self, files: Mapping[tuple[str, str], Path], sources: tuple[str, ...]) -> Policy:
        # Shipped files first, then the user's: a clash is reported in the user's file.
        frameworks = self.frameworks([p for (sub, _), p in files.items() if sub == FRAMEWORKS])
        controls = {qualify(f.id, c.id): f for f in frameworks for c in f.controls}
        rules, rule_files = self.rules(
            [p for (sub, _), p in files.items() if sub == MAPPINGS], controls
        )
        self.crosswalks(frameworks, rule_files, rules)
        profiles = {
            stem: self.profile(stem, p, frameworks, controls)
            for (sub, stem), p in sorted(files.items())
            if sub == GATES
        }
        for what, sub, present in (
            ("frameworks", FRAMEWORKS, frameworks),
            ("mapping rules", MAPPINGS, rules),
            ("gate profiles", GATES, profiles),
        ):
            if not present:
                raise PolicyError(
                    f"the policy has no {what} ({sub}/*.yaml)",
                    path=sources[-1] if sources else None,
                )
        self.warn_unevidenced(frameworks, rules, controls)
        return Policy(
            frameworks=tuple(frameworks),
            rules=tuple(rules),
            profiles=profiles,
            sources=sources,
            warnings=tuple(self.warnings),
        )

    def warn_unevidenced(
        self,
        frameworks: list[Framework],
        rules: list[MappingRule],
        controls: Mapping[str, Framework],
    ) -> None:
        evidenced = {c for r in rules for c in r.controls}
        evidenced |= {qualify(f.id, c.id) for f in frameworks for c in f.controls if c.rules}
        self.warnings.extend(
            f"{qid}: no mapping rule evidences it; it is always not assessed"
            for qid in controls
            if qid not in evidenced
        )

    def frameworks(self, paths: list[Path]) -> list[Framework]:
        out: list[Framework] = []
        seen: dict[str, Path] = {}
        for path in paths:
            parsed = self.parse(path, FrameworkFile)
            fid = parsed.framework.id
            if fid in seen:
                raise self.error(
                    path,
                    ["framework", "id"],
                    f"duplicate framework id {fid!r} (also in {seen[fid]})",
                )
            seen[fid] = path
            if not parsed.controls:
                raise self.error(
                    path,
                    ["controls"],
                    f"framework {fid!r} has no controls: an empty framework could never fail, "
                    "so it is refused",
                )
            ids: dict[str, int] = {}
            for i, c in enumerate(parsed.controls):
                if c.id in ids:
                    raise self.error(
                        path,
                        ["controls", i, "id"],
                        f"duplicate control id {c.id!r} (first as controls.{ids[c.id]})",
                    )
                ids[c.id] = i
            out.append(
                Framework(info=parsed.framework, controls=parsed.controls, source_file=str(path))
            )
        return out

    def rules(
        self, paths: list[Path], controls: Mapping[str, Framework]
    ) -> tuple[list[MappingRule], dict[str, Path]]:
        specs: list[tuple[Path, int, MappingRuleSpec]] = []
        where: dict[str, Path] = {}
        for path in paths:
            parsed = self.parse(path, MappingFile)
            for i, spec in enumerate(parsed.rules):
                if spec.id in where:
                    raise self.error(
                        path,
                        ["rules", i, "id"],
                        f"duplicate rule id {spec.id!r} (also in {where[spec.id]})",
                    )
                where[spec.id] = path
                specs.append((path, i, spec))
        bases = {s.id: s for _, _, s in specs if s.match is not None}
        out: list[MappingRule] = []
        for path, i, spec in specs:
            loc: list[int | str] = ["rules", i]
            rule = self.resolve(path, loc, spec, bases)
            for j, cid in enumerate(rule.controls):
                self.check_control(path, [*loc, "controls", j], cid, controls)
            if len(set(rule.controls)) != len(rule.controls):
                raise self.error(path, [*loc, "controls"], "a control is listed twice")
            self.check_match(path, loc, rule)
            self.check_targets(path, loc, rule)
            out.append(rule)
        return out, where

    def resolve(
        self,
        path: Path,
        loc: list[int | str],
        spec: MappingRuleSpec,
        bases: Mapping[str, MappingRuleSpec],
    ) -> MappingRule:
        """The rule a spec describes: an `extends` takes its base's match (and targets)."""
        match, targets, description = spec.match, spec.targets, spec.description
        if spec.extends is not None:
            base = bases.get(spec.extends)
            if base is None:
                raise self.error(
                    path,
                    [*loc, "extends"],
                    f"{spec.extends!r} is not a rule with its own match (rules extend only "
                    "those, never another extending rule)",
                )
            match, targets = base.match, targets or base.targets
            description = description or base.description
        assert match is not None  # noqa: S101 - the model requires match or extends
        return MappingRule(
            id=spec.id,
            description=description,
            match=match,
            controls=spec.controls,
            rationale=spec.rationale,
            targets=targets,
            extends=spec.extends,
        )

    def check_control(
        self, path: Path, loc: list[int | str], cid: str, controls: Mapping[str, Framework]
    ) -> None:
        if cid in controls:
            return
        fid, sep, bare = cid.partition(":")
        if not sep:
            hint = [q for q in controls if q.endswith(f":{cid}")]
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise self.error(
                path, loc, f"control {cid!r} must be framework-qualified (framework:control){extra}"
            )
        known = {f.id for f in controls.values()}
        if fid not in known:
            raise self.error(
                path,
                loc,
                f"unknown framework {fid!r} in {cid!r}; known: {', '.join(sorted(known))}",
            )
        raise self.error(path, loc, f"unknown control {bare!r} in framework {fid!r}")

    def check_match(self, path: Path, loc: list[int | str], rule: MappingRule) -> None:
        """Refuse rules that could never match anything a scanner can produce."""
        m = rule.match
        mloc = [*loc, "match"]
        self.check_checks(path, mloc, m)
        self.check_scanners(path, mloc, m)
        self.check_rule_ids(path, mloc, m)

    def check_checks(self, path: Path, mloc: list[int | str], m: Match) -> None:
        if m.checks and FindingKind.IAC not in m.kinds:
            raise self.error(
                path, [*mloc, "checks"], "check ids only occur on iac findings: add `iac` to kinds"
            )
        checkers = self.catalog.check_ids
        for j, pattern in enumerate(m.checks if checkers else ()):
            problems = [problem(pattern) for problem in checkers.values()]
            if all(p is not None for p in problems):
                raise self.error(
                    path, [*mloc, "checks", j], "; ".join(dict.fromkeys(p for p in problems if p))
                )

    def check_scanners(self, path: Path, mloc: list[int | str], m: Match) -> None:
        kinds = self.catalog.kinds
        for j, s in enumerate(m.scanners if kinds else ()):
            named = [n for n in kinds if glob_match(n, s)]
            if not named:
                raise self.error(
                    path,
                    [*mloc, "scanners", j],
                    f"no scanner is named like {s!r}; known: {', '.join(sorted(kinds))}",
                )
            if not any(self.catalog.kinds_of(n) & set(m.kinds) for n in named):
                have = ", ".join(
                    f"{n} ({'/'.join(sorted(k.value for k in self.catalog.kinds_of(n)))})"
                    for n in named
                )
                raise self.error(
                    path,
                    [*mloc, "scanners", j],
                    f"{have} never reports {'/'.join(k.value for k in m.kinds)} findings",
                )

    def check_rule_ids(self, path: Path, mloc: list[int | str], m: Match) -> None:
        if not (m.rules and m.scanners):
            return
        known_ids = [self.catalog.rule_ids.get(s) for s in m.scanners]
        if any(ids is None for ids in known_ids):
            return
        universe = frozenset().union(*(ids for ids in known_ids if ids is not None))
        for j, pattern in enumerate(m.rules):
            if not any_glob(universe, (pattern,)):
                raise self.error(
                    path,
                    [*mloc, "rules", j],
                    f"{'/'.join(m.scanners)} has no rule like {pattern!r}",
                )

    def check_targets(self, path: Path, loc: list[int | str], rule: MappingRule) -> None:
        """A rule's declared targets must be readable by its kinds' scanners, and its check
        ids must evaluate some target it declares (a `KSV-*` rule evidenced by Terraform only
        could never be evaluated)."""
        m = rule.match
        if len(set(rule.targets)) != len(rule.targets):
            raise self.error(path, [*loc, "targets"], "a target kind is listed twice")
        for j, t in enumerate(rule.targets):
            if not any(t in OF_FINDING_KIND[k] for k in m.kinds):
                raise self.error(
                    path,
                    [*loc, "targets", j],
                    f"{t.value} targets are not read by {'/'.join(k.value for k in m.kinds)} "
                    "scanners, so they cannot evidence this rule",
                )
        if FindingKind.IAC not in m.kinds:
            return
        have = set(rule.evidence_targets(FindingKind.IAC) or ())
        for j, pattern in enumerate(m.checks):
            prefix = canonical_check_glob(pattern).split("-", 1)[0].upper()
            needed = CHECK_TARGETS.get(prefix)
            if needed and not have & set(needed):
                raise self.error(
                    path,
                    [*loc, "match", "checks", j],
                    f"{pattern} checks evaluate {describe(needed)} files, and the rule's "
                    f"targets ({describe(sorted(have))}) include none of them",
                )

    def crosswalks(
        self, frameworks: list[Framework], rule_files: Mapping[str, Path], rules: list[MappingRule]
    ) -> None:
        for f in frameworks:
            for i, c in enumerate(f.controls):
                qid = qualify(f.id, c.id)
                mine = [r for r in rules if qid in r.controls or r.id in c.rules]
                self.check_evidence(f, i, c, qid, mine)
                self.check_control_targets(f, i, c, qid, mine)
                for j, rid in enumerate(c.rules):
                    if rid not in rule_files:
                        raise self.error(
                            Path(f.source_file),
                            ["controls", i, "rules", j],
                            f"unknown mapping rule {rid!r}",
                        )

    def check_evidence(
        self, f: Framework, i: int, c: Control, qid: str, mine: list[MappingRule]
    ) -> None:
        kinds = {k for r in mine for k in r.match.kinds}
        for j, k in enumerate(c.evidence):
            if mine and k not in kinds:
                raise self.error(
                    Path(f.source_file),
                    ["controls", i, "evidence", j],
                    f"no mapping rule of {qid} matches {k.value} findings, so a "
                    f"{k.value} scanner cannot evidence it",
                )

    def check_control_targets(
        self, f: Framework, i: int, c: Control, qid: str, mine: list[MappingRule]
    ) -> None:
        readable = _readable(mine) if c.targets else set()
        for j, t in enumerate(c.targets):
            if t not in readable:
                raise self.error(
                    Path(f.source_file),
                    ["controls", i, "targets", j],
                    f"no mapping rule of {qid} is evidenced by {t.label} files"
                    + (f" (they are by: {describe(sorted(readable))})" if readable else ""),
                )

    def profile(
        self, name: str, path: Path, frameworks: list[Framework], controls: Mapping[str, Framework]
    ) -> Profile:
        parsed = self.parse(path, ProfileFile)
        known = {f.id for f in frameworks}
        for i, fid in enumerate(parsed.frameworks):
            if fid not in known:
                raise self.error(
                    path,
                    ["frameworks", i],
                    f"unknown framework {fid!r}; known: {', '.join(sorted(known))}",
                )
        for cid in parsed.gate.controls:
            self.check_control(path, ["gate", "controls", cid], cid, controls)
        return Profile(
            name=name,
            description=parsed.description,
            frameworks=parsed.frameworks,
            report=parsed.report,
            gate=parsed.gate,
            deadlines=parsed.deadlines,
            source_file=str(path),
        )


def _readable(rules: list[MappingRule]) -> set[TargetKind]:
    """Every target kind that evidences at least one of these rules."""
    out: set[TargetKind] = set()
    for r in rules:
        for k in r.match.kinds:
            out.update(r.evidence_targets(k) or OF_FINDING_KIND[k])
    return out


def _parse(path: Path, model: type[M]) -> tuple[_Loaded, M]:
    try:
        st = path.stat()
    except OSError as e:
        raise PolicyError(f"cannot read file: {e}", path=str(path)) from e
    key = (str(path), st.st_mtime_ns, st.st_size, model)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = _parse_uncached(path, model)
    loaded, parsed = hit
    return loaded, cast(M, parsed)  # the cache key includes the model


#: Parsed files by (path, mtime, size, model): the shipped library is parsed once per
#: process however often it is loaded; a file that changes is parsed again.
_CACHE: dict[tuple[str, int, int, type[BaseModel]], tuple[_Loaded, BaseModel]] = {}


def _parse_uncached(path: Path, model: type[M]) -> tuple[_Loaded, M]:
    loaded = load_yaml(path, PolicyError)
    if loaded.node is not None:
        _no_duplicate_keys(loaded.node, str(path))
    if not isinstance(loaded.data, dict):
        raise PolicyError("the top level must be a mapping of keys", path=str(path), line=1)
    return loaded, validate(model, loaded, str(path), PolicyError)


def _no_duplicate_keys(node: yaml.Node, name: str) -> None:
    """YAML keeps the last of two equal keys silently; in a policy that hides a mistake."""
    stack: list[yaml.Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[Any] = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        raise PolicyError(
                            f"duplicate key {k.value!r}",
                            path=name,
                            line=k.start_mark.line + 1,
                            key=k.value,
                        )
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def profile_or_error(policy: Policy, name: str) -> Profile:
    found = policy.profiles.get(name)
    if found is None:
        raise PolicyError(
            f"unknown gate profile {name!r}; known: {', '.join(sorted(policy.profiles))}",
            key="profile",
        )
    return found
