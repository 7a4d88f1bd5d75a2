"""A third-party scanner, as a package outside secscan would ship it (tests/test_plugins.py).

It names its tool, kinds, config section, rules, check ids and doctor lines only here; the
test installs it with a `secscan.scanners` entry point and edits nothing in `secscan/`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel, Field

from secscan.config import Config, Options
from secscan.findings import FindingKind, Severity
from secscan.scanners.base import (
    RuleInfo,
    RuleLookup,
    ScanContext,
    ScanOutcome,
    ScanRequest,
    StatusLine,
    ToolScanner,
    options,
)

RULES = {
    "CKV_FAKE_1": "bucket is world readable",
    "CKV_FAKE_2": "password in plain text",
}
_CHECK = re.compile(r"^CKV2?_[A-Z]+_\d+$")


class FakeOptions(Options):
    #: How hard the fake tool looks.
    level: int = Field(default=1, ge=1, le=5)
    profiles: tuple[str, ...] = ()


class FakeIacScanner(ToolScanner):
    name: ClassVar[str] = "fakeiac"
    kind: ClassVar[FindingKind] = FindingKind.IAC
    description: ClassVar[str] = "a checkov-like scanner from another package"
    display_name: ClassVar[str] = "Fake IaC Checker"
    url: ClassVar[str] = "https://example.org/fakeiac"
    kinds: ClassVar[frozenset[FindingKind]] = frozenset({FindingKind.IAC, FindingKind.SECRET})
    options_model: ClassVar[type[BaseModel] | None] = FakeOptions
    credential_rules: ClassVar[frozenset[str]] = frozenset({"CKV_FAKE_2"})
    executable: ClassVar[str] = "fakeiac"

    def version(self) -> str:
        return "4.2.0"

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        return tuple(f for f in files if f.endswith(".tf"))

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        level = options(ctx.config, self, FakeOptions).level
        return ScanOutcome(analyzed=frozenset(ctx.targets), rulesets=(f"level-{level}",))

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


class AbsentToolScanner(ToolScanner):
    """A plugin whose tool is not installed here."""

    name: ClassVar[str] = "absenttool"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "a scanner whose executable is missing"
    executable: ClassVar[str] = "secscan-test-no-such-tool"

    def applies_to(self, path: str) -> bool:
        return True
