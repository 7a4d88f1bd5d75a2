"""A third-party scanner package gets everything a built-in gets, with no edit in `secscan/`.

The package (`tests/data/thirdparty/thirdparty_scanner.py`) is installed the way pip installs
one: its module on sys.path beside a `.dist-info` whose `entry_points.txt` names it under
`secscan.scanners`, which `importlib.metadata` reads.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secscan import scanners
from secscan.app import settings as judge
from secscan.app.registry import installed
from secscan.errors import ConfigError, PolicyError, ToolLockMismatch
from secscan.model.findings import FindingKind, RunStatus, ScannerRun, ScanResult
from secscan.model.results import SavedResults
from secscan.policy.loader import default_catalog, load_policy
from secscan.report import sarif
from secscan.scan import pipeline
from secscan.scanners.base import verified
from secscan.settings.config import Config

PACKAGE = Path(__file__).resolve().parent / "data" / "thirdparty" / "thirdparty_scanner.py"
MODULE = "thirdparty_scanner"
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site-packages"
    site.mkdir()
    shutil.copy(PACKAGE, site / f"{MODULE}.py")
    info = site / "secscan_thirdparty-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: secscan-thirdparty\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[secscan.scanners]\n"
        f"fakeiac = {MODULE}:FakeIacScanner\n"
        f"absenttool = {MODULE}:AbsentToolScanner\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    _forget()
    yield tmp_path
    sys.modules.pop(MODULE, None)
    _forget()


def _forget() -> None:
    """The process's registry is built once: built again with (or without) the plugin."""
    installed.cache_clear()
    scanners.installed.cache_clear()


def test_the_plugin_is_registered_with_what_it_says_about_itself(plugin: Path) -> None:
    reg = installed().scanners.classes
    fake = reg["fakeiac"]
    assert fake.kinds == {FindingKind.IAC, FindingKind.SECRET}
    assert ("fakeiac", "CKV_FAKE_2") in installed().scanners.credential_rules()
    assert ("bandit", "B105") in installed().scanners.credential_rules()


def test_its_config_section_is_validated_with_the_rest(plugin: Path) -> None:
    cfg_file = plugin / ".secscan.yaml"
    cfg_file.write_text("version: 1\nfakeiac:\n  level: 3\n  profiles: [strict]\n")
    cfg = installed().load_config(plugin)
    assert [s.name for s in installed().scanners.build(["fakeiac"])] == ["fakeiac"]
    opts = cfg.section("fakeiac", installed().scanners.classes["fakeiac"].options_model)  # type: ignore[arg-type]
    assert (opts.level, opts.profiles) == (3, ("strict",))  # type: ignore[attr-defined]
    for text, line, key, words in [
        ("version: 1\nfakeiac:\n  level: 9\n", 3, "fakeiac.level", "less than or equal to 5"),
        ("version: 1\nfakeiac:\n  levle: 2\n", 3, "fakeiac.levle", "unknown key"),
        ("version: 1\nfakeiacs:\n  level: 2\n", 2, "fakeiacs", "unknown key"),
    ]:
        cfg_file.write_text(text)
        with pytest.raises(ConfigError) as e:
            installed().load_config(plugin)
        assert (e.value.path, e.value.line, e.value.key) == (str(cfg_file), line, key)
        assert words in e.value.diagnostics()


def test_a_default_scan_leaves_out_a_plugin_whose_tool_is_missing(plugin: Path) -> None:
    defaults = installed().scanners.defaults()
    assert "fakeiac" in defaults and "absenttool" not in defaults
    assert set(installed().scanners.builtins) <= set(
        defaults
    )  # a missing built-in tool still fails a scan
    # asked for by name, it runs and fails as any scanner whose tool is missing
    assert [s.name for s in installed().scanners.build(["absenttool"])] == ["absenttool"]


def test_under_a_tools_lock_an_unpinned_plugin_still_runs_to_fail(
    plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin whose tool is here but not pinned is not quietly left out of a default scan
    (its findings would be missing without a word): it runs, and fails as a lock mismatch."""
    from dataclasses import replace

    from secscan.settings.toollock import LockedTool, ToolLock

    tool = plugin / "bin" / "fakeiac"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho 4.2.0\n")
    monkeypatch.setenv("SECSCAN_TOOL_FAKEIAC", str(tool))
    lock = ToolLock({"bandit": LockedTool(sha256="0" * 64)}, "test.lock")
    held = replace(installed().scanners, tool_lock=lock)
    assert "fakeiac" in held.defaults() and "absenttool" not in held.defaults()
    (fakeiac,) = held.build(["fakeiac"])
    with pytest.raises(ToolLockMismatch, match="names no digest for it"):
        verified(fakeiac, lock)


@pytest.mark.integration  # doctor asks every built-in tool its version
def test_doctor_shows_the_plugin_and_its_status(plugin: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (plugin / ".secscan.yaml").write_text("version: 1\nfakeiac:\n  level: 4\n")
    res = run_cli("doctor", str(plugin))
    lines = res.out.splitlines()
    assert next(x for x in lines if x.startswith("fakeiac ")).split() == [
        "fakeiac",
        "iac",
        "ok",
        "4.2.0",
    ]
    assert next(x for x in lines if x.startswith("absenttool ")).split()[:3] == [
        "absenttool",
        "code",
        "MISSING",
    ]
    at = lines.index("fakeiac policies:")
    assert lines[at + 1].split() == ["bundled", "usable", "level", "4"]
    assert res.code == 0  # a missing third-party tool is shown, not a failure


def test_explain_asks_the_plugin(plugin: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (plugin / ".secscan.yaml").write_text("version: 1\nfakeiac:\n  level: 2\n")
    monkeypatch.chdir(plugin)
    res = run_cli("explain", "CKV_FAKE_1")
    assert res.code == 0, res.err
    assert "bucket is world readable" in res.out
    assert "level 2 check" in res.out  # read with the plugin's own config section
    assert "fakeiac's rule table" in res.out


def test_sarif_tool_info_comes_from_the_plugin(plugin: Path) -> None:
    runs = (
        ScannerRun("fakeiac", FindingKind.IAC, RunStatus.OK, tool_version="4.2.0"),
        ScannerRun("bandit", FindingKind.CODE, RunStatus.OK, tool_version="1.9.4"),
    )
    result = ScanResult(root="/src", started_at=NOW, secscan_version="0", runs=runs)
    data = json.loads(sarif.render(SavedResults(result, None), NOW))
    driver = next(r for r in data["runs"] if r["tool"]["driver"]["name"] == "fakeiac")
    assert driver["tool"]["driver"]["fullName"] == "Fake IaC Checker 4.2.0 (via secscan)"
    assert driver["tool"]["driver"]["informationUri"] == "https://example.org/fakeiac"
    bandit = next(r for r in data["runs"] if r["tool"]["driver"]["name"] == "bandit")
    assert bandit["tool"]["driver"]["informationUri"] == "https://bandit.readthedocs.io/"


MAPPING = """\
version: 1
rules:
  - id: fake-{n}
    match: {match}
    controls: [iso27001-2022:A.8.9]
    rationale: because
"""


def _mapping(tmp_path: Path, match: str) -> Path:
    user = tmp_path / "policy"
    (user / "mappings").mkdir(parents=True, exist_ok=True)
    (user / "mappings" / "fake.yaml").write_text(MAPPING.format(n=1, match=match))
    return user


def test_policy_rule_ids_and_check_ids_are_validated_by_the_plugin(plugin: Path) -> None:
    catalog = default_catalog()
    ok = "{kinds: [iac], scanners: [fakeiac], rules: [CKV_FAKE_1]}"
    load_policy(_mapping(plugin, ok), catalog=catalog)
    with pytest.raises(PolicyError, match="fakeiac has no rule like 'CKV_FAKE_9'"):
        load_policy(
            _mapping(plugin, "{kinds: [iac], scanners: [fakeiac], rules: [CKV_FAKE_9]}"),
            catalog=catalog,
        )
    # a checkov-style id under `checks:` is valid once a scanner that emits it says so
    load_policy(
        _mapping(plugin, "{kinds: [iac], checks: [CKV_AWS_20, CKV2_AWS_*]}"), catalog=catalog
    )
    with pytest.raises(PolicyError) as e:
        load_policy(_mapping(plugin, "{kinds: [iac], checks: [sql-injection]}"), catalog=catalog)
    assert "not a trivy check id" in str(e.value) and "not a fakeiac check id" in str(e.value)
    # the kinds it declares, not one kind: its secret findings can be mapped too
    load_policy(_mapping(plugin, "{kinds: [secret], scanners: [fakeiac]}"), catalog=catalog)


def test_without_the_plugin_its_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not a trivy check id"):
        load_policy(
            _mapping(tmp_path, "{kinds: [iac], checks: [CKV_AWS_20]}"), catalog=default_catalog()
        )


def test_a_plugin_cannot_take_over_a_builtin_or_its_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    shutil.copy(PACKAGE, site / f"{MODULE}.py")
    shutil.copy(PACKAGE.with_name("hijack_scanner.py"), site / "hijack_scanner.py")
    info = site / "secscan_hijack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: secscan-hijack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[secscan.scanners]\nhijacker = hijack_scanner:SectionHijacker\n"
        f"bandit = {MODULE}:FakeIacScanner\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    _forget()
    try:
        reg = installed().scanners.classes
        assert "hijacker" not in reg
        assert reg["bandit"].__module__ == "secscan.scanners.bandit"
        assert "hijacker" in caplog.text and "registered twice" in caplog.text
        assert "the name belongs to a built-in" in caplog.text
        (tmp_path / ".secscan.yaml").write_text("version: 1\nbandit:\n  skip: true\n")
        with pytest.raises(ConfigError) as e:
            installed().load_config(tmp_path)  # still bandit's own model: a list of test ids
        assert e.value.key == "bandit.skip"
    finally:
        sys.modules.pop(MODULE, None)
        sys.modules.pop("hijack_scanner", None)
        _forget()


# --- the trust comparison and scopes ask the plugin too ------------------------------------

BASE_CONFIG = "version: 1\nscanners: [fakeiac]\nfakeiac:\n  level: 3\n"


def _side(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _trusted(plugin: Path, base: dict[str, str], head: dict[str, str]) -> judge.Trusted:
    return judge.trusted(
        _side(plugin / "head", head),
        _side(plugin / "base", base),
        scanner_names=["fakeiac"],
        catalog=default_catalog(),
    )


def _level(config: Config) -> int:
    model = installed().scanners.classes["fakeiac"].options_model
    assert model is not None
    level: int = config.section("fakeiac", model).level  # type: ignore[attr-defined]
    return level


def test_the_plugin_says_which_changes_of_its_options_weaken(plugin: Path) -> None:
    lowered = _trusted(
        plugin, {".secscan.yaml": BASE_CONFIG}, {".secscan.yaml": BASE_CONFIG.replace("3", "1")}
    )
    assert [(w.setting, w.message, w.line) for w in lowered.weakenings] == [
        ("fakeiac.level", "fakeiac looks less hard: level 3 to 1", 4)  # the `level:` line
    ]
    assert _level(lowered.config) == 3  # judged with the base's level
    raised = _trusted(
        plugin, {".secscan.yaml": BASE_CONFIG}, {".secscan.yaml": BASE_CONFIG.replace("3", "5")}
    )
    assert raised.weakenings == ()
    assert _level(raised.config) == 5  # a strengthening applies at once


def test_options_the_plugin_says_nothing_about_fail_closed(plugin: Path) -> None:
    """fakeiac leaves `profiles` to the default; absenttool says nothing about any option."""
    head = (
        BASE_CONFIG
        + "  profiles: [lenient]\n"
        + "absenttool:\n  mode: quick\n  depth: 1\n  token: s3cret-value-123\n"
    )
    chosen = _trusted(plugin, {".secscan.yaml": BASE_CONFIG}, {".secscan.yaml": head})
    assert [(w.setting, w.message) for w in chosen.weakenings] == [
        ("absenttool.mode", "absenttool.mode changed"),
        ("absenttool.depth", "absenttool.depth changed from 3 to 1"),
        ("absenttool.token", "absenttool.token changed"),
        ("fakeiac.profiles", "fakeiac.profiles changed"),
    ]
    assert "s3cret" not in " ".join(w.message for w in chosen.weakenings)
    model = installed().scanners.classes["absenttool"].options_model
    assert model is not None
    assert chosen.config.section("absenttool", model) == model()  # the base's, unchanged


def test_a_file_an_option_names_is_compared_by_content(plugin: Path) -> None:
    config = BASE_CONFIG + "  checks_file: checks.yml\n"
    base = {".secscan.yaml": config, "checks.yml": "checks: [all]\n"}
    same = _trusted(plugin, base, dict(base))
    assert same.weakenings == ()
    edited = _trusted(plugin, base, {".secscan.yaml": config, "checks.yml": "checks: []\n"})
    assert [(w.setting, w.message) for w in edited.weakenings] == [
        ("fakeiac.checks_file", "fakeiac.checks_file: the content of a file it names changed")
    ]


def test_the_plugin_s_scope_exemption_drops_its_finding_in_test_code(plugin: Path) -> None:
    root = _side(
        plugin / "tree",
        {
            ".secscan.yaml": "version: 1\nscanners: [fakeiac]\n",
            "main.tf": 'resource "x" "y" {}\n',
            "tests/fixture.tf": 'resource "x" "y" {}\n',
        },
    )
    result = pipeline.scan(root, installed().load_config(root), use_cache=False)
    (run,) = result.runs
    assert run.status is RunStatus.OK, run.error
    assert [(f.rule_id, f.location.path) for f in run.findings] == [("CKV_FAKE_1", "main.tf")]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)


def test_a_pr_lowering_the_plugin_s_level_fails_its_gate(  # type: ignore[no-untyped-def]
    plugin: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hostile PR: `ci --new-since main` in a real git repo, with the plugin installed."""
    repo = _side(plugin / "repo", {".secscan.yaml": BASE_CONFIG, "main.tf": "# empty\n"})
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "dev@example.com")
    _git(repo, "config", "user.name", "Dev")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "pr")
    (repo / ".secscan.yaml").write_text(BASE_CONFIG.replace("3", "1"))
    (repo / "main.tf").write_text('resource "x" "y" {}\n')
    _git(repo, "commit", "-q", "-am", "pr")
    monkeypatch.chdir(repo)
    out = plugin / "reports"

    ran = run_cli("ci", "--new-since", "main", "--output-dir", str(out), "--no-cache")

    assert ran.code == 1, ran.out + ran.err
    data = json.loads((out / "secscan-results.json").read_text())
    policy = [f for r in data["result"]["runs"] for f in r["findings"] if f["kind"] == "policy"]
    assert [(f["rule_id"], f["message"]) for f in policy] == [
        ("weakened-setting:fakeiac.level", "fakeiac looks less hard: level 3 to 1")
    ]
    reasons = {r["rule"] for r in data["decision"]["reasons"]}
    assert "weakened-settings" in reasons
    fake = next(r for r in data["result"]["runs"] if r["scanner"] == "fakeiac")
    assert fake["rulesets"] == ["level-3"]  # the changed file was scanned at the base's level
