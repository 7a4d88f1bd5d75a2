"""A local OSV mirror: a directory of OSV JSON records, indexed by (ecosystem, package name)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secscan.advisories import matcher
from secscan.advisories.osv import Advisory, InvalidRecordError, parse_advisory, parse_timestamp
from secscan.errors import AdvisoryError, ConfigError, ReportError
from secscan.model.findings import AdvisorySource
from secscan.util import files as _files
from secscan.util import jsonio as _json
from secscan.util.atomic import write_atomic
from secscan.util.cachedir import Signer, default_dir

log = logging.getLogger(__name__)

#: Indexes live in the cache directory, one file per database, named by the database's
#: resolved path: never inside the database, which may be part of a scanned tree (the scan
#: would then write into the tree it judges, and read an index that tree's author wrote).
INDEX_SUBDIR = "advisory-index"
INDEX_VERSION = 2
#: No single OSV record is this large (the biggest PyPI records are ~1 MB of version lists).
MAX_RECORD_BYTES = 16 * 1024 * 1024
#: How many parsed records a long-running server keeps in memory.
CACHE_RECORDS = 4096
#: An import stages its records in `<db>/.secscan-import-*/` (hidden: never read as records).
STAGING_PREFIX = ".secscan-import-"


@dataclass(frozen=True, slots=True)
class StoreInfo:
    location: str
    #: Records that can match (withdrawn ones excluded).
    records: int
    withdrawn: int
    #: (ecosystem, active records that name a package in it), by ecosystem name.
    ecosystems: tuple[tuple[str, int], ...]
    newest_modified: str | None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the index knows of one record file: enough to find it by package or id, and to
    tell whether the file changed since (size, mtime) without reading it."""

    path: str
    size: int
    mtime_ns: int
    id: str
    modified: str
    modified_ts: float
    withdrawn: bool
    keys: tuple[tuple[str, str], ...]

    def to_json(self) -> list[Any]:
        return [
            self.path,
            self.size,
            self.mtime_ns,
            self.id,
            self.modified,
            self.modified_ts,
            self.withdrawn,
            [list(k) for k in self.keys],
        ]

    @classmethod
    def from_json(cls, row: list[Any]) -> IndexEntry:
        path, size, mtime_ns, rid, modified, ts, withdrawn, keys = row
        return cls(
            str(path),
            int(size),
            int(mtime_ns),
            str(rid),
            str(modified),
            float(ts),
            bool(withdrawn),
            tuple((str(e), str(n)) for e, n in keys),
        )


def _entries(root: Path, saved: Mapping[str, IndexEntry]) -> tuple[list[IndexEntry], bool]:
    """Every record's index entry, reusing the saved one of a file unchanged since; and
    whether the saved index is out of date (a file changed, appeared or disappeared)."""
    unseen = dict(saved)
    entries: list[IndexEntry] = []
    bad: list[str] = []
    changed = False
    for rel, size, mtime_ns in _walk(root):
        known = unseen.pop(rel, None)
        if known is not None and known.size == size and known.mtime_ns == mtime_ns:
            entries.append(known)
            continue
        changed = True
        try:
            entries.append(_index_file(root, rel, size, mtime_ns))
        except AdvisoryError as e:
            bad.append(f"{rel}: {e}")
    if bad:
        shown = "\n  ".join(bad[:10])
        more = f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise AdvisoryError(
            f"advisory database {root} holds {len(bad)} unreadable record(s); "
            f"secscan will not scan against an incomplete database:\n  {shown}{more}"
        )
    return entries, changed or bool(unseen)


class AdvisoryStore:
    """Open once per scan (or per server); queries read only the records about one package."""

    def __init__(self, root: Path, entries: Iterable[IndexEntry]) -> None:
        self.root = root
        self._by_key: dict[tuple[str, str], list[IndexEntry]] = defaultdict(list)
        self._by_id: dict[str, IndexEntry] = {}
        for e in sorted(entries, key=lambda e: e.path):
            known = self._by_id.get(e.id)
            # The same id in two files (two exports merged): the newer record wins.
            if known is not None and known.modified_ts >= e.modified_ts:
                continue
            self._by_id[e.id] = e
        for e in self._by_id.values():
            for key in e.keys:
                self._by_key[key].append(e)
        self._cache: OrderedDict[str, Advisory] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        db_dir: Path,
        *,
        write_index: bool = True,
        index_dir: Path | None = None,
        use_index: bool = True,
        known: Mapping[str, IndexEntry] | None = None,
    ) -> AdvisoryStore:
        """Index db_dir (any nesting of *.json), reusing the saved index for unchanged files.

        The index is kept in `index_dir` (default: the cache directory), sealed with the
        cache's key; the database directory is only ever read. `use_index=False` indexes in
        memory and saves nothing.

        A record that does not parse makes the whole database unusable: silently skipping it
        would hide its vulnerabilities (fail closed). `secscan advisories import` never writes one.
        """
        root = Path(db_dir).expanduser()
        if not root.is_dir():
            raise AdvisoryError(
                f"advisory database {root} is not a directory (create one with "
                "`secscan advisories import SRC --db DIR`)"
            )
        root = root.resolve()
        index = _Index(index_dir or default_dir(), root) if use_index else None
        loaded = index.load() if index is not None else {}
        saved = {**loaded, **known} if known else loaded
        entries, changed = _entries(root, saved)
        # Entries handed in (an import's) are new to the saved index even when every file
        # agrees with them: not saving them would make every later open re-read every record.
        changed = changed or any(loaded.get(path) != e for path, e in (known or {}).items())
        if changed and write_index and index is not None:
            index.save(entries)
        return cls(root, entries)

    def candidates(self, ecosystem: str, name: str) -> list[Advisory]:
        """Every active record naming the package, whatever the version (sorted by id)."""
        base, _ = matcher.split_ecosystem(ecosystem)
        key = (base, matcher.normalize_name(base, name))
        found = [self._load(e) for e in self._by_key.get(key, ()) if not e.withdrawn]
        return sorted(found, key=lambda a: a.id)

    def query(self, ecosystem: str, name: str, version: str) -> list[Advisory]:
        """Active records whose ranges contain `version` (sorted by id)."""
        matcher.parse_version(ecosystem, version)  # a bad version is an error even without records
        return [
            a
            for a in self.candidates(ecosystem, name)
            if matcher.is_affected(a, ecosystem, name, version)
        ]

    def get(self, advisory_id: str) -> Advisory | None:
        entry = self._by_id.get(advisory_id)
        return self._load(entry) if entry is not None else None

    def ids(self) -> tuple[str, ...]:
        """Every record id, withdrawn ones included."""
        return tuple(sorted(self._by_id))

    def path_of(self, advisory_id: str) -> str | None:
        """Where a record lives, relative to the database directory."""
        entry = self._by_id.get(advisory_id)
        return entry.path if entry is not None else None

    def info(self) -> StoreInfo:
        counts: dict[str, int] = defaultdict(int)
        active = [e for e in self._by_id.values() if not e.withdrawn]
        for e in active:
            for eco in {k[0] for k in e.keys}:
                counts[eco] += 1
        newest = max(self._by_id.values(), key=lambda e: e.modified_ts, default=None)
        return StoreInfo(
            location=str(self.root),
            records=len(active),
            withdrawn=len(self._by_id) - len(active),
            ecosystems=tuple(sorted(counts.items(), key=lambda kv: kv[0].lower())),
            newest_modified=newest.modified if newest is not None else None,
        )

    def digest(self) -> str:
        """SHA-256 over every record file's path, size, mtime, id and modified time: any
        import, edit or removal changes it (what the result cache keys advisory data by)."""
        h = hashlib.sha256()
        for e in sorted(self._by_id.values(), key=lambda e: e.path):
            h.update(f"{e.path}\0{e.size}\0{e.mtime_ns}\0{e.id}\0{e.modified}\0".encode())
            h.update(b"w" if e.withdrawn else b"a")
        return h.hexdigest()

    def source(self) -> AdvisorySource:
        info = self.info()
        return AdvisorySource(
            kind="local-osv",
            location=info.location,
            newest_modified=info.newest_modified,
            record_count=info.records,
        )

    def _load(self, entry: IndexEntry) -> Advisory:
        with self._lock:
            cached = self._cache.get(entry.path)
            if cached is not None:
                self._cache.move_to_end(entry.path)
                return cached
        advisory = _read_record(self.root, entry.path)
        if advisory.id != entry.id:
            raise AdvisoryError(
                f"advisory database changed while open: {entry.path} now holds {advisory.id}"
            )
        with self._lock:
            self._cache[entry.path] = advisory
            while len(self._cache) > CACHE_RECORDS:
                self._cache.popitem(last=False)
        return advisory


def _walk(root: Path) -> Iterable[tuple[str, int, int]]:
    """(relative POSIX path, size, mtime) of every record file; plain strings, no pathlib:
    this runs over every file on every open."""
    stack = [("", str(root))]
    while stack:
        prefix, current = stack.pop()
        try:
            with os.scandir(current) as it:
                items = list(it)
        except OSError as e:
            raise AdvisoryError(f"cannot list {current}: {e.strerror or e}") from e
        for item in items:
            name = item.name
            if name.startswith("."):
                continue  # our index, editors' temp files, .git
            if item.is_dir(follow_symlinks=False):
                stack.append((f"{prefix}{name}/", item.path))
            elif name.endswith(".json") and item.is_file(follow_symlinks=False):
                st = item.stat(follow_symlinks=False)
                yield prefix + name, st.st_size, st.st_mtime_ns


def _read_record(root: Path, rel: str) -> Advisory:
    path = root / rel
    try:
        # A regular file, never through a link, a FIFO or a device (O_NOFOLLOW, fstat).
        data = _files.read_bytes(path, limit=MAX_RECORD_BYTES)
    except ConfigError as e:
        if not e.message.startswith("is larger than"):
            raise AdvisoryError(f"cannot read {path}: {e.message}") from e
        raise AdvisoryError(
            f"larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB: not an OSV record"
        ) from e
    try:
        raw = _json.loads(data)
    except ValueError as e:
        raise AdvisoryError(f"not JSON: {e}") from e
    try:
        return parse_advisory(raw)
    except InvalidRecordError as e:
        raise AdvisoryError(f"not a valid OSV record: {e}") from e


def index_keys(advisory: Advisory) -> tuple[tuple[str, str], ...]:
    """The (ecosystem base, normalized name) of every package the record names, once each."""
    keys: dict[tuple[str, str], None] = {}
    for a in advisory.affected:
        base = matcher.base_ecosystem(a.ecosystem) or a.ecosystem.partition(":")[0].strip()
        keys[(base, matcher.normalize_name(base, a.name))] = None
    return tuple(keys)


def _index_file(root: Path, rel: str, size: int, mtime_ns: int) -> IndexEntry:
    advisory = _read_record(root, rel)
    return IndexEntry(
        path=rel,
        size=size,
        mtime_ns=mtime_ns,
        id=advisory.id,
        modified=advisory.modified,
        modified_ts=parse_timestamp(advisory.modified).timestamp(),
        withdrawn=advisory.is_withdrawn,
        keys=index_keys(advisory),
    )


class _Index:
    """One database's saved index: `<cache>/advisory-index/<sha256 of its path>.json`,
    `<hex HMAC>\n<json>` like a cache entry, so only this user's secscan could have written
    it (a forged index could call a record withdrawn)."""

    def __init__(self, directory: Path, root: Path) -> None:
        name = hashlib.sha256(str(root).encode()).hexdigest()[:40]
        self.label = f"{INDEX_SUBDIR}/{name}"
        self.path = directory / INDEX_SUBDIR / f"{name}.json"
        self.root = root
        self.signer = Signer(directory)

    def load(self) -> dict[str, IndexEntry]:
        try:
            sealed = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as e:
            log.info("advisory index %s not read (%s); rebuilding it", self.path, e)
            return {}
        payload = self.signer.open(self.label, sealed)
        if payload is None:
            log.info("advisory index %s failed verification; rebuilding it", self.path)
            return {}
        try:
            data = _json.loads(payload)
            if data.get("version") != INDEX_VERSION or data.get("root") != str(self.root):
                return {}
            rows = [IndexEntry.from_json(row) for row in data["entries"]]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            log.warning("ignoring unreadable advisory index %s (%s); rebuilding it", self.path, e)
            return {}
        return {e.path: e for e in rows}

    def save(self, entries: list[IndexEntry]) -> None:
        payload = {
            "version": INDEX_VERSION,
            "root": str(self.root),
            "entries": [e.to_json() for e in sorted(entries, key=lambda e: e.path)],
        }
        sealed = self.signer.seal(self.label, json.dumps(payload, separators=(",", ":")).encode())
        if sealed is None:
            return  # no usable cache key: the database is indexed in memory on every open
        try:
            write_atomic(self.path, sealed, durable=False)
        except ReportError as e:
            log.info("advisory index not saved (%s); the database will be re-read next time", e)
