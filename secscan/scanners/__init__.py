"""Scanner plugins: built-ins by name, plus third parties under the `secscan.scanners` group."""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points

from secscan.errors import UsageError
from secscan.scanners.base import Scanner

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "secscan.scanners"

#: name -> "module:Class". Adding a built-in scanner is one module and one line here.
BUILTINS: dict[str, str] = {
    "bandit": "secscan.scanners.bandit:BanditScanner",
    "semgrep": "secscan.scanners.semgrep:SemgrepScanner",
    "pip-audit": "secscan.scanners.pip_audit:PipAuditScanner",
    "iac": "secscan.scanners.trivy_config:TrivyConfigScanner",
    "secrets": "secscan.scanners.trivy_secrets:TrivySecretsScanner",
    "image": "secscan.scanners.trivy_image:TrivyImageScanner",
}


def _load(ref: str) -> type[Scanner]:
    module, _, attr = ref.partition(":")
    cls: type[Scanner] = getattr(importlib.import_module(module), attr)
    return cls


def registry() -> dict[str, type[Scanner]]:
    """Every scanner that can be built: built-ins win over a third party of the same name."""
    found: dict[str, type[Scanner]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTINS:
            log.warning("ignoring third-party scanner %r: the name belongs to a built-in", ep.name)
            continue
        try:
            found[ep.name] = ep.load()
        except Exception as e:  # a broken plugin must not take down the built-ins
            log.warning("cannot load scanner plugin %r (%s): %s", ep.name, ep.value, e)
    for name, ref in BUILTINS.items():
        found[name] = _load(ref)
    return found


def build(names: list[str] | tuple[str, ...] | None = None) -> list[Scanner]:
    """Instantiate the named scanners (all registered ones when None), in a stable order."""
    reg = registry()
    if names is None:
        names = list(reg)
    unknown = [n for n in names if n not in reg]
    if unknown:
        raise UsageError(
            f"unknown scanner {', '.join(repr(n) for n in unknown)}; "
            f"known: {', '.join(sorted(reg))}"
        )
    return [reg[n]() for n in dict.fromkeys(names)]
