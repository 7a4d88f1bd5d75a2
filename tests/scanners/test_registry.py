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
