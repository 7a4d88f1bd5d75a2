"""What secscan's own scanners (no external tool) share: files chosen by `applies_to`, and
rules described from a fixed table of titles and fixes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from secscan.scanners.base import Describes, RuleInfo, RuleLookup, ScanRequest


class SelectsByPath(Describes):
    """A scanner that reads every file its `applies_to` accepts."""

    def applies_to(self, path: str) -> bool:
        """No file unless the scanner names the files it reads."""
        return False

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        """The files it `applies_to`."""
        return tuple(f for f in files if self.applies_to(f))


class TableRules(SelectsByPath):
    """A scanner whose closed set of rules is `titles` (rule id -> title) with `fixes`."""

    titles: ClassVar[Mapping[str, str]]
    fixes: ClassVar[Mapping[str, str]]
    #: Appended to a rule's title to make its description.
    title_note: ClassVar[str]
    #: Where the rules come from, as `RuleInfo.source` states it.
    rules_source: ClassVar[str]

    def rule_ids(self) -> frozenset[str] | None:
        """The table's rule ids."""
        return frozenset(self.titles)

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        """The table's title and fix; None for a rule id not in it."""
        if rule_id not in self.titles:
            return None
        return RuleInfo(
            rule_id=rule_id,
            scanner=self.name,
            kind=self.kind,
            title=self.titles[rule_id],
            description=self.titles[rule_id] + self.title_note,
            fix=self.fixes[rule_id],
            source=self.rules_source,
        )
