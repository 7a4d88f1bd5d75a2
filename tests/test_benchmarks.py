"""The benchmark harness's own parts: the offline corpus, the image archive, the timing maths.

The benchmark itself is not run here (its timings depend on the machine); these checks keep
`python benchmarks/run.py` from breaking silently between measured runs.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    """A harness script as a module (under a prefixed name: `run` is too common to claim)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # run.py imports its sibling `corpus`
    spec = importlib.util.spec_from_file_location(f"secscan_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


corpus = _load("corpus")
run = _load("run")
render_bench = _load("render_bench")


def test_quick_corpus_builds_offline_and_is_reused(tmp_path: Path) -> None:
    c = corpus.build(tmp_path, quick=True, log=False)
    stats = c.stats()
    assert stats["python_files"] > 20
    assert stats["iac_files"] == 30
    assert c.precommit_target.is_file()
    assert "advisories:\n  db: advisory-db" in c.config.read_text()
    assert any(c.advisory_db.rglob("PYSEC-*.json"))
    head = subprocess.run(
        ["git", "status", "--porcelain"], cwd=c.tree, capture_output=True, text=True, check=True
    )
    assert head.stdout == ""  # committed: pre-commit sees exactly the one staged change
    marker = c.tree / "python" / "marker.txt"
    marker.write_text("kept")
    assert corpus.build(tmp_path, quick=True, log=False).tree == c.tree
    assert marker.exists()  # a finished corpus of the same recipe is not rebuilt


def test_iac_copies_differ_so_a_content_cache_cannot_flatter(tmp_path: Path) -> None:
    corpus.multiply_iac(tmp_path, copies=3)
    files = sorted(tmp_path.rglob("main.tf"))
    assert len(files) == 3
    assert len({f.read_bytes() for f in files}) == 3


def test_image_archive_is_a_stable_docker_save_tarball(tmp_path: Path) -> None:
    data = corpus.image_archive()
    assert data == corpus.image_archive()
    path = tmp_path / "image.tar"
    path.write_bytes(data)
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        (entry,) = manifest
        config = json.load(tar.extractfile(entry["Config"]))  # type: ignore[arg-type]
        layer = tar.extractfile(entry["Layers"][0])
        assert layer is not None
        with tarfile.open(fileobj=layer) as fs:
            names = fs.getnames()
    assert entry["RepoTags"] == ["secscan-bench/shop:1.0"]
    assert config["rootfs"]["diff_ids"][0].startswith("sha256:")
    assert "var/lib/dpkg/status" in names
    assert any(n.endswith(".dist-info/METADATA") for n in names)


def test_overhead_is_wall_minus_the_union_of_tool_runs() -> None:
    trace = {
        "spawned": 100.0,
        "t0": 100.1,
        "ready": 100.5,
        "end": 109.8,
        "exited": 110.0,
        "events": [
            ["policy:load", 100.5, 101.0, 1],
            ["pipeline", 101.0, 108.0, 1],
            ["tool:bandit", 101.5, 105.0, 2],
            ["tool:semgrep scan", 102.0, 107.0, 3],  # overlaps bandit: counted once
            ["policy:judge", 108.0, 108.5, 1],
            ["render:json", 108.5, 109.0, 1],
            ["render:sarif", 109.0, 109.5, 1],
            ["reports", 108.5, 109.7, 1],
        ],
    }
    o = run.overhead(trace)
    assert o["tools"] == pytest.approx(5.5)
    assert o["overhead"] == pytest.approx(10.0 - 5.5)
    assert o["pipeline"] == pytest.approx(7.0 - 5.5)
    assert o["render (all formats)"] == pytest.approx(1.0)
    assert o["reports"] == pytest.approx(0.2)  # writing, the rest of the reports stage
    assert o["interpreter + imports"] == pytest.approx(0.5)


def test_measure_reads_cpu_and_memory_from_the_os(tmp_path: Path) -> None:
    code = "b = bytearray(64 * 1024 * 1024); sum(range(2_000_000)); raise SystemExit(3)"
    s = run.measure([sys.executable, "-c", code], cwd=tmp_path)
    assert s.returncode == 3
    assert s.cpu > 0
    assert s.max_rss_kb > 60 * 1024
    assert s.wall >= s.cpu * 0.5


def test_generated_scan_has_exactly_the_findings_asked_for_of_every_kind() -> None:
    result = render_bench.generate(500)
    assert len(result.findings) == 500
    assert {r.scanner for r in result.runs} == {
        "bandit",
        "semgrep",
        "iac",
        "secrets",
        "pip-audit",
        "image",
    }
    assert len({f.fingerprint for f in result.findings}) == 500


def _sample(wall: float, cpu: float | None = None) -> object:
    return run.Sample(
        wall=wall,
        user=cpu if cpu is not None else wall,
        sys=0.0,
        max_rss_kb=1024,
        tree_rss_kb=2048,
        returncode=0,
    )


def test_the_limit_is_the_slowest_tool_or_the_cpu_spread_over_the_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run.os, "cpu_count", lambda: 2)
    rep = run.Rep(hand={"a": _sample(50.0, 60.0), "b": _sample(10.0, 30.0)})
    assert rep.limit() == (50.0, "`a` alone")  # 90 s of CPU over 2 cores is only 45 s
    rep.hand["c"] = _sample(20.0, 40.0)
    assert rep.limit() == (65.0, "tool CPU / 2 cores")


def test_targets_table_has_the_issue_targets_the_limit_and_the_same_findings_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run.os, "cpu_count", lambda: 2)
    c = corpus.build(tmp_path, quick=True, log=False)
    trace = {
        "spawned": 0.0,
        "ready": 0.5,
        "end": 59.0,
        "exited": 60.0,
        "events": [["tool:bandit json", 1.0, 58.0, 1]],
    }
    rep = run.Rep(
        hand={"bandit": _sample(100.0), "semgrep": _sample(90.0, 160.0)},
        cold=_sample(60.0),
        warm=_sample(5.0),
        hook=_sample(1.0),
        semgrep_file=_sample(5.0),
        cold_trace=trace,
        warm_trace=trace,
        load=[0.5],
        same={"verdict": "equal (12 findings)", "equal": True, "fast": 12, "reference": 12},
    )
    report = run.Report(
        command="python benchmarks/run.py --short",
        reps=[rep],
        corpus=c,
        stats=c.stats(),
        render={"policy_and_formats_s": 2.0, "stages": {}, "bytes": {}, "findings": 10_000},
        machine={},
        versions={},
        load_before=(0.0, 0.0, 0.0),
        load_after=(0.0, 0.0, 0.0),
        started="now",
        duration_s=1.0,
    )
    r = report.ratios()
    assert r["cold_vs_hand"] == pytest.approx(60 / 190)
    assert r["cold_vs_limit"] == pytest.approx(60 / 130)  # 260 s of CPU over 2 cores
    assert r["hook_vs_semgrep"] == pytest.approx(0.2)
    assert r["overhead_share"] == pytest.approx(3 / 60)
    text = report.markdown()
    table = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    assert "| cold `secscan scan` / the limit | 60.0 s | 130.0 s (tool CPU / 2 cores) |" in table
    assert "<= 0.6 | met |" in table and "<= 1.15 | met |" in table
    assert "<= 0.1 | met |" in table and "<= 0.4 | met |" in table
    assert (
        "| secscan's own overhead / cold wall | 3.0 s | 60.0 s | 0.05 | <= 0.03 | **missed**"
        in (table)
    )
    assert "10,000 findings | 2.00 s | | | <= 1 s | **missed** by 2.0x |" in table
    assert "reference path" in table and "jobs: 1" in table
    assert "met: equal (12 findings)" in table


def test_a_sharded_scanners_processes_count_as_its_tool_time() -> None:
    """Shards run their processes on threads of their own; `exec:NAME` ties them to it."""
    trace = {
        "spawned": 0.0,
        "events": [
            ["scanner:big", 1.0, 10.0, 1],
            ["exec:big", 2.0, 6.0, 7],
            ["tool:big json", 2.0, 6.0, 7],
            ["exec:big", 3.0, 9.0, 8],
            ["scanner:small", 1.0, 3.0, 2],
            ["tool:small json", 1.5, 2.5, 2],
        ],
    }
    assert run.scanner_times(trace) == [("big", 1.0, 9.0, 2.0), ("small", 1.0, 2.0, 1.0)]


recall = _load("recall")


def test_recall_finds_the_ok_case_of_a_proven_safe_statement() -> None:
    """Each proven-safe case the recall benchmark lists must have an `ok:` test in the pack:
    the statement (quotes and spacing folded) under an `ok:` annotation."""
    found = recall.ok_case("subprocess.Popen('/bin/ls %s' % ('something',), shell=True)")
    assert found is not None and found.startswith("policies/semgrep/python/command-injection.py:")
    # a statement only annotated `ruleid:` (proofs.py) or nowhere is no ok case
    assert recall.ok_case("return subprocess.call(cmd, shell=True)  # not in the pack") is None
    assert recall.ok_case("os.system(cmd)") is None


precision = _load("precision")


def _flaw(fp: str, *others: str, failing: bool = True) -> dict[str, object]:
    return {
        "fingerprint": fp,
        "also_reported_by": [
            {"scanner": "semgrep", "rule_id": "r", "fingerprint": o} for o in others
        ],
        "severity": "high",
        "scope": "source",
        "scanner": "bandit",
        "rule_id": "B324",
        "title": "t",
        "location": {"path": "a.py", "start_line": 3},
    }


def test_precision_labels_match_any_report_of_a_merged_flaw() -> None:
    """A label written against the semgrep report of a flaw still names it after bandit's
    rating decides the flaw (the merged finding then carries bandit's fingerprint, the
    semgrep one is under `also_reported_by`)."""
    labels = {"p": {"semgrep-fp": {"label": "tp", "reason": "real"}}}
    moved = _flaw("bandit-fp", "semgrep-fp")
    alone = _flaw("other-fp")
    assert precision.label_of(labels["p"], moved) == {"label": "tp", "reason": "real"}
    assert precision.label_of(labels["p"], alone) == {}
    # its own fingerprint wins over a merged report's
    labels["p"]["bandit-fp"] = {"label": "fp", "reason": "own"}
    assert precision.label_of(labels["p"], moved)["label"] == "fp"
    del labels["p"]["bandit-fp"]
    o = precision.Outcome("p", "1", 1, 0.0, [moved, alone], {"bandit-fp", "other-fp"})
    row = precision.table([o], labels).splitlines()[-1]
    # labelled TP / FP 1 / 0; high+critical precision 100 %; failing TP / FP 1 / 0; 1 unlabelled
    assert row.endswith("| 1 | 2 | 1 / 0 | 100 % | 1 / 0 | 1 |"), row
    assert "**TP**, real" in precision.failing_list([o], labels)
    assert "unlabelled" in precision.failing_list([o], labels)


webcases = _load("webcases")


def test_webcases_are_labelled_twins_that_parse(tmp_path: Path) -> None:
    """Every case module parses (the app-factory and cross-module ones included), each class
    has vulnerable and safe cases, and no two cases share a file."""
    cases = webcases.write_tree(tmp_path)
    assert len({c.path for c in cases}) == len(cases)
    for path in tmp_path.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    for cls in webcases.CLASSES:
        kinds = {c.vulnerable for c in cases if c.cls == cls}
        assert kinds == {True, False}, cls
    assert {c.cls for c in cases if c.factory} == set(webcases.FACTORY_SINKS)


def test_webcases_score_counts_a_flow_for_the_view_it_starts_in() -> None:
    """A crossflow finding in a helper module counts for the case whose view its flow starts
    in, and gates it only when its fingerprint fails."""
    cases = [c for c in webcases.cases() if c.cls == "cmdi"]
    vuln = next(c for c in cases if c.name == "cmdi_vuln_x0")
    finding = {
        "fingerprint": "f1",
        "cwe": [78],
        "location": {"path": "app/cross/deeper.py"},
        "flow": [{"location": {"path": vuln.path}}, {"location": {"path": "app/cross/deeper.py"}}],
    }
    data = {
        "decision": {"failing_fingerprints": ["f1"]},
        "result": {"runs": [{"findings": [finding]}]},
    }
    row = webcases.score(cases, data)["cmdi"]
    assert row["gate_tpr"] == pytest.approx(1 / row["vulnerable"])
    assert row["fpr"] == 0
    data["decision"]["failing_fingerprints"] = []
    assert webcases.score(cases, data)["cmdi"]["gate_tpr"] == 0
