"""Baselines: today's findings recorded as known (`secscan baseline create|update`), from a
scan of the tree or from saved results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secscan.app.registry import installed
from secscan.errors import UsageError
from secscan.model.findings import ScannerRun, ScanResult
from secscan.model.results import load
from secscan.policy.baseline import BASELINE_FILE, Baseline, load_baseline, write_baseline
from secscan.scan import pipeline
from secscan.settings.config import Config

__all__ = ["BASELINE_FILE", "Written", "create", "update"]


@dataclass(frozen=True)
class Written:
    """The baseline written, the one it replaced (None: a new one), and the scanners that
    failed (their findings are not in it, and will count as new later)."""

    target: Path
    baseline: Baseline
    old: Baseline | None
    failed: tuple[ScannerRun, ...]

    def added(self) -> int:
        return _added(self.old, self.baseline) if self.old is not None else len(self.baseline)

    def removed(self) -> int:
        return _added(self.baseline, self.old) if self.old is not None else 0


def create(
    path: Path,
    *,
    output: Path | None,
    source: Path | None,
    config_file: Path | None,
    scanner_names: Sequence[str],
    force: bool,
) -> Written:
    """Scan PATH (or read `source`) and write every finding's fingerprint to a new baseline."""
    config = installed().load_config(path, config_file)
    target = output or config.resolve(config.baseline) or path / BASELINE_FILE
    if target.exists() and not force:
        raise UsageError(f"{target} exists; use `secscan baseline update` or --force")
    result = _findings(path, config, source, scanner_names)
    new = Baseline.from_findings(result.findings, str(target))
    write_baseline(target, new, pipeline.utcnow())
    return Written(target, new, None, result.failed_runs)


def update(
    path: Path,
    *,
    output: Path | None,
    source: Path | None,
    config_file: Path | None,
    scanner_names: Sequence[str],
    prune: bool,
) -> Written:
    """Rewrite an existing baseline with the current findings (prune: only drop fixed ones)."""
    config = installed().load_config(path, config_file)
    target = output or config.resolve(config.baseline) or path / BASELINE_FILE
    old = load_baseline(target)
    result = _findings(path, config, source, scanner_names)
    new = (
        old.pruned(result.findings)
        if prune
        else Baseline.from_findings(result.findings, str(target))
    )
    write_baseline(target, new, pipeline.utcnow())
    return Written(target, new, old, result.failed_runs)


def _findings(
    path: Path, config: Config, source: Path | None, scanner_names: Sequence[str]
) -> ScanResult:
    if source is not None:
        return load(source).result
    return pipeline.scan(path, config, scanner_names=list(scanner_names) or None)


def _added(old: Baseline, new: Baseline) -> int:
    return sum(max(0, n - old.counts.get(fp, 0)) for fp, n in new.counts.items())
