"""Result cache for scanners: a hit needs every key part unchanged.

The key of an entry is SHA-256 over the cache format, secscan's version and the source of the
scanner's module, the scanner name, the tool version, the scanner's material (rules, options,
tool settings, advisory data digest), the target's path and the paths and contents of every
file the scanner says decides it (a Terraform module's files; every target for a whole-run
entry). Entries are written atomically, so two secscan processes can share the cache; an
entry that does not parse is deleted and the target is scanned again.

Every entry carries an HMAC-SHA256 over its address and bytes, keyed with a secret created
on first use in the cache directory (mode 0600). Code that can write the cache directory but
does not hold the key (a test suite run earlier in the CI job, say) cannot plant an entry, nor
copy a clean file's entry to a flawed file's address: such an entry fails verification, is
deleted, logged (shown with `-v`) and the file is scanned again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from secscan.errors import ConfigError, UsageError
from secscan.util import files as _files

#: The secret that authenticates entries, beside them; never inside a scanned tree.
KEY_FILE = "cache.key"
KEY_BYTES = 32

log = logging.getLogger(__name__)


def default_dir() -> Path:
    override = os.environ.get("SECSCAN_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("secscan"))


def refuse_inside(directory: Path, root: Path) -> None:
    """A cache inside the scanned tree is the tree's to write: refuse it (exit 2)."""
    cache, tree = directory.expanduser().resolve(), root.resolve()
    if cache == tree or cache.is_relative_to(tree):
        raise UsageError(
            f"the cache directory {cache} is inside the scanned tree {tree}: its code could "
            "plant results there. Point SECSCAN_CACHE_DIR outside the tree, or pass --no-cache"
        )


class _KeyFile:
    """The cache's HMAC secret: created once, atomically, 0600; a bad key file disables."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / KEY_FILE

    def load(self) -> bytes | None:
        """The key, creating it on first use; None (cache off) when the file is not ours,
        not private or not a key, so a planted or loosened key is never used."""
        try:
            return self._read()
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("cache disabled: cannot read %s: %s", self.path, e.strerror or e)
            return None
        try:
            self._create()
            return self._read()
        except OSError as e:
            log.warning("cache disabled: cannot create %s: %s", self.path, e.strerror or e)
            return None

    def _read(self) -> bytes | None:
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read(KEY_BYTES + 1)
        problem = None
        if not stat.S_ISREG(st.st_mode):
            problem = "not a regular file"
        elif hasattr(os, "getuid") and st.st_uid != os.getuid():
            problem = "owned by another user"
        elif st.st_mode & 0o077:
            problem = f"readable or writable by others (mode {stat.S_IMODE(st.st_mode):04o})"
        elif len(data) != KEY_BYTES:
            problem = f"not a {KEY_BYTES}-byte key"
        if problem:
            log.warning("cache disabled: the key %s is %s", self.path, problem)
            return None
        return data

    def _create(self) -> None:
        # Written whole under a temporary name, then hard-linked into place: link() fails
        # when the name exists, so of two runs creating the key at once exactly one key
        # wins and both use it; nobody ever reads a half-written key.
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{KEY_FILE}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:  # mkstemp: mode 0600, O_EXCL
                fh.write(os.urandom(KEY_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class Signer:
    """HMAC-SHA256 with the cache directory's key, over a label (the entry's address) and
    the bytes; `None` from `load()` of the key turns every check into a failure."""

    def __init__(self, directory: Path) -> None:
        self._keyfile = _KeyFile(directory)
        self._key: bytes | None = None
        self._loaded = False

    @property
    def key(self) -> bytes | None:
        if not self._loaded:
            self._key = self._keyfile.load()
            self._loaded = True
        return self._key

    def _mac(self, key: bytes, label: str, payload: bytes) -> bytes:
        return hmac.new(key, label.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()

    def seal(self, label: str, payload: bytes) -> bytes | None:
        """`<hex mac>\n<payload>`, or None when there is no usable key (do not write)."""
        key = self.key
        return None if key is None else self._mac(key, label, payload) + b"\n" + payload

    def open(self, label: str, sealed: bytes) -> bytes | None:
        """The payload when its MAC verifies, else None."""
        key = self.key
        mac, sep, payload = sealed.partition(b"\n")
        if key is None or not sep:
            return None
        return payload if hmac.compare_digest(mac, self._mac(key, label, payload)) else None


def hash_files(paths: Iterable[Path]) -> str:
    """Content hash of rule files/directories: any edit to a rule invalidates the cache."""
    h = hashlib.sha256()
    for p in sorted(paths):
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.relative_to(p) if p.is_dir() else f.name).encode())
            try:
                h.update(_files.read_bytes(f))
            except ConfigError as e:  # a link, a device, too large: never read through
                h.update(f"<unreadable: {e.message}>".encode())
    return h.hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def digest_file(path: Path) -> str | None:
    """SHA-256 of a file's content; None when it cannot be read, is a link, a FIFO (which
    would block) or a device (then nothing is cached)."""
    h = hashlib.sha256()
    try:
        with _files.open_regular(path) as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def digest_tree(path: Path) -> str | None:
    """SHA-256 over a file, or over every file under a directory with its relative path
    (an OCI image layout); None when anything in it cannot be read or is a link."""
    if path.is_symlink():
        return None
    if path.is_file():
        return digest_file(path)
    if not path.is_dir():
        return None
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_symlink():
            return None
        if f.is_dir():
            continue
        one = digest_file(f)
        if one is None:
            return None
        h.update(f"{f.relative_to(path).as_posix()}\0{one}\0".encode())
    return h.hexdigest()


def dumps_material(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, default=str)
