"""The digests that compare a setting's files between base and head are bounded and fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan.app import settings as judge


def _tree(root: Path, files: int, size: int = 10) -> Path:
    root.mkdir()
    for i in range(files):
        (root / f"r{i}.yaml").write_bytes(b"x" * size)
    return root


def test_same_content_same_digest_and_an_edit_changes_it(tmp_path: Path) -> None:
    a = _tree(tmp_path / "a", 3)
    b = _tree(tmp_path / "b", 3)
    assert judge._digest(a) == judge._digest(b)
    (b / "r1.yaml").write_bytes(b"y" * 10)
    assert judge._digest(a) != judge._digest(b)


def test_a_tree_with_too_many_files_compares_unequal_even_to_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judge, "DIGEST_MAX_FILES", 5)
    big = _tree(tmp_path / "big", 6)
    first, second = judge._digest(big), judge._digest(big)
    assert first.startswith("too-large-to-compare:")
    assert first != second
    assert judge._digest(_tree(tmp_path / "small", 5)) == judge._digest(tmp_path / "small")


def test_a_tree_with_too_many_bytes_compares_unequal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(judge, "DIGEST_MAX_BYTES", 100)
    big = _tree(tmp_path / "big", 3, size=40)
    assert judge._digest(big) != judge._digest(big)
    one = tmp_path / "one.yaml"
    one.write_bytes(b"z" * 101)
    assert judge._digest(one).startswith("too-large-to-compare:")
