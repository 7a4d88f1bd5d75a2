"""A scan writes nothing into the tree it scans: not an index, not a cache, not a temporary
file. The scanned tree is the judged party's; a file we leave there changes the next scan
(one more file), and a read-only checkout must scan as well as a writable one."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from secscan.model import results
from secscan.model.findings import RunStatus

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "vulnerable-shop"

Snapshot = dict[str, tuple[int, int, str]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under root (directories too): mode, mtime and SHA-256 of a file's bytes
    or of a link's target. A file created and removed again still changes its directory's
    mtime."""
    out: Snapshot = {".": (os.lstat(root).st_mode, os.lstat(root).st_mtime_ns, "")}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                digest = os.readlink(path)
            else:
                digest = ""
            out[path.relative_to(root).as_posix()] = (st.st_mode, st.st_mtime_ns, digest)
    return out


def read_only_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    for dirpath, dirnames, filenames in os.walk(dst):
        for name in [*filenames, *dirnames, ""]:
            path = Path(dirpath, name)
            if not path.is_symlink():
                path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    return dst


@pytest.fixture(params=["writable", "read-only"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A writable copy shows any write (a read-only one would refuse it, but not to root);
    a read-only copy must scan as well."""
    if request.param == "writable":
        yield shutil.copytree(EXAMPLE, tmp_path / "shop", symlinks=True)
        return
    root = read_only_copy(EXAMPLE, tmp_path / "shop")
    yield root
    for dirpath, _, _ in os.walk(root):  # let pytest clean up
        Path(dirpath).chmod(0o755)


@pytest.mark.integration
def test_scanning_a_tree_with_an_advisory_db_leaves_it_byte_identical(
    tree: Path, tmp_path: Path, run_cli
) -> None:
    before = snapshot(tree)
    assert "advisory-db" in before  # the example carries its OSV mirror (advisories.db)
    codes = []
    for n in ("cold", "warm"):  # the second scan reads the indexes and caches the first wrote
        out = tmp_path / f"reports-{n}"
        res = run_cli("scan", str(tree), "--output-dir", str(out))
        codes.append(res.code)
        saved = results.loads((out / "secscan-results.json").read_text())
        # every scanner ran clean (the image scanner, with no image named, is skipped)
        failed = [(r.scanner, r.error) for r in saved.result.runs if r.status is RunStatus.ERROR]
        assert failed == []
        assert {r.scanner for r in saved.result.runs if r.status is RunStatus.OK} >= {
            "bandit", "semgrep", "pip-audit", "iac", "secrets"
        }  # fmt: skip
        assert snapshot(tree) == before, n
    assert codes == [1, 1]  # the example's planted flaws fail the gate, both times alike
