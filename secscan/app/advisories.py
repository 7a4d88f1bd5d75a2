"""The local OSV advisory mirror as the `advisories` commands build, inspect and serve it."""

from __future__ import annotations

from secscan.advisories import exploits
from secscan.advisories.importer import LOOKED_FOR, import_records
from secscan.advisories.server import make_server
from secscan.advisories.store import AdvisoryStore, StoreInfo

__all__ = [
    "LOOKED_FOR",
    "AdvisoryStore",
    "StoreInfo",
    "exploits",
    "import_records",
    "make_server",
]
