"""The per-file result cache: each key part invalidates exactly what it should."""

import json
import logging
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secscan.app.registry import installed
from secscan.errors import UsageError
from secscan.model.findings import TRANSIENT, FindingKind, NotAnalyzed
from secscan.model.redact import Redactor
from secscan.scan import cache as result_cache
from secscan.scan import pipeline
from secscan.scan.cache import ResultCache
from secscan.scanners.base import Caching, ScanContext, ScanOutcome, ToolScanner

FAKE_BANDIT = """#!{python}
import json, sys
if sys.argv[1:] == ["--version"]:
    print("bandit {version}")
    sys.exit(0)
files = sys.argv[sys.argv.index("--") + 1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(sorted(files)) + "\\n")
results = [
    {{"test_id": "B999", "test_name": "fake", "issue_text": "seen", "issue_severity": "LOW",
      "issue_confidence": "HIGH", "line_number": 1, "line_range": [1], "col_offset": 0,
      "filename": f}}
    for f in files
]
print(json.dumps({{"results": results, "errors": [], "metrics": {{f: {{}} for f in files}}}}))
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (root / name).write_text(f"print({name!r})\n")
    return root


@pytest.fixture
def bandit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    log = tmp_path / "calls.log"

    def install(version: str = "1.0.0") -> Path:
        path = tmp_path / "bin" / "bandit"
        path.parent.mkdir(exist_ok=True)
        path.write_text(FAKE_BANDIT.format(python=sys.executable, version=version, log=str(log)))
        path.chmod(0o755)
        monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(path))
        return path

    def calls() -> list[list[str]]:
        if not log.exists():
            return []
        return [[Path(p).name for p in json.loads(line)] for line in log.read_text().splitlines()]

    install.calls = calls  # type: ignore[attr-defined]
    return install


def _scan(root: Path, cache_dir: Path, **cfg: object) -> list[str]:
    result = pipeline.scan(
        root,
        installed().scanners.make_config(scanners=("bandit",), **cfg),
        cache_dir=cache_dir,
    )  # type: ignore[arg-type]
    run = result.runs[0]
    assert run.status.value == "ok", run.error
    return sorted(f.location.path for f in run.findings)


def test_warm_scan_runs_nothing_and_gives_the_same_findings(
    tree: Path, tmp_path: Path, bandit
) -> None:
    bandit()
    cold = _scan(tree, tmp_path / "cache")
    warm = _scan(tree, tmp_path / "cache")
    assert cold == warm == ["a.py", "b.py", "c.py"]
    assert bandit.calls() == [["a.py", "b.py", "c.py"]]


def test_files_with_identical_content_keep_their_own_paths(tmp_path: Path, bandit) -> None:
    bandit()
    root = tmp_path / "twins"
    root.mkdir()
    for name in ("one.py", "two.py"):
        (root / name).write_text("same = 1\n")
    assert _scan(root, tmp_path / "cache") == ["one.py", "two.py"]
    assert _scan(root, tmp_path / "cache") == ["one.py", "two.py"]
    assert len(bandit.calls()) == 1


def test_one_byte_change_rescans_only_that_file(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    _scan(tree, tmp_path / "cache")
    (tree / "b.py").write_text("print('b.pY')\n")
    assert _scan(tree, tmp_path / "cache") == ["a.py", "b.py", "c.py"]
    assert bandit.calls()[-1] == ["b.py"]


def test_tool_version_change_rescans_everything(tree: Path, tmp_path: Path, bandit) -> None:
    bandit("1.0.0")
    _scan(tree, tmp_path / "cache")
    bandit("1.0.1")
    _scan(tree, tmp_path / "cache")
    assert bandit.calls() == [["a.py", "b.py", "c.py"]] * 2


def test_config_change_rescans_everything(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    _scan(tree, tmp_path / "cache")
    _scan(tree, tmp_path / "cache", bandit={"skip": ["B101"]})
    assert len(bandit.calls()) == 2 and bandit.calls()[1] == ["a.py", "b.py", "c.py"]


def test_corrupted_entry_is_discarded_not_trusted(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    _scan(tree, tmp_path / "cache")
    entries = sorted((tmp_path / "cache" / "bandit").rglob("*.json"))
    assert len(entries) == 3
    victim = entries[0]
    victim.write_text('{"findings": [{"scanner": "forged"')
    assert _scan(tree, tmp_path / "cache") == ["a.py", "b.py", "c.py"]
    assert len(bandit.calls()[-1]) == 1  # exactly the file behind the torn entry was rescanned
    mac, _, payload = victim.read_bytes().partition(b"\n")
    assert len(mac) == 64 and json.loads(payload)  # and its entry was rewritten whole, sealed


def test_no_cache_flag_bypasses(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    pipeline.scan(
        tree,
        installed().scanners.make_config(scanners=("bandit",)),
        cache_dir=tmp_path / "c",
        use_cache=False,
    )
    pipeline.scan(
        tree,
        installed().scanners.make_config(scanners=("bandit",)),
        cache_dir=tmp_path / "c",
        use_cache=False,
    )
    assert len(bandit.calls()) == 2
    assert not (tmp_path / "c").exists()


def test_size_bound(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, max_bytes=2000)
    from secscan.scan.cache import Entry

    for i in range(50):
        cache.put("x", f"{i:064x}", Entry(suppressions=i))
    cache.prune()
    total = sum(p.stat().st_size for p in tmp_path.rglob("*.json"))
    assert total <= 2000


@pytest.mark.integration
def test_semgrep_rule_change_invalidates(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "a.py").write_text("import pickle\npickle.loads(b'')\n")
    rules = tmp_path / "rules.yaml"
    rule = (
        "rules:\n- id: r1\n  pattern: pickle.loads(...)\n  message: m\n"
        "  severity: {sev}\n  languages: [python]\n"
    )
    rules.write_text(rule.format(sev="ERROR"))
    cfg = installed().scanners.make_config(scanners=("semgrep",), semgrep={"rules": (str(rules),)})  # type: ignore[arg-type]
    first = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert [f.severity.value for f in first.findings] == ["high"] and not first.cached
    again = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert again.cached and again.findings == first.findings
    rules.write_text(rule.format(sev="INFO"))
    changed = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert not changed.cached
    assert [f.severity.value for f in changed.findings] == ["info"]


EMPTY_ENTRY = b'{"findings": [], "not_analyzed": [], "suppressions": 0}'


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "bandit").rglob("*.json"))


def test_planted_empty_entries_without_the_key_are_misses(
    tree: Path, tmp_path: Path, bandit, caplog: pytest.LogCaptureFixture
) -> None:
    """issue 12: code run earlier in the CI job wrote schema-valid empty entries, and the
    next scan passed. The entry addresses are public (SHA-256 of path, content, version):
    the attacker computes them from a cache of its own; it only lacks the key."""
    bandit()
    theirs, ours = tmp_path / "attacker-cache", tmp_path / "cache"
    _scan(tree, theirs)  # learns the addresses
    for planted in _entries(theirs):
        target = ours / planted.relative_to(theirs)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(EMPTY_ENTRY)  # the old, unsealed format
    assert not (ours / "cache.key").exists()
    with caplog.at_level(logging.INFO, logger="secscan.scan.cache"):
        assert _scan(tree, ours) == ["a.py", "b.py", "c.py"]  # the real findings
    assert bandit.calls()[-1] == ["a.py", "b.py", "c.py"]  # every file scanned again
    refused = [r.getMessage() for r in caplog.records if "failed verification" in r.getMessage()]
    assert len(refused) == 3
    key = ours / "cache.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_forged_macs_and_moved_entries_are_misses(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    cache = tmp_path / "cache"
    _scan(tree, cache)
    entries = _entries(cache)
    # A guessed MAC in front of an empty entry, and a genuine sealed entry copied to another
    # file's address (the MAC covers the address, not only the bytes).
    entries[0].write_bytes(b"0" * 64 + b"\n" + EMPTY_ENTRY)
    entries[2].write_bytes(entries[1].read_bytes())
    assert _scan(tree, cache) == ["a.py", "b.py", "c.py"]
    assert len(bandit.calls()[-1]) == 2  # exactly the two doctored entries were scanned again
    assert _scan(tree, cache) == ["a.py", "b.py", "c.py"]
    assert len(bandit.calls()) == 2  # the rewritten entries verify: a warm scan runs nothing


def test_a_key_file_others_can_read_or_write_disables_the_cache(
    tree: Path, tmp_path: Path, bandit, caplog: pytest.LogCaptureFixture
) -> None:
    bandit()
    cache = tmp_path / "cache"
    _scan(tree, cache)
    (cache / "cache.key").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="secscan.util.cachedir"):
        assert _scan(tree, cache) == ["a.py", "b.py", "c.py"]
    assert len(bandit.calls()) == 2  # nothing was trusted
    assert any(
        "cache disabled" in r.getMessage() and "0644" in r.getMessage() for r in caplog.records
    )


def test_a_symlinked_key_file_is_not_followed(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    cache = tmp_path / "cache"
    cache.mkdir()
    planted = tmp_path / "planted.key"
    planted.write_bytes(b"k" * 32)
    planted.chmod(0o600)
    (cache / "cache.key").symlink_to(planted)
    _scan(tree, cache)
    _scan(tree, cache)
    assert len(bandit.calls()) == 2 and not _entries(cache)


def test_two_runs_creating_the_key_at_once_agree(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = (
        "import sys, time; from pathlib import Path; from secscan.util.cachedir import Signer\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "print(Signer(Path(sys.argv[1])).key.hex())\n"
    )
    start = str(time.time() + 1.0)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(cache), start], stdout=subprocess.PIPE)
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].decode().strip() for p in procs}
    assert len(keys) == 1 and len(next(iter(keys))) == 64
    assert (cache / "cache.key").read_bytes().hex() in keys
    assert [p.name for p in cache.iterdir()] == ["cache.key"]  # no temporary left behind


def test_a_cache_dir_inside_the_scanned_tree_is_refused(
    tree: Path, bandit, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    bandit()
    with pytest.raises(UsageError, match="inside the scanned tree"):
        pipeline.scan(
            tree,
            installed().scanners.make_config(scanners=("bandit",)),
            cache_dir=tree / ".cache",
        )
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tree / "sub" / "secscan"))
    r = run_cli("scan", str(tree), "--scanner", "bandit", "--output-dir", str(tree.parent / "o"))
    assert r.code == 2 and "inside the scanned tree" in r.err
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tree))
    assert run_cli("scan", str(tree), "--scanner", "bandit").code == 2
    ok = run_cli(
        "scan",
        str(tree),
        "--scanner",
        "bandit",
        "--no-cache",
        "--output-dir",
        str(tree.parent / "o"),
    )
    assert ok.code in (0, 1), ok.err
    assert not (tree / "sub").exists()


def test_scan_v_names_the_refused_entries(
    tree: Path, tmp_path: Path, bandit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real command in its own process, so its stderr is what a CI log would show."""
    bandit()
    cache = tmp_path / "cache"
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(cache))

    def secscan(*extra: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "secscan", "scan", str(tree), "--scanner", "bandit"]
        argv += ["--output-dir", str(tmp_path / "o"), *extra]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    assert secscan().returncode in (0, 1)
    for e in _entries(cache):
        e.write_bytes(EMPTY_ENTRY)
    quiet = secscan()
    assert "failed verification" not in quiet.stderr
    for e in _entries(cache):
        e.write_bytes(EMPTY_ENTRY)
    loud = secscan("-v")
    assert loud.stderr.count("failed verification") == 3, loud.stderr
    assert loud.stdout.count("B999") == 3  # the real findings are back
    for e in _entries(cache):
        e.write_bytes(EMPTY_ENTRY)
    config = tmp_path / "bandit-only.yaml"
    config.write_text("version: 1\nscanners: [bandit]\n")
    argv = [sys.executable, "-m", "secscan", "ci", str(tree), "-v", "--config", str(config)]
    ci = subprocess.run(
        [*argv, "--output-dir", str(tmp_path / "ci")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ci.stderr.count("failed verification") == 3, ci.stderr


def test_a_forged_tool_version_memo_is_ignored(
    tree: Path, tmp_path: Path, bandit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secscan.scanners import base

    bandit("1.0.0")
    cache = tmp_path / "cache"
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(cache))
    monkeypatch.setattr(base, "_VERSIONS", {})
    run = pipeline.scan(tree, installed().scanners.make_config(scanners=("bandit",))).runs[0]
    assert run.tool_version == "1.0.0"
    memo = cache / "tool-versions.json"
    forged = dict.fromkeys(json.loads(memo.read_bytes().partition(b"\n")[2]), "9.9.9")
    memo.write_text(json.dumps(forged))
    monkeypatch.setattr(base, "_VERSIONS", {})
    again = pipeline.scan(tree, installed().scanners.make_config(scanners=("bandit",))).runs[0]
    assert again.tool_version == "1.0.0" and again.cached


def test_cached_findings_keep_the_fingerprints_an_uncached_scan_gives(
    tree: Path, tmp_path: Path, bandit
) -> None:
    bandit()
    config = installed().scanners.make_config(scanners=("bandit",))

    def prints(**kw: object) -> dict[str, str]:
        run = pipeline.scan(tree, config, cache_dir=tmp_path / "cache", **kw).runs[0]  # type: ignore[arg-type]
        return {f.location.path: f.fingerprint for f in run.findings}

    cold = prints()
    (tree / "b.py").write_text("print('b, edited')\n")
    partly = prints()  # a.py and c.py from the cache, b.py scanned
    assert bandit.calls()[-1] == ["b.py"]
    assert partly == prints(use_cache=False)
    assert partly["a.py"] == cold["a.py"] and partly["b.py"] != cold["b.py"]
    assert all(partly.values())


# --- what is and is not cached, at the cache's own interface ---------------------------------


class ScopedTool(ToolScanner):
    """A scanner whose cache scopes the test decides (the tool itself is `run`)."""

    name = "scoped-tool"
    kind = FindingKind.CODE
    executable = "scoped-tool"
    caching = Caching.PER_TARGET

    def __init__(self, scopes: dict[str, tuple[str, ...] | None]) -> None:
        self.scopes = scopes

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...] | None:
        return self.scopes.get(rel, (rel,))


class WholeRunTool(ScopedTool):
    """One entry for the whole run, keyed by every target's scope."""

    caching = Caching.PER_RUN


def _cached_scan(
    tool: ScopedTool, root: Path, cache: ResultCache, outcome: ScanOutcome
) -> tuple[list[tuple[str, ...]], bool]:
    """The targets each tool run was handed, and whether the cache answered any of it."""
    ctx = ScanContext(root, ("a.txt", "b.txt", "c.txt"), installed().scanners.make_config(), 60)
    runs: list[tuple[str, ...]] = []

    def run(c: ScanContext) -> ScanOutcome:
        runs.append(c.targets)
        return outcome

    _, cached = result_cache.scan(tool, ctx, cache, "1", Redactor(root), run)
    return runs, cached


def test_per_target_entries_only_for_targets_whose_scope_can_be_read(tmp_path: Path) -> None:
    """No scope (secscan cannot tell what decides it) or a scope file that cannot be read:
    scanned every time; the other targets come from the cache."""
    root = tmp_path / "proj"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_text(name)
    tool = ScopedTool({"a.txt": None, "c.txt": ("c.txt", "gone.txt")})
    cache = ResultCache(tmp_path / "cache")
    assert _cached_scan(tool, root, cache, ScanOutcome()) == ([("a.txt", "b.txt", "c.txt")], False)
    assert _cached_scan(tool, root, cache, ScanOutcome()) == ([("a.txt", "c.txt")], True)


@pytest.mark.parametrize(
    ("scopes", "outcome"),
    [
        ({"b.txt": None}, ScanOutcome()),  # a target's scope is unknown
        ({"b.txt": ("b.txt", "gone.txt")}, ScanOutcome()),  # a scope file cannot be read
        ({}, ScanOutcome(inputs=("gone.lock",))),  # an input cannot be hashed
        ({}, ScanOutcome(not_analyzed=(NotAnalyzed("a.txt", f"slow{TRANSIENT}"),))),
    ],
)
def test_a_whole_run_is_cached_only_when_every_part_can_be_checked_next_time(
    tmp_path: Path, scopes: dict[str, tuple[str, ...] | None], outcome: ScanOutcome
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_text(name)
    cache = ResultCache(tmp_path / "cache")
    every = [("a.txt", "b.txt", "c.txt")]
    tool = WholeRunTool(scopes)
    assert _cached_scan(tool, root, cache, outcome) == (every, False)
    assert _cached_scan(tool, root, cache, outcome) == (every, False)
    # the same run with every part checkable is answered by the cache the second time
    plain = WholeRunTool({})
    assert _cached_scan(plain, root, cache, ScanOutcome()) == (every, False)
    assert _cached_scan(plain, root, cache, ScanOutcome()) == ([], True)
