"""Fleet manifests: validated on load, every mistake at its file and line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan.errors import ConfigError
from secscan.fleet import job, manifest

REPO = Path(__file__).resolve().parents[2]


def _load(tmp_path: Path, text: str) -> manifest.Manifest:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return manifest.load(path, check_settings=job.check_settings)


def test_the_shipped_example_loads_with_its_tags_and_filters() -> None:
    loaded = manifest.load(REPO / "examples" / "fleet.yaml", check_settings=job.check_settings)
    names = [t.name for t in loaded.targets]
    assert names == ["payments-api", "storefront", "legacy-reports"]
    pay, shop, _ = loaded.targets
    assert pay.profile == "release" and shop.profile == "ci"
    assert pay.tags == {
        "org": "example",
        "team": "payments",
        "product": "checkout",
        "criticality": "high",
    }
    assert shop.branch == "develop" and pay.branch == "main"
    assert shop.settings["scanners"] == ["bandit", "semgrep", "secrets", "iac", "pip-audit"]
    assert pay.settings["timeout"] == 900
    # The manifest's own filter leaves the archived repository out.
    assert [t.name for t in manifest.select(loaded)] == ["payments-api", "storefront"]
    assert [t.name for t in manifest.select(loaded, include=["team=web"])] == ["storefront"]


def test_shards_split_the_selection_without_overlap(tmp_path: Path) -> None:
    repos = "\n".join(f"  - url: https://example.com/r{i}.git" for i in range(7))
    loaded = _load(tmp_path, f"version: 1\nrepositories:\n{repos}\n")
    shards = [manifest.select(loaded, shard=(i, 3)) for i in range(3)]
    names = [t.name for s in shards for t in s]
    assert sorted(names) == sorted(t.name for t in loaded.targets)
    assert len(set(names)) == 7
    assert [len(s) for s in shards] == [3, 2, 2]


def test_a_local_path_is_cloned_by_file_url_and_named_as_history_names_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "svc").mkdir()
    loaded = _load(tmp_path, "version: 1\nrepositories:\n  - path: svc\n")
    (t,) = loaded.targets
    assert t.source == (tmp_path / "svc").resolve().as_uri()
    assert t.identity == t.source and t.name == "svc" and t.profile == "ci"
    assert manifest.Target.from_json(t.to_json()) == t


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n    colour: red\n",
            4,
            "unknown key",
        ),
        (
            "version: 1\nrepositories:\n  - url: 'ext::sh -c touch% /tmp/pwned'\n",
            3,
            "other transports can run commands",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://user:tok3n@e.com/a.git\n",
            3,
            "credential helper",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n    path: a\n",
            3,
            "either url or path",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n"
            "    branch: --upload-pack=x\n",
            4,
            "not a branch name",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n    tags: {team: 'a b'}\n",
            4,
            "tag",
        ),
        ("version: 2\nrepositories:\n  - url: https://e.com/a.git\n", 1, "version 1"),
        ("version: 1\nrepositories: []\n", 2, "at least 1"),
        (
            "version: 1\nselect:\n  include: [team]\nrepositories:\n  - url: https://e.com/a.git\n",
            3,
            "key=value",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n"
            "  - url: https://f.com/a.git\n",
            4,
            "used twice",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n    settings:\n"
            "      scanners: [bandit]\n      bandit:\n        colour: red\n",
            7,
            "unknown key",
        ),
        (
            "version: 1\ndefaults:\n  settings:\n    fail_on: never\n"
            "repositories:\n  - url: https://e.com/a.git\n",
            4,
            "fail_on",
        ),
        (
            "version: 1\nrepositories:\n  - url: https://e.com/a.git\n    settings:\n"
            "      base_dir: /\n",
            5,
            "not a setting",
        ),
    ],
)
def test_a_mistake_is_an_error_at_its_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    assert e.value.line == line, e.value.diagnostics()
    assert words in e.value.diagnostics()
    assert e.value.diagnostics().startswith(f"{tmp_path / 'fleet.yaml'}:{line}")


def test_the_command_exits_2_naming_the_line(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    path.write_text("version: 1\nrepositories:\n  - url: git://e.com/a.git\n", encoding="utf-8")
    done = run_cli("fleet", "run", str(path), "--history", f"sqlite:///{tmp_path / 'h.db'}")
    assert done.code == 2
    assert f"{path}:3" in done.err
    assert not (tmp_path / "h.db").exists()  # nothing was opened, let alone cloned
