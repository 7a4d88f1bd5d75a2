"""The redactor's clean-file memo: files without credentials are not tokenised again, files
with one always are, and the memo stores nothing of any credential."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from credentials import pieces

from secscan.model.redact import MASK_PREFIX, Redactor
from secscan.scan.cache import CLEAN_FILES, CleanFiles, ResultCache

ALNUM = string.ascii_letters + string.digits


def _token() -> str:
    return "gh" + "p_" + "".join(secrets.choice(ALNUM) for _ in range(36))


def _tree(tmp_path: Path, token: str) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "plain.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "conf.py").write_text(f'API_TOKEN = "{token}"\n')
    return root


def _everything(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_only_files_without_a_credential_are_remembered_and_nothing_of_it_is_stored(
    tmp_path: Path,
) -> None:
    token = _token()
    root = _tree(tmp_path, token)
    cache = ResultCache(tmp_path / "cache")
    memo = CleanFiles(cache)
    first = Redactor(root, memo=memo)
    assert first.learn_file("plain.py") == {}
    assert first.learn_file("conf.py") != {}
    plain, conf = (root / "plain.py").read_bytes(), (root / "conf.py").read_bytes()
    assert memo.is_clean("plain.py", plain)
    assert not memo.is_clean("conf.py", conf)
    stored = _everything(tmp_path / "cache" / CLEAN_FILES).decode("latin-1").lower()
    assert not [p for p in pieces(token) if p.lower() in stored]


def test_a_remembered_file_is_not_learnt_again_and_a_credential_file_always_is(
    tmp_path: Path,
) -> None:
    token = _token()
    root = _tree(tmp_path, token)
    memo = CleanFiles(ResultCache(tmp_path / "cache"))
    Redactor(root, memo=memo).learn_file("plain.py")
    Redactor(root, memo=memo).learn_file("conf.py")

    asked: list[tuple[str, bool]] = []

    class Spy:
        def is_clean(self, rel: str, content: bytes) -> bool:
            answer = memo.is_clean(rel, content)
            asked.append((rel, answer))
            return answer

        def mark_clean(self, rel: str, content: bytes) -> None:
            memo.mark_clean(rel, content)

    second = Redactor(root, memo=Spy())
    assert second.learn_file("plain.py") == {}
    assert second.learn_file("conf.py") != {}  # learnt again: its credential is masked
    assert asked == [("plain.py", True), ("conf.py", False)]
    masked = second.text(f"the token {token} leaked")
    assert token not in masked and MASK_PREFIX in masked


def test_an_edit_that_adds_a_credential_is_learnt(tmp_path: Path) -> None:
    token = _token()
    root = _tree(tmp_path, token)
    memo = CleanFiles(ResultCache(tmp_path / "cache"))
    Redactor(root, memo=memo).learn_file("plain.py")
    (root / "plain.py").write_text(f'def add(a, b):\n    secret = "{token}"\n    return a + b\n')
    again = Redactor(root, memo=memo)
    assert again.learn_file("plain.py") != {}
    assert token not in again.text(f"x {token} y")
