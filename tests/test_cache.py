"""The per-file result cache: each key part invalidates exactly what it should."""

import json
import sys
from pathlib import Path

import pytest

from secscan import pipeline
from secscan.cache import ResultCache
from secscan.config import Config

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
    result = pipeline.scan(root, Config(scanners=("bandit",), **cfg), cache_dir=cache_dir)  # type: ignore[arg-type]
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
    json.loads(victim.read_text())  # and its entry was rewritten whole


def test_no_cache_flag_bypasses(tree: Path, tmp_path: Path, bandit) -> None:
    bandit()
    pipeline.scan(tree, Config(scanners=("bandit",)), cache_dir=tmp_path / "c", use_cache=False)
    pipeline.scan(tree, Config(scanners=("bandit",)), cache_dir=tmp_path / "c", use_cache=False)
    assert len(bandit.calls()) == 2
    assert not (tmp_path / "c").exists()


def test_size_bound(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, max_bytes=2000)
    from secscan.cache import Entry

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
    cfg = Config(scanners=("semgrep",), semgrep={"rules": (str(rules),)})  # type: ignore[arg-type]
    first = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert [f.severity.value for f in first.findings] == ["high"] and not first.cached
    again = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert again.cached and again.findings == first.findings
    rules.write_text(rule.format(sev="INFO"))
    changed = pipeline.scan(root, cfg, cache_dir=tmp_path / "cache").runs[0]
    assert not changed.cached
    assert [f.severity.value for f in changed.findings] == ["info"]
