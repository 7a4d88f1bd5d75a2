import os
from pathlib import Path

from secscan.config import Config
from secscan.discovery import discover


def test_walk_skips_defaults_and_user_excludes(tmp_path: Path) -> None:
    for rel in [
        "a.py",
        "pkg/b.py",
        ".git/config",
        "node_modules/x.js",
        "vendor/c.py",
        "secscan-reports/secscan-results.json",
        "pkg/__pycache__/b.pyc",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    fs = discover(tmp_path, Config(exclude=("vendor/",)))
    assert fs.files == ("a.py", "pkg/b.py")


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
