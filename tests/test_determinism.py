"""Deterministic results: a per-file timeout is not analyzed, and never cached (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from secscan import scanners
from secscan.model.findings import TRANSIENT, FindingKind, NotAnalyzed, RunStatus
from secscan.scan import pipeline
from secscan.scanners.base import ScanContext, ScanOutcome, ToolScanner
from secscan.scanners.registry import ScannerRegistry
from secscan.scanners.semgrep import SemgrepScanner
from secscan.settings.config import Config


class _Slow(ToolScanner):
    """Behind the real interface, no process: times out on big.js the first time only."""

    name: ClassVar[str] = "slow"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    executable: ClassVar[str] = "slow"
    file_local: ClassVar[bool] = True
    calls: ClassVar[list[tuple[str, ...]]] = []

    def applies_to(self, path: str) -> bool:
        return True

    def version(self) -> str:
        return "1.0"

    def cache_material(self, ctx: ScanContext) -> str | None:
        return "m"

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        type(self).calls.append(ctx.targets)
        first = len(type(self).calls) == 1
        return ScanOutcome(
            not_analyzed=tuple(
                NotAnalyzed(t, f"slow: Timeout {TRANSIENT}")
                for t in ctx.targets
                if t == "big.js" and first
            )
        )


def test_a_timed_out_file_is_scanned_again_on_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "big.js").write_text("var a = 1;\n")
    (root / "small.js").write_text("var b = 2;\n")
    monkeypatch.setattr(scanners, "installed", lambda: ScannerRegistry({"slow": _Slow}))
    _Slow.calls = []
    cfg = Config(scanners=("slow",))
    first = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert first.status is RunStatus.OK
    assert [n.path for n in first.not_analyzed] == ["big.js"]
    second = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    # small.js came from the cache; big.js was scanned again, and this time analyzed
    assert _Slow.calls[-1] == ("big.js",)
    assert second.not_analyzed == ()


def test_semgrep_timeouts_are_transient_and_say_what_to_do(tmp_path: Path) -> None:
    out = {
        "results": [],
        "errors": [
            {"type": "Timeout", "level": "warn", "path": str(tmp_path / "a.js"), "message": "x"},
            {"type": "Syntax error", "level": "warn", "path": str(tmp_path / "b.py")},
        ],
        "paths": {"scanned": [str(tmp_path / "a.js"), str(tmp_path / "b.py")]},
    }
    ctx = ScanContext(root=tmp_path, targets=("a.js", "b.py"), config=Config(), timeout=60)
    outcome = SemgrepScanner().parse(json.dumps(out), ctx)
    by_path = {n.path: n for n in outcome.not_analyzed}
    assert by_path["a.js"].transient and "semgrep.rule_timeout" in by_path["a.js"].reason
    assert not by_path["b.py"].transient


def test_semgrep_gets_a_time_budget_and_no_skip_threshold(tmp_path: Path) -> None:
    ctx = ScanContext(root=tmp_path, targets=("a.py",), config=Config(), timeout=60)
    argv = SemgrepScanner().argv(ctx)
    assert argv[argv.index("--timeout") + 1] == "60"
    assert argv[argv.index("--timeout-threshold") + 1] == "0"
