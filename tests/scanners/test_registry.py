"""Every registered scanner can be built and honours the Scanner interface."""

from importlib.metadata import EntryPoint

import pytest

from secscan.app.registry import Registry, installed
from secscan.errors import UsageError
from secscan.model.findings import FindingKind
from secscan.scanners import registry as scanner_registry
from secscan.scanners.base import Scanner, ScanRequest
from secscan.scanners.registry import ENTRY_POINT_GROUP, ScannerRegistry


def test_every_registered_scanner_builds() -> None:
    built = installed().scanners.build()
    assert {"bandit", "semgrep"} <= {s.name for s in built}
    for s in built:
        assert isinstance(s, Scanner), s
        assert isinstance(s.kind, FindingKind)
        assert s.description
        assert isinstance(s.select([], ScanRequest()), tuple)


def test_unknown_scanner_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown scanner 'nope'"):
        installed().scanners.build(["nope"])


class _Plugin:
    name = "bandit"


def test_builtins_win_on_a_name_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [
        EntryPoint("bandit", f"{__name__}:_Plugin", ENTRY_POINT_GROUP),
        EntryPoint("thirdparty", "secscan.scanners.bandit:BanditScanner", ENTRY_POINT_GROUP),
        EntryPoint("broken", "no_such_module_xyz:Thing", ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(
        scanner_registry,
        "entry_points",
        lambda group: eps if group == ENTRY_POINT_GROUP else [],
    )
    reg = ScannerRegistry.load().classes
    assert reg["bandit"].__module__ == "secscan.scanners.bandit"
    assert "thirdparty" in reg
    assert "broken" not in reg


def test_the_registry_is_built_once_and_handed_down() -> None:
    """One object per process: the CLI's, the pipeline's and the reports' are the same."""
    from secscan import scanners

    assert installed() is installed()
    assert installed().scanners.classes is scanners.installed().classes
    assert installed().scanners.formats == tuple(installed().formats.scan)


def test_every_config_format_has_a_renderer() -> None:
    registry = Registry.load(plugins=False)
    config = registry.scanners.make_config(formats=list(registry.formats.scan))
    assert set(config.formats) == set(registry.formats.scan)
    assert all(callable(f.renderer) for f in registry.formats.all)


def test_defining_a_scanner_class_registers_nothing() -> None:
    """Config sections come from the registry that lists a scanner, not from its class."""
    from typing import ClassVar

    from pydantic import BaseModel

    from secscan.scanners.base import ToolScanner
    from secscan.settings.config import Config, Options

    class NewOptions(Options):
        level: int = 1

    class NewScanner(ToolScanner):
        name: ClassVar[str] = "newscanner"
        kind: ClassVar[FindingKind] = FindingKind.CODE
        executable: ClassVar[str] = "newscanner"
        options_model: ClassVar[type[BaseModel] | None] = NewOptions

    assert "newscanner" not in ScannerRegistry.load(group=None).sections
    assert not hasattr(Config(), "newscanner")  # no __getattr__ answering for sections
    listed = ScannerRegistry({"newscanner": NewScanner}, sections={"newscanner": NewOptions})
    config = listed.make_config(newscanner={"level": 3})
    assert config.section("newscanner", NewOptions).level == 3
    assert listed.default_config().section("newscanner") == NewOptions()


def test_a_plugin_section_that_would_shadow_a_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from typing import ClassVar

    from pydantic import BaseModel

    from secscan.scanners.base import ToolScanner
    from secscan.settings.config import Options

    class Shadow(ToolScanner):
        name: ClassVar[str] = "shadow"
        kind: ClassVar[FindingKind] = FindingKind.CODE
        executable: ClassVar[str] = "shadow"
        options_key: ClassVar[str | None] = "exclude"  # a top-level setting
        options_model: ClassVar[type[BaseModel] | None] = Options

    class _EP:
        name, value = "shadow", "x:Shadow"

        def load(self) -> type[ToolScanner]:
            return Shadow

    monkeypatch.setattr(scanner_registry, "entry_points", lambda group: [_EP()])
    assert "shadow" not in ScannerRegistry.load().classes
    assert "would shadow a top-level setting" in caplog.text
