"""How the pipeline runs scanners side by side, and rescans a file with the files it depends on."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from secscan import scanners
from secscan.errors import ScannerError
from secscan.model.findings import Finding, FindingKind, Location, RunStatus, Severity
from secscan.scan import pipeline
from secscan.scanners.base import ScanContext, ScanOutcome, ToolScanner
from secscan.scanners.registry import ScannerRegistry
from secscan.settings.config import Config


class _Fake(ToolScanner):
    """A scanner behind the real interface that runs no process: it reports one finding per
    file it is given and remembers what it was given."""

    name: ClassVar[str] = "fake"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    executable: ClassVar[str] = "fake"
    calls: ClassVar[list[tuple[str, ...]]]

    def applies_to(self, path: str) -> bool:
        return True

    def version(self) -> str:
        return "1.0"

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        type(self).calls.append(ctx.targets)
        return ScanOutcome(
            findings=tuple(
                Finding(self.name, "R1", "t", "m", Severity.LOW, self.kind, Location(t, 1))
                for t in ctx.targets
            )
        )


def _register(monkeypatch: pytest.MonkeyPatch, *classes: type[ToolScanner]) -> None:
    monkeypatch.setattr(
        scanners, "installed", lambda: ScannerRegistry({c.name: c for c in classes})
    )


class _ChartScoped(_Fake):
    """Like trivy on a Helm chart: a template's findings depend on the chart's values.yaml,
    whose own findings depend on nothing else (a scope that does not go both ways)."""

    name: ClassVar[str] = "helm"
    file_local: ClassVar[bool] = True
    calls: ClassVar[list[tuple[str, ...]]] = []

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...]:
        return (rel,) if rel == "values.yaml" else (rel, "values.yaml")


def test_a_changed_file_is_rescanned_with_the_files_its_findings_depend_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "chart"
    for rel in ("values.yaml", "templates/web.yaml", "templates/db.yaml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"# {rel}\n")
    _register(monkeypatch, _ChartScoped)
    _ChartScoped.calls = []
    cfg = Config(scanners=("helm",))

    def paths() -> list[str]:
        run = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
        assert run.status is RunStatus.OK
        return sorted(f.location.path for f in run.findings)

    everything = ["templates/db.yaml", "templates/web.yaml", "values.yaml"]
    assert paths() == everything
    assert paths() == everything  # warm: nothing rescanned
    (root / "templates/web.yaml").write_text("# one byte more\n")
    assert paths() == everything  # each finding once: fresh results replace cached ones
    # The tool saw the changed template together with the values it renders with.
    assert [sorted(c) for c in _ChartScoped.calls] == [
        everything,
        ["templates/web.yaml", "values.yaml"],
    ]


def _concurrency_probe(names: Sequence[str]) -> tuple[list[type[ToolScanner]], list[int]]:
    """Scanners that count how many of them are inside scan() at the same moment."""
    lock = threading.Lock()
    inside = [0]
    peak: list[int] = []

    def make(n: str) -> type[ToolScanner]:
        class Slow(_Fake):
            name: ClassVar[str] = n
            calls: ClassVar[list[tuple[str, ...]]] = []

            def scan(self, ctx: ScanContext) -> ScanOutcome:
                with lock:
                    inside[0] += 1
                    peak.append(inside[0])
                deadline = threading.Event()
                # Wait until every scanner is in (or give up): a queued scanner never gets in.
                for _ in range(100):
                    with lock:
                        if inside[0] == len(names):
                            break
                    deadline.wait(0.02)
                with lock:
                    inside[0] -= 1
                return super().scan(ctx)

        return Slow

    return [make(n) for n in names], peak


def test_every_scanner_starts_at_once_even_with_one_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    classes, peak = _concurrency_probe(["s1", "s2", "s3"])
    _register(monkeypatch, *classes)
    monkeypatch.setattr(pipeline, "memory_slots", lambda: 64)
    result = pipeline.scan(tmp_path, Config(scanners=("s1", "s2", "s3"), jobs=1, cache=False))
    assert [r.status for r in result.runs] == [RunStatus.OK] * 3
    assert max(peak) == 3


def test_memory_bounds_how_many_scanners_run_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    classes, peak = _concurrency_probe(["s1", "s2", "s3"])
    _register(monkeypatch, *classes)
    monkeypatch.setattr(pipeline, "memory_slots", lambda: 1)
    result = pipeline.scan(tmp_path, Config(scanners=("s1", "s2", "s3"), jobs=8, cache=False))
    assert [r.status for r in result.runs] == [RunStatus.OK] * 3
    assert max(peak) == 1


def test_memory_slots_reads_the_available_memory() -> None:
    assert pipeline.memory_slots(per_scanner=1) > 1
    assert pipeline.memory_slots(per_scanner=1 << 60) == 1


class _Big(_Fake):
    """A file-local scanner (like bandit) that may be split over several processes."""

    name: ClassVar[str] = "big"
    file_local: ClassVar[bool] = True
    calls: ClassVar[list[tuple[str, ...]]] = []
    fail_on: ClassVar[str | None] = None

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        if self.fail_on in ctx.targets:
            raise ScannerError(self.name, "exited with code 2")
        return super().scan(ctx)


class _Other(_Fake):
    name: ClassVar[str] = "other"
    calls: ClassVar[list[tuple[str, ...]]] = []


def _big_tree(root: Path, files: int) -> list[str]:
    names = [f"pkg{i % 7}/m{i:04d}.py" for i in range(files)]
    for rel in names:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"x = {rel!r}\n")
    return sorted(names)


def _shared_machine(cache: bool) -> Config:
    # Two cores, two scanners: each tool gets one worker, so a big one is split in two.
    return Config(scanners=("big", "other"), jobs=2, cache=cache)


@pytest.mark.parametrize("cache", [True, False], ids=["cached", "no-cache"])
def test_a_big_file_local_scanner_is_split_over_the_cores_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    root = tmp_path / "tree"
    names = _big_tree(root, 2 * pipeline.SHARD_MIN_TARGETS + 11)
    _register(monkeypatch, _Big, _Other)
    _Big.calls, _Big.fail_on = [], None
    result = pipeline.scan(root, _shared_machine(cache), cache_dir=tmp_path / "cache")
    run = result.runs[0]
    assert run.status is RunStatus.OK
    assert sorted(f.location.path for f in run.findings) == names
    assert len(_Big.calls) == 2
    assert sorted(len(c) for c in _Big.calls) == [len(names) // 2, len(names) - len(names) // 2]
    assert sorted(t for c in _Big.calls for t in c) == names  # each file in exactly one shard


def test_a_small_tree_is_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    _big_tree(root, pipeline.SHARD_MIN_TARGETS + 1)
    _register(monkeypatch, _Big, _Other)
    _Big.calls, _Big.fail_on = [], None
    pipeline.scan(root, _shared_machine(cache=False))
    assert len(_Big.calls) == 1


def test_one_failing_shard_fails_the_whole_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    names = _big_tree(root, 2 * pipeline.SHARD_MIN_TARGETS)
    _register(monkeypatch, _Big, _Other)
    _Big.calls, _Big.fail_on = [], names[-1]
    run = pipeline.scan(root, _shared_machine(cache=True), cache_dir=tmp_path / "c").runs[0]
    assert run.status is RunStatus.ERROR
    assert run.findings == ()  # the other shard's findings never pass for a complete scan
    assert "exited with code 2" in (run.error or "")


def test_files_that_depend_on_each_other_stay_in_one_shard() -> None:
    targets = tuple(f"mod{i // 3}/f{i}.tf" for i in range(30))

    class Modules(_Fake):
        def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...]:
            folder = rel.rpartition("/")[0]
            return tuple(t for t in ctx.targets if t.startswith(folder + "/"))

    ctx = ScanContext(root=Path("/nonexistent"), targets=targets, config=Config(), timeout=1)
    shards = pipeline.split(Modules(), ctx, 4)
    assert sorted(t for s in shards for t in s) == sorted(targets)
    for shard in shards:
        folders = {t.partition("/")[0] for t in shard}
        assert all(sum(t.startswith(f + "/") for t in shard) == 3 for f in folders)
    assert max(map(len, shards)) - min(map(len, shards)) <= 3


class _Counted(_Big):
    """_Big that records how many of its shards are inside scan() at once."""

    name: ClassVar[str] = "big"
    lock = threading.Lock()
    inside: ClassVar[list[int]] = [0]
    peak: ClassVar[list[int]] = []

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        with self.lock:
            self.inside[0] += 1
            self.peak.append(self.inside[0])
        try:
            threading.Event().wait(0.05)
            return super().scan(ctx)
        finally:
            with self.lock:
                self.inside[0] -= 1


def test_a_very_big_scanner_takes_more_shards_than_workers_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cores are filled to the end: four shards, never more than two processes at once,
    and the findings (fingerprints included) are those of one process over every file."""
    root = tmp_path / "tree"
    names = _big_tree(root, 4 * pipeline.SHARD_MIN_TARGETS + 3)
    _register(monkeypatch, _Counted, _Other)
    _Counted.calls, _Counted.fail_on, _Counted.peak = [], None, []
    run = pipeline.scan(root, _shared_machine(cache=False)).runs[0]
    assert run.status is RunStatus.OK
    assert len(_Counted.calls) == 4 and max(_Counted.peak) == 2
    assert sorted(t for c in _Counted.calls for t in c) == names
    sharded = sorted((f.location.path, f.fingerprint, f.location.snippet) for f in run.findings)

    _Counted.calls = []
    alone = pipeline.scan(root, Config(scanners=("big",), jobs=1, cache=False)).runs[0]
    assert len(_Counted.calls) == 1
    assert sorted((f.location.path, f.fingerprint, f.location.snippet) for f in alone.findings) == (
        sharded
    )
    assert all(f.fingerprint and f.location.snippet for f in alone.findings)


def test_piece_count_keeps_each_shard_big_enough() -> None:
    def ctx(n: int) -> ScanContext:
        return ScanContext(
            root=Path("/nonexistent"),
            targets=tuple(f"f{i}.py" for i in range(n)),
            config=Config(jobs=2),
            timeout=1,
        )

    assert pipeline.piece_count(ctx(2 * pipeline.SHARD_MIN_TARGETS + 11), 2) == 2
    assert pipeline.piece_count(ctx(3 * pipeline.SHARD_MIN_TARGETS), 2) == 3
    assert pipeline.piece_count(ctx(50 * pipeline.SHARD_MIN_TARGETS), 2) == (
        2 * pipeline.SHARDS_PER_WORKER
    )
