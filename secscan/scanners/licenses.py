"""Licences of the dependencies that ship: judged against the licence policy.

Read without running anything: the distributions installed in the Python environments the
config names (`license.environments`: what ships), and the lock files of the tree that record
each package's licence (npm's `package-lock.json` v2/v3, `composer.lock`). Each licence is
parsed as an SPDX expression and judged by the licence policy
(secscan/dependencies/license_policy.py): a forbidden, to-be-reviewed or unknown licence is
a finding naming the package and the licence. Every package read, allowed or not, is a
component with its licence (the SBOM's and the NOTICE file's).

A Python manifest with no environment named is outside this scanner's coverage (it cannot
know what was installed from it), and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import ClassVar

from packaging.utils import canonicalize_name
from pydantic import BaseModel

from secscan.dependencies import license_policy as _policy
from secscan.dependencies import licenses as _lic
from secscan.dependencies import sources
from secscan.errors import ConfigError, ScannerError, ToolNotFoundError
from secscan.model.findings import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    Package,
)
from secscan.scanners._own_rules import TableRules
from secscan.scanners.base import (
    ScanContext,
    ScanOutcome,
    options,
)
from secscan.settings.config import Options
from secscan.util import files as _files

FORBIDDEN = "LICENSE-FORBIDDEN"
REVIEW = "LICENSE-REVIEW"
UNKNOWN = "LICENSE-UNKNOWN"
#: Each package read, by its key, with where it is placed in the tree.
_Found = dict[tuple[str, str, str], tuple[_lic.Licensed, Location]]
_RULES: Mapping[_policy.Verdict, str] = {
    _policy.Verdict.FORBIDDEN: FORBIDDEN,
    _policy.Verdict.REVIEW: REVIEW,
    _policy.Verdict.UNKNOWN: UNKNOWN,
}
_TITLES = {
    FORBIDDEN: "Dependency under a licence the licence policy forbids",
    REVIEW: "Dependency under a licence that needs review",
    UNKNOWN: "Dependency whose licence is unknown",
}
_FIX = {
    FORBIDDEN: "Replace the package, obtain it under another licence, or record a dated "
    "exception with an owner in the licence policy after legal review.",
    REVIEW: "Have the licence's obligations reviewed; record the outcome as an exception "
    "in the licence policy.",
    UNKNOWN: "Find the package's licence (its repository, its licence file) and record it "
    "as an exception in the licence policy, or ask the publisher to declare "
    "`License-Expression`.",
}


#: The source of a package a manifest declares that no named environment has installed.
_NOT_INSTALLED = "not installed"


class LicenseOptions(Options):
    #: Python environments (a virtual environment or a site-packages folder) whose installed
    #: distributions ship with the product, relative to the config file.
    environments: tuple[str, ...] = ()
    #: The licence policy file; the shipped `policies/licenses/default.yaml` when unset.
    policy: str | None = None
    #: An ORT `license-classifications.yml` whose categories the policy's `ort_verdicts` judge.
    ort_classifications: str | None = None


class LicenseScanner(TableRules):
    name: ClassVar[str] = "license"
    kind: ClassVar[FindingKind] = FindingKind.LICENSE
    description: ClassVar[str] = (
        "Licences of installed distributions and lock-file packages against the licence policy"
    )
    display_name: ClassVar[str] = "secscan licence check"
    url: ClassVar[str] = "https://github.com/aboutcode-org/license-expression"
    options_key: ClassVar[str | None] = "license"
    options_model: ClassVar[type[BaseModel] | None] = LicenseOptions
    titles: ClassVar[Mapping[str, str]] = _TITLES
    fixes: ClassVar[Mapping[str, str]] = _FIX
    title_note: ClassVar[str] = ", as the licence policy judges it."
    rules_source: ClassVar[str] = "secscan licence policy"

    def applies_to(self, path: str) -> bool:
        return sources.source_for(path, sources.python_sources()) is not None or _lic.is_lock_file(
            path
        )

    def version(self) -> str:
        try:
            return f"license-expression {_dist_version('license-expression')}"
        except PackageNotFoundError as e:
            raise ToolNotFoundError(
                "license-expression is not installed", argv0="license-expression"
            ) from e

    def option_files(self, options: BaseModel) -> Mapping[str, tuple[str, ...]]:
        assert isinstance(options, LicenseOptions)  # noqa: S101
        out: dict[str, tuple[str, ...]] = {}
        if options.policy:
            out["policy"] = (options.policy,)
        if options.ort_classifications:
            out["ort_classifications"] = (options.ort_classifications,)
        return out

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        opts = options(ctx.config, self, LicenseOptions)
        try:
            policy = _policy.load(
                ctx.config.resolve(opts.policy), ctx.config.resolve(opts.ort_classifications)
            )
        except ConfigError as e:
            raise ScannerError(self.name, f"licence policy: {e.diagnostics()}") from e
        max_bytes = int(ctx.config.max_file_size_mb * 1024 * 1024)
        found: _Found = {}
        not_analyzed, analyzed = self._lock_files(ctx, max_bytes, found)

        python = [
            t for t in ctx.targets if sources.source_for(t, sources.python_sources()) is not None
        ]
        envs = [p for p in (ctx.config.resolve(e) for e in opts.environments) if p is not None]
        if python and not envs:
            not_analyzed += self._no_environment(python)
        elif python:
            self._environments(ctx, envs, python, max_bytes, found)
            analyzed.update(python)

        findings, components = self._judged(policy, found)
        return ScanOutcome(
            findings=tuple(findings),
            not_analyzed=tuple(not_analyzed),
            analyzed=frozenset(analyzed),
            components=tuple(components),
            rulesets=(f"licence policy {policy.source} (sha256 {policy.digest[:12]})",),
        )

    def _lock_files(
        self, ctx: ScanContext, max_bytes: int, found: _Found
    ) -> tuple[list[NotAnalyzed], set[str]]:
        """The packages of the tree's lock files that record licences (first entry wins)."""
        not_analyzed: list[NotAnalyzed] = []
        analyzed: set[str] = set()
        for rel in (t for t in ctx.targets if _lic.is_lock_file(t)):
            try:
                text = _files.read_text(ctx.root / rel, limit=max_bytes)
                items = _lic.from_lock_file(rel, text)
            except (ConfigError, ValueError, RecursionError) as e:
                reason = e.diagnostics() if isinstance(e, ConfigError) else str(e)
                not_analyzed.append(NotAnalyzed(rel, f"{self.name}: {reason[:300]}"))
                continue
            analyzed.add(rel)
            for item in items:
                found.setdefault(item.key, (item, Location(rel, item.line)))
        return not_analyzed, analyzed

    def _no_environment(self, python: list[str]) -> list[NotAnalyzed]:
        return [
            NotAnalyzed(
                t,
                f"{self.name}: no Python environment named (license.environments): the "
                "licences of what is installed from it cannot be read",
                uncovered=True,
            )
            for t in python
        ]

    def _judged(self, policy: _policy.Policy, found: _Found) -> tuple[list[Finding], list[Package]]:
        """Every package as a component; those the policy does not allow as findings."""
        today = datetime.now(UTC).date()
        findings = []
        components = []
        for key in sorted(found):
            item, loc = found[key]
            components.append(_component(item))
            judged = _policy.judge(policy, item, today)
            if judged.severity is None:
                continue
            findings.append(self._finding(item, loc, judged))
        return findings, components

    def _environments(
        self,
        ctx: ScanContext,
        envs: list[Path],
        python: list[str],
        max_bytes: int,
        found: _Found,
    ) -> None:
        """Every distribution of the environments; each one a manifest declares is placed at
        its line there, the others at their METADATA file."""
        installed: dict[str, _lic.Licensed] = {}
        for env in envs:
            dirs = _lic.site_packages(env)
            if not dirs:
                raise ScannerError(
                    self.name,
                    f"license.environments: {env} is no Python environment (no site-packages, "
                    "no *.dist-info)",
                )
            label = _lic.environment_label(env, ctx.config.base_dir)
            for item in _lic.installed(env):
                installed.setdefault(
                    str(canonicalize_name(item.name)),
                    _with_path(item, f"{label}/{item.path}"),
                )
        declared = sources.collect(ctx.root, python, max_bytes, sources.python_sources())
        placed: dict[str, Location] = {}
        for d in declared.declared:
            placed.setdefault(str(canonicalize_name(d.name)), Location(d.path, d.line))
        for name, item in sorted(installed.items()):
            found.setdefault(item.key, (item, placed.get(name) or Location(item.path)))
        for d in declared.declared:
            name = str(canonicalize_name(d.name))
            if name in installed:
                continue
            missing = _lic.Licensed(
                name=d.name,
                version=d.version or "",
                ecosystem="PyPI",
                expression=None,
                declared="",
                source=_NOT_INSTALLED,
                path=d.path,
                line=d.line,
            )
            found.setdefault(missing.key, (missing, Location(d.path, d.line)))

    def _finding(self, item: _lic.Licensed, loc: Location, judged: _policy.Judged) -> Finding:
        rule = _RULES[judged.verdict]
        licence = item.expression or item.declared or "no licence stated"
        where = f"{item.name} {item.version}".strip()
        reason = (
            "not installed in the environments named by license.environments: its licence "
            "could not be read"
            if item.source == _NOT_INSTALLED
            else judged.reason
        )
        return Finding(
            scanner=self.name,
            rule_id=rule,
            title=f"{where}: {licence} ({judged.verdict.value})",
            message=f"{where} ({item.ecosystem}) is licensed {licence!r} "
            f"(read from {item.source}): {reason}.",
            severity=judged.severity,  # type: ignore[arg-type]
            kind=FindingKind.LICENSE,
            location=loc,
            confidence=Confidence.HIGH if item.expression else Confidence.MEDIUM,
            remediation=_FIX[rule],
            package=_component(item),
            tags=("license", judged.verdict.value),
        )


def _with_path(item: _lic.Licensed, path: str) -> _lic.Licensed:
    return replace(item, path=path)


def _component(item: _lic.Licensed) -> Package:
    return Package(
        name=item.name,
        version=item.version,
        ecosystem=item.ecosystem,
        purl=item.purl,
        license=item.expression or item.declared or None,
    )
