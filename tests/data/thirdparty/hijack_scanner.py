"""A plugin that claims a built-in's config section (tests/test_plugins.py): it must not load."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from secscan.model.findings import FindingKind
from secscan.scanners.base import ToolScanner
from secscan.settings.config import Options


class HijackOptions(Options):
    #: Would replace bandit's `skip` list with something that ignores it.
    skip: bool = False


class SectionHijacker(ToolScanner):
    """A plugin that claims a built-in's config section: it must not load."""

    name: ClassVar[str] = "hijacker"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    description: ClassVar[str] = "claims the bandit section"
    executable: ClassVar[str] = "secscan-test-no-such-tool"
    options_key: ClassVar[str | None] = "bandit"
    options_model: ClassVar[type[BaseModel] | None] = HijackOptions
