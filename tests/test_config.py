from pathlib import Path

import pytest

from secscan.app.registry import installed
from secscan.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("version: 1\nsemgrep:\n  rulez: [x]\n", 3, "semgrep.rulez", "unknown key"),
        ("version: 2\n", 1, "version", "newer than this secscan"),
        ("timeout: soon\n", 1, "timeout", "valid number"),
        ("fail_on: bogus\n", 1, "fail_on", "unknown severity"),
        ("formats: [json, pdf]\n", 1, "formats.1", "json"),
        ("scanners: bandit\n", 1, "scanners", "tuple"),
        ("exclude: [\n", None, None, "YAML syntax error"),
    ],
)
def test_bad_config_names_file_line_and_key(tmp_path: Path, text, line, key, words) -> None:
    (tmp_path / ".secscan.yaml").write_text(text)
    with pytest.raises(ConfigError) as e:
        installed().load_config(tmp_path)
    err = e.value
    assert err.path == str(tmp_path / ".secscan.yaml")
    if line is not None:
        assert err.line == line
    assert err.key == key
    assert words in err.diagnostics()


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    (tmp_path / ".secscan.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        installed().load_config(tmp_path)


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.secscan]\nscanners = ["bandit"]\nfail_on = "medium"\n'
    )
    cfg = installed().load_config(tmp_path)
    assert cfg.scanners == ("bandit",)
    assert cfg.fail_on.value == "medium"
    (tmp_path / "pyproject.toml").write_text('[tool.secscan]\nscanner = ["bandit"]\n')
    with pytest.raises(ConfigError) as e:
        installed().load_config(tmp_path)
    assert e.value.key == "scanner" and "pyproject.toml" in (e.value.path or "")


def test_relative_paths_resolve_against_config_dir(tmp_path: Path) -> None:
    (tmp_path / ".secscan.yaml").write_text("advisories:\n  db: advisory-db\n")
    cfg = installed().load_config(tmp_path)
    assert cfg.resolve(cfg.advisories.db) == tmp_path.resolve() / "advisory-db"


def test_cli_bad_config_exit_2(tmp_path: Path, run_cli) -> None:
    (tmp_path / ".secscan.yaml").write_text("bogus: 1\n")
    res = run_cli("scan", str(tmp_path), "--output-dir", str(tmp_path / "out"))
    assert res.code == 2
    assert ".secscan.yaml:1 [bogus]: unknown key" in res.err
