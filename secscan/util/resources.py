"""Where the shipped policy library and report templates live (wheel or source checkout)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parents[1]  # the secscan package


def data_dir(name: str) -> Path:
    """`policies` or `reports`: inside the wheel under secscan/_data, else the repo top level."""
    installed = _PKG / "_data" / name
    if installed.is_dir():
        return installed
    return _PKG.parent / name
