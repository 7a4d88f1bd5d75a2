"""Every file secscan writes is replaced whole or not at all."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secscan.errors import ReportError
from secscan.util.atomic import write_atomic

WRITER = """
import sys
from pathlib import Path
from secscan.util.atomic import write_atomic
target = Path(sys.argv[1])
print("ready", flush=True)
while True:
    write_atomic(target, "N" * (64 * 1024 * 1024))
"""


def test_killed_writer_leaves_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "secscan-results.json"
    target.write_text("OLD")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        data = target.read_bytes()
        seen.add(data[:3])
        # Whatever moment we look at, the file is either the old one or a whole new one.
        assert data == b"OLD" or (len(data) == 64 * 1024 * 1024 and set(data[:1000]) == {ord("N")})
        if data != b"OLD":
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    final = target.read_bytes()
    assert final == b"OLD" or len(final) == 64 * 1024 * 1024
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != target.name]
    # a killed writer can leave its temp file behind, but never a half-written target
    assert all(name.startswith(".secscan-results.json.") for name in leftovers)


def test_read_only_directory_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions; the tmpfs disk-full test covers root")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(ReportError, match="cannot write"):
        write_atomic(ro / "x.json", "data")


def test_output_dir_that_is_a_file_exits_2(tmp_path: Path, run_cli) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "a.md").write_text("# nothing to scan\n")
    blocker = tmp_path / "out"
    blocker.write_text("I am a file")
    res = run_cli(
        "scan", str(tmp_path / "proj"), "--scanner", "bandit", "--output-dir", str(blocker)
    )
    assert res.code == 2 and "is a file" in res.err
    below = blocker / "reports"
    res = run_cli("scan", str(tmp_path / "proj"), "--scanner", "bandit", "--output-dir", str(below))
    assert res.code == 2
    assert "cannot write" in res.err and str(below) in res.err


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 64 KiB tmpfs: writes past it fail with ENOSPC, like a full disk."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.integration
def test_disk_full_while_writing_reports_exits_2_and_keeps_old_file(
    tmp_path: Path, tiny_disk: Path, run_cli
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    for i in range(60):
        (proj / f"m{i}.py").write_text(f"import subprocess\nsubprocess.call(x{i}, shell=True)\n")
    (tiny_disk / "secscan-results.json").write_text("OLD")
    res = run_cli("scan", str(proj), "--scanner", "bandit", "--output-dir", str(tiny_disk))
    assert res.code == 2, res.err
    assert "cannot write" in res.err and "No space left on device" in res.err
    assert (tiny_disk / "secscan-results.json").read_text() == "OLD"
    assert [p.name for p in tiny_disk.iterdir()] == ["secscan-results.json"]  # no temp file left


def test_written_files_get_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    write_atomic(target, "x")
    old = os.umask(0)
    os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o666 & ~old


def test_cache_entries_skip_the_fsync_reports_keep_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result-cache entry lost in a power cut costs a rescan (it fails its MAC), so it is
    not worth a disk flush each (thousands per cold scan); reports and keys are flushed."""
    import os

    from secscan.scan.cache import Entry, ResultCache
    from secscan.util import atomic as _atomic

    synced: list[int] = []
    monkeypatch.setattr(_atomic.os, "fsync", lambda fd: synced.append(fd))
    cache = ResultCache(tmp_path / "cache")
    assert cache.signer.key is not None and len(synced) == 1  # the new HMAC key is flushed
    cache.put("bandit", "ab" * 32, Entry(findings=(), not_analyzed=(), suppressions=0))
    assert len(synced) == 1
    assert cache.get("bandit", "ab" * 32) is not None
    _atomic.write_atomic(tmp_path / "report.json", "{}")
    assert len(synced) == 2
    assert os.path.getsize(tmp_path / "report.json") == 2
