"""Per-file result cache for file-local scanners: a hit needs every key part unchanged.

The key of a file's entry is SHA-256 over the scanner name, the tool version, the scanner's
rule-set/config material, the file's path and its content (plus any files whose content the
scanner says affects it). Entries are written atomically, so two secscan processes can share
the cache; an entry that does not parse is deleted and the file is scanned again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from pydantic import TypeAdapter, ValidationError

from secscan._atomic import write_atomic
from secscan.errors import ReportError
from secscan.findings import Finding, NotAnalyzed

CACHE_FORMAT = 1
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    findings: tuple[Finding, ...] = ()
    not_analyzed: tuple[NotAnalyzed, ...] = ()
    suppressions: int = 0


_ENTRY = TypeAdapter(Entry)


def default_dir() -> Path:
    override = os.environ.get("SECSCAN_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("secscan"))


def hash_files(paths: Iterable[Path]) -> str:
    """Content hash of rule files/directories: any edit to a rule invalidates the cache."""
    h = hashlib.sha256()
    for p in sorted(paths):
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.relative_to(p) if p.is_dir() else f.name).encode())
            try:
                h.update(f.read_bytes())
            except OSError:
                h.update(b"<unreadable>")
    return h.hexdigest()


class ResultCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def key(
        self, scanner: str, tool_version: str, material: str, path: str, contents: Sequence[bytes]
    ) -> str:
        # The path is part of the key: cached findings carry their location, so two files with
        # the same content must not share an entry.
        h = hashlib.sha256()
        for part in (f"v{CACHE_FORMAT}", scanner, tool_version, material, path):
            h.update(part.encode())
            h.update(b"\0")
        for blob in contents:
            h.update(hashlib.sha256(blob).digest())
        return h.hexdigest()

    def _path(self, scanner: str, key: str) -> Path:
        return self.directory / scanner / key[:2] / f"{key}.json"

    def get(self, scanner: str, key: str) -> Entry | None:
        path = self._path(scanner, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            return _ENTRY.validate_json(data)
        except (ValidationError, ValueError):
            # A torn or tampered entry is never trusted: drop it and scan again.
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def put(self, scanner: str, key: str, entry: Entry) -> None:
        with contextlib.suppress(ReportError):  # a cache that cannot be written is only slower
            write_atomic(self._path(scanner, key), _ENTRY.dump_json(entry))

    def prune(self) -> None:
        """Keep the cache under max_bytes, dropping the least recently written entries."""
        entries = []
        total = 0
        for p in self.directory.rglob("*.json"):
            with contextlib.suppress(OSError):
                st = p.stat()
                entries.append((st.st_mtime, st.st_size, p))
                total += st.st_size
        if total <= self.max_bytes:
            return
        for _, size, p in sorted(entries):
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
            if total <= self.max_bytes * 0.8:
                break


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def dumps_material(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, default=str)
