"""A tool executable's identity: its resolved path, SHA-256 and, where pip installed it, the
distribution whose RECORD lists it (and that RECORD's own SHA-256).

Hashed once per process per executable: the memo is keyed by the resolved path, its inode,
mtime and size, so a binary swapped in place (a new inode, or new mtime/size) is hashed
again. Nothing here runs the tool: the digest is known before anything executes it
(secscan/settings/toollock.py compares it with the lock).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from dataclasses import dataclass
from importlib.metadata import Distribution, PathDistribution
from pathlib import Path

__all__ = ["ToolIdentity", "identify", "is_sha256", "sha256_file"]


@dataclass(frozen=True, slots=True)
class ToolIdentity:
    """Which file a scanner's tool was: recorded with every run and in the tools lock."""

    #: The executable, links resolved.
    path: str
    #: SHA-256 of its content, hex.
    sha256: str
    #: The distribution whose RECORD lists it (pip installed it), else None.
    distribution: str | None = None
    distribution_version: str | None = None
    #: SHA-256 of that distribution's RECORD file (the hashes of every file it installed).
    record_sha256: str | None = None
    #: Whether the RECORD's hash of the executable equals the file's (False: changed since
    #: pip installed it).
    record_matches: bool | None = None


_CHUNK = 1024 * 1024
_MEMO: dict[tuple[str, int, int, int], ToolIdentity] = {}
_LOCK = threading.Lock()
_HASHING: dict[tuple[str, int, int, int], threading.Lock] = {}


def is_sha256(value: object) -> bool:
    """Whether `value` is a SHA-256 as we write them: 64 lower-case hex digits."""
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def sha256_file(path: Path) -> str:
    """The file's SHA-256, hex, read in chunks (a trivy binary is ~150 MB)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def identify(executable: str) -> ToolIdentity:
    """The identity of the file `executable` names (links resolved). Raises OSError when it
    cannot be read."""
    real = Path(os.path.realpath(executable))
    st = real.stat()
    key = (str(real), st.st_ino, st.st_mtime_ns, st.st_size)
    with _LOCK:
        # One lock per executable: the three scanners sharing one binary hash it once.
        mine = _HASHING.setdefault(key, threading.Lock())
    with mine:
        hit = _MEMO.get(key)
        if hit is not None:
            return hit
        digest = sha256_file(real)
        record = _recorded(Path(os.path.abspath(executable)), real, digest)
        found = ToolIdentity(
            path=str(real),
            sha256=digest,
            distribution=record.distribution if record else None,
            distribution_version=record.version if record else None,
            record_sha256=record.record_sha256 if record else None,
            record_matches=record.matches if record else None,
        )
        _MEMO[key] = found
        return found


@dataclass(frozen=True, slots=True)
class _Record:
    distribution: str
    version: str
    record_sha256: str
    #: Whether the RECORD's hash of the executable equals the file's.
    matches: bool


def _recorded(named: Path, real: Path, digest: str) -> _Record | None:
    """The distribution in the executable's environment whose RECORD lists it, if any.

    A console script sits in PREFIX/bin (named path, before links are resolved); a binary a
    wheel ships (trivy's) sits inside site-packages: both are looked up in the
    site-packages of the prefix they belong to.
    """
    for candidate in dict.fromkeys((named, real)):
        for site in _sites(candidate):
            found = _in_site(site, candidate, digest)
            if found is not None:
                return found
    return None


def _sites(path: Path) -> list[Path]:
    """site-packages folders that could have installed `path`: its prefix's, or the one it
    lies in."""
    out = []
    for parent in path.parents:
        if parent.name == "site-packages":
            out.append(parent)
            break
    prefix = path.parent.parent
    out.extend(sorted(prefix.glob("lib/python3*/site-packages")))
    return list(dict.fromkeys(out))


def _in_site(site: Path, path: Path, digest: str) -> _Record | None:
    try:
        infos = sorted(e.path for e in os.scandir(site) if e.name.endswith(".dist-info"))
    except OSError:
        return None
    rel = os.path.relpath(path, site).replace(os.sep, "/")
    needle = (rel + ",").encode()
    for info in infos:
        try:  # a plain byte search first: parsing every RECORD cost 40-100 ms per tool
            if needle not in (Path(info) / "RECORD").read_bytes():
                continue
        except OSError:
            continue
        dist: Distribution = PathDistribution(Path(info))
        for f in dist.files or ():
            if f.as_posix() != rel:
                continue
            record = Path(info) / "RECORD"
            try:
                record_sha = sha256_file(record)
            except OSError:
                return None
            name = dist.metadata["Name"] if dist.metadata else None
            recorded = f.hash.value if f.hash is not None and f.hash.mode == "sha256" else None
            ours = base64.urlsafe_b64encode(bytes.fromhex(digest)).rstrip(b"=").decode()
            return _Record(
                distribution=str(name or Path(info).name.split("-")[0]),
                version=str(dist.version),
                record_sha256=record_sha,
                matches=recorded == ours,
            )
    return None
