"""Write files so that a crash mid-write leaves the old file whole."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from secscan.errors import ReportError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: os.umask can only be read by setting it, which races other threads.
_UMASK = _read_umask()


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename over `path`.

    `durable=False` leaves out the fsync, for files whose loss in a power cut costs only
    time (result-cache entries: authenticated, so a torn one is rescanned, never trusted).
    Readers still see the old file or the new one whole; thousands of fsyncs cost a cold
    Django-size scan ~15 s of waiting on a busy disk.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        # mkstemp makes the file 0600; a report should get the mode any new file would.
        os.fchmod(fd, 0o666 & ~_UMASK)
    except OSError as e:
        raise ReportError(f"cannot write {path}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ReportError(f"cannot write {path}: {e.strerror or e}") from e
