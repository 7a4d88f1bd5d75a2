import os
from pathlib import Path

from secscan.settings.config import Config
from secscan.workspace.discovery import CACHEDIR_SIGNATURE, DEFAULT_EXCLUDES, discover


def _tree(root: Path, rels: list[str]) -> None:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")


def test_walk_skips_defaults_and_user_excludes(tmp_path: Path) -> None:
    # Each default exclude carries the marker of what it is (markers are part of the fixture
    # since defaults apply only to the real thing).
    _tree(
        tmp_path,
        [
            "a.py",
            "pkg/b.py",
            ".git/HEAD",
            ".git/config",
            "node_modules/.package-lock.json",
            "node_modules/x.js",
            "vendor/c.py",
            "secscan-reports/secscan-results.json",
            "pkg/__pycache__/b.pyc",
        ],
    )
    fs = discover(tmp_path, Config(exclude=("vendor/",)))
    assert fs.files == ("a.py", "pkg/b.py")
    assert {e.path: e.reason.split(" (")[0] for e in fs.excluded} == {
        ".git": "version-control data",
        "node_modules": "installed Node packages",
        "pkg/__pycache__": "Python bytecode cache",
        "secscan-reports": "secscan's own reports",
        "vendor": "excluded by the config: 'vendor/'",
    }


def test_default_excludes_apply_only_to_what_they_are_meant_for(tmp_path: Path) -> None:
    """A package named `venv` in the app, a hand-made node_modules, a fake cache: scanned."""
    _tree(
        tmp_path,
        [
            "app/venv/__init__.py",
            ".venv/pyvenv.cfg",
            ".venv/lib/site.py",
            "node_modules/evil.js",
            "web/node_modules/left-pad/package.json",
            "web/node_modules/left-pad/index.js",
            ".mypy_cache/hidden.py",
            ".pytest_cache/CACHEDIR.TAG",
            ".pytest_cache/v/x",
            "__pycache__/loader.py",
            "secscan-reports/secscan-results.json",
            "secscan-reports/payload.py",
            ".git/config",
        ],
    )
    (tmp_path / ".ruff_cache").mkdir()
    (tmp_path / ".ruff_cache" / "CACHEDIR.TAG").write_bytes(CACHEDIR_SIGNATURE + b"\n")
    (tmp_path / ".ruff_cache" / "x.py").write_text("x")
    fs = discover(tmp_path, Config())
    assert fs.files == (
        ".git/config",
        ".mypy_cache/hidden.py",
        ".pytest_cache/CACHEDIR.TAG",  # the tag is not the signed one
        ".pytest_cache/v/x",
        "__pycache__/loader.py",
        "app/venv/__init__.py",
        "node_modules/evil.js",
        "secscan-reports/payload.py",
        "secscan-reports/secscan-results.json",
    )
    assert [(e.path, e.reason) for e in fs.excluded] == [
        (".ruff_cache", "tool cache (CACHEDIR.TAG)"),
        (".venv", "Python virtual environment (pyvenv.cfg)"),
        ("web/node_modules", "installed Node packages (package.json in the packages)"),
    ]


def test_config_excludes_are_listed_by_directory_and_file(tmp_path: Path) -> None:
    _tree(tmp_path, ["a.py", "gen/x/y.py", "gen/z.py", "lib/a.min.js", "lib/b.js"])
    fs = discover(tmp_path, Config(exclude=("gen/", "*.min.js"), source="/cfg/.secscan.yaml"))
    assert fs.files == ("a.py", "lib/b.js")
    assert [(e.path, e.reason) for e in fs.excluded] == [
        ("gen", "excluded by the config in /cfg/.secscan.yaml: 'gen/'"),
        ("lib/a.min.js", "excluded by the config in /cfg/.secscan.yaml: '*.min.js'"),
    ]


def test_explicit_files_under_an_excluded_directory_are_listed(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, ["a.py", ".venv/pyvenv.cfg", ".venv/lib/x.py", "venv/y.py"])
    monkeypatch.chdir(tmp_path)
    fs = discover(tmp_path, Config(), [".venv/lib/x.py", "venv/y.py", "a.py"])
    assert fs.files == ("a.py", "venv/y.py")
    assert [e.path for e in fs.excluded] == [".venv"]


def test_include_limits_the_set(tmp_path: Path) -> None:
    for rel in ["src/a.py", "docs/b.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert discover(tmp_path, Config(include=("src/",))).files == ("src/a.py",)


def test_symlinks_are_not_followed_and_outside_ones_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "pkg").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.py").write_text("x")
    (root / "pkg" / "real.py").write_text("x")
    os.symlink(outside / "secret.py", root / "leak.py")
    os.symlink(outside, root / "leakdir")
    os.symlink(root / "pkg" / "real.py", root / "alias.py")  # inside: the target is scanned anyway
    os.symlink(root / "loop", root / "loop")
    fs = discover(root, Config())
    assert fs.files == ("pkg/real.py",)
    reasons = {s.path: s.reason for s in fs.skipped}
    assert "outside the scan root" in reasons["leak.py"]
    assert "outside the scan root" in reasons["leakdir"]
    assert "looping" in reasons["loop"]
    assert "alias.py" not in reasons


def test_large_files_are_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_bytes(b"#" * (2 * 1024 * 1024))
    (tmp_path / "small.py").write_text("x")
    fs = discover(tmp_path, Config(max_file_size_mb=1))
    assert fs.files == ("small.py",)
    assert fs.skipped[0].path == "big.py" and "max_file_size_mb" in fs.skipped[0].reason


def test_explicit_files_stay_inside_root_and_honour_excludes(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.py").write_text("x")
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "b.py").write_text("x")
    monkeypatch.chdir(tmp_path)
    fs = discover(
        tmp_path, Config(exclude=("gen/",)), ["a.py", "gen/b.py", "deleted.py", "/etc/passwd"]
    )
    assert fs.files == ("a.py",)
    assert [s.path for s in fs.skipped] == ["/etc/passwd"]


def _git(cwd: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_a_marker_leaves_out_only_what_git_does_not_track(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        [
            "app/venv/pyvenv.cfg",
            "app/venv/tracked.py",
            "app/node_modules/.package-lock.json",
            "app/node_modules/lib.js",
            ".mypy_cache/x.json",
            "secscan-reports/secscan-results.json",
        ],
    )
    (tmp_path / ".mypy_cache" / "CACHEDIR.TAG").write_bytes(CACHEDIR_SIGNATURE + b"\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "--force", "app/venv/tracked.py", "app/node_modules/lib.js")
    _tree(tmp_path, ["app/venv/untracked.py"])

    found = discover(tmp_path, Config())

    assert found.files == ("app/node_modules/lib.js", "app/venv/tracked.py")
    reasons = {e.path: e.reason for e in found.excluded}
    assert reasons["app/venv"].endswith("untracked files only (the tracked ones are scanned)")
    assert reasons[".mypy_cache"] == "tool cache (CACHEDIR.TAG)"  # nothing tracked in it
    # Explicit files (ci --new-since) are judged the same way.
    given = [str(tmp_path / p) for p in ("app/venv/tracked.py", "app/venv/untracked.py")]
    assert discover(tmp_path, Config(), given).files == ("app/venv/tracked.py",)


def test_without_git_markers_apply_as_before(tmp_path: Path) -> None:
    _tree(tmp_path, ["a.py", "venv/pyvenv.cfg", "venv/x.py"])
    assert discover(tmp_path, Config()).files == ("a.py",)


#: Every default exclusion with the marker that makes it the real thing and its reason.
MARKED = {
    ".git/": (".git/HEAD", "version-control data (.git/HEAD)"),
    ".hg/": (".hg/requires", "version-control data (.hg/requires)"),
    ".svn/": (".svn/wc.db", "version-control data (.svn/wc.db)"),
    "node_modules/": ("node_modules/.yarn-integrity", "installed Node packages (.yarn-integrity)"),
    ".venv/": (".venv/pyvenv.cfg", "Python virtual environment (pyvenv.cfg)"),
    "venv/": ("venv/pyvenv.cfg", "Python virtual environment (pyvenv.cfg)"),
    "__pycache__/": ("__pycache__/m.cpython-311.pyc", "Python bytecode cache (only .pyc files)"),
    ".tox/": (".tox/py311/pyvenv.cfg", "tox environments (pyvenv.cfg)"),
    ".nox/": (".nox/tests/pyvenv.cfg", "nox environments (pyvenv.cfg)"),
    ".mypy_cache/": (".mypy_cache/CACHEDIR.TAG", "tool cache (CACHEDIR.TAG)"),
    ".pytest_cache/": (".pytest_cache/CACHEDIR.TAG", "tool cache (CACHEDIR.TAG)"),
    ".ruff_cache/": (".ruff_cache/CACHEDIR.TAG", "tool cache (CACHEDIR.TAG)"),
    "secscan-reports/": (
        "secscan-reports/secscan-results.json",
        "secscan's own reports (secscan-results.json, report files only)",
    ),
}


def test_every_default_exclusion_needs_its_marker(tmp_path: Path) -> None:
    """Each name of DEFAULT_EXCLUDES is left out, with its reason, only beside its marker."""
    assert set(MARKED) == set(DEFAULT_EXCLUDES)
    for n, (marker, reason) in enumerate(MARKED.values()):
        name = marker.split("/")[0]
        real, fake = tmp_path / f"real{n}", tmp_path / f"fake{n}"
        _tree(real, [marker])
        if marker.endswith("CACHEDIR.TAG"):
            (real / marker).write_bytes(CACHEDIR_SIGNATURE + b"\n")
        _tree(fake, [f"{name}/code.py"])
        fs = discover(real, Config())
        assert [(e.path, e.reason) for e in fs.excluded] == [(name, reason)], name
        assert fs.files == ()
        assert discover(fake, Config()).files == (f"{name}/code.py",), name


def test_directory_links_and_names_that_are_not_utf8(tmp_path: Path) -> None:
    """A folder link inside the root is not followed (its target is walked where it is); a
    folder link out of the root the config excludes is excluded by the config; a folder or
    file whose name is not UTF-8 is not analyzed, shown with escapes."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "pkg").mkdir(parents=True)
    outside.mkdir()
    (outside / "x.py").write_text("x")
    (root / "pkg" / "real.py").write_text("x")
    os.symlink(root / "pkg", root / "alias")
    os.symlink(outside, root / "third_party")
    odd = os.fsencode(root) + b"/odd\xff"
    os.mkdir(odd)
    with open(odd + b"/in.py", "w") as fh:
        fh.write("x")
    with open(os.fsencode(root) + b"/pkg/f\xfe.py", "w") as fh:
        fh.write("x")
    fs = discover(root, Config(exclude=("third_party/",)))
    assert fs.files == ("pkg/real.py",)
    excluded = {e.path: e.reason for e in fs.excluded}
    assert excluded["alias"].startswith("symbolic link inside the scan root: not followed")
    assert excluded["third_party"] == "excluded by the config: 'third_party/'"
    assert {s.path: s.reason for s in fs.skipped} == {
        "odd\\xff": "file name is not valid UTF-8: not scanned (rename it)",
        "pkg/f\\xfe.py": "file name is not valid UTF-8: not scanned (rename it)",
    }
