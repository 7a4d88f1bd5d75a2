"""A third-party scanner, as a package outside secscan would ship it (tests/test_plugins.py).

It names its tool, kinds, config section, rules, check ids, doctor lines, which changes of
its options weaken a gate and which findings are none in test code only here; the test
installs it with a `secscan.scanners` entry point and edits nothing in `secscan/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

from pydantic import BaseModel, Field

from secscan.model.findings import Finding, FindingKind, Location, Scope, Severity
from secscan.scanners.base import (
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ScanRequest,
    StatusLine,
    ToolScanner,
    options,
    section_options,
)
from secscan.settings import trust
from secscan.settings.config import Config, Options

RULES = {
    "CKV_FAKE_1": "bucket is world readable",
    "CKV_FAKE_2": "password in plain text",
}
_CHECK = re.compile(r"^CKV2?_[A-Z]+_\d+$")


class FakeOptions(Options):
    #: How hard the fake tool looks.
    level: int = Field(default=1, ge=1, le=5)
    profiles: tuple[str, ...] = ()
    #: A file of extra checks, relative to the config file.
    checks_file: str | None = None


class FakeIacScanner(ToolScanner):
    name: ClassVar[str] = "fakeiac"
    kind: ClassVar[FindingKind] = FindingKind.IAC
    description: ClassVar[str] = "a checkov-like scanner from another package"
    display_name: ClassVar[str] = "Fake IaC Checker"
    url: ClassVar[str] = "https://example.org/fakeiac"
    kinds: ClassVar[frozenset[FindingKind]] = frozenset({FindingKind.IAC, FindingKind.SECRET})
    options_model: ClassVar[type[BaseModel] | None] = FakeOptions
    credential_rules: ClassVar[frozenset[str]] = frozenset({"CKV_FAKE_2"})
    #: A world-readable bucket in a test fixture is the fixture's point.
    scope_exemptions: ClassVar[Mapping[Scope, frozenset[str]]] = MappingProxyType(
        {Scope.TEST: frozenset({"CKV_FAKE_1"})}
    )
    executable: ClassVar[str] = "fakeiac"

    def version(self) -> str:
        return "4.2.0"

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        return tuple(f for f in files if f.endswith(".tf"))

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        level = options(ctx.config, self, FakeOptions).level
        found = tuple(
            Finding(
                scanner=self.name,
                rule_id="CKV_FAKE_1",
                title=RULES["CKV_FAKE_1"],
                message=RULES["CKV_FAKE_1"],
                severity=Severity.HIGH,
                kind=FindingKind.IAC,
                location=Location(path, 1, end_line=1),
            )
            for path in ctx.targets
        )
        return ScanOutcome(
            findings=found, analyzed=frozenset(ctx.targets), rulesets=(f"level-{level}",)
        )

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        title = RULES.get(rule_id)
        if title is None:
            return None
        return RuleInfo(
            rule_id=rule_id,
            scanner=self.name,
            kind=FindingKind.IAC,
            title=title,
            description=f"level {lookup.config.section('fakeiac', FakeOptions).level} check",
            severity=Severity.HIGH,
            source="fakeiac's rule table",
        )

    def rule_ids(self) -> frozenset[str] | None:
        return frozenset(RULES)

    def check_id_problem(self, pattern: str) -> str | None:
        if _CHECK.match(pattern.replace("*", "1")):
            return None
        return f"{pattern!r} is not a fakeiac check id (like CKV_AWS_20)"

    def status(self, config: Config) -> tuple[StatusLine, ...]:
        level = config.section("fakeiac", FakeOptions).level
        return (StatusLine("fakeiac policies", "bundled", True, f"level {level}"),)

    def option_files(self, options: BaseModel) -> Mapping[str, tuple[str, ...]]:
        named = options.checks_file if isinstance(options, FakeOptions) else None
        return {"checks_file": (named,)} if named else {}

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        was, now = section_options(base, FakeOptions), section_options(head, FakeOptions)
        out = []
        if now.level < was.level:
            out.append(("level", f"fakeiac looks less hard: level {was.level} to {now.level}"))
        # `profiles` and `checks_file` are left to secscan's default: any change counts.
        return [*out, *trust.changed(base, head, known={"level"})]

    def strengthened(self, base: trust.Section, head: trust.Section) -> BaseModel:
        was, now = section_options(base, FakeOptions), section_options(head, FakeOptions)
        return was.model_copy(update={"level": max(was.level, now.level)})


class AbsentOptions(Options):
    mode: str = "full"
    depth: int = 3
    token: str | None = None


class AbsentToolScanner(ToolScanner):
    """A plugin whose tool is not installed here; it says nothing about its options."""

    name: ClassVar[str] = "absenttool"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "a scanner whose executable is missing"
    executable: ClassVar[str] = "secscan-test-no-such-tool"
    options_model: ClassVar[type[BaseModel] | None] = AbsentOptions

    def applies_to(self, path: str) -> bool:
        return True
