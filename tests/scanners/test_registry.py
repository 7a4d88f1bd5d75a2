"""Every registered scanner can be built and honours the Scanner interface."""

from importlib.metadata import EntryPoint

import pytest

from secscan import scanners
from secscan.errors import UsageError
from secscan.model.findings import FindingKind
from secscan.scanners.base import Scanner, ScanRequest


def test_every_registered_scanner_builds() -> None:
    built = scanners.build()
    assert {"bandit", "semgrep"} <= {s.name for s in built}
    for s in built:
        assert isinstance(s, Scanner), s
        assert isinstance(s.kind, FindingKind)
        assert s.description
        assert isinstance(s.select([], ScanRequest()), tuple)


def test_unknown_scanner_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown scanner 'nope'"):
        scanners.build(["nope"])


class _Plugin:
    name = "bandit"


def test_builtins_win_on_a_name_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [
        EntryPoint("bandit", f"{__name__}:_Plugin", scanners.ENTRY_POINT_GROUP),
        EntryPoint(
            "thirdparty", "secscan.scanners.bandit:BanditScanner", scanners.ENTRY_POINT_GROUP
        ),
        EntryPoint("broken", "no_such_module_xyz:Thing", scanners.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(
        scanners, "entry_points", lambda group: eps if group == scanners.ENTRY_POINT_GROUP else []
    )
    reg = scanners.registry()
    assert reg["bandit"].__module__ == "secscan.scanners.bandit"
    assert "thirdparty" in reg
    assert "broken" not in reg


def test_every_config_format_has_a_renderer() -> None:
    from secscan.report import FORMATS
    from secscan.settings.config import ALL_FORMATS

    assert set(ALL_FORMATS) <= set(FORMATS)
