"""Import OSV records into a local mirror: from a directory, one JSON file, or OSV's all.zip.

A directory may be a checkout of an advisory database in OSV format: the PyPA
advisory-database (`vulns/<package>/PYSEC-*.yaml`, OSV written as YAML) or the GitHub
advisory-database (`advisories/github-reviewed/<year>/<month>/GHSA-*/GHSA-*.json`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secscan.advisories import matcher
from secscan.advisories.osv import Advisory, InvalidRecordError, parse_advisory
from secscan.advisories.store import (
    MAX_RECORD_BYTES,
    STAGING_PREFIX,
    AdvisoryStore,
    IndexEntry,
    StoreInfo,
    index_keys,
)
from secscan.errors import AdvisoryError, ConfigError, ReportError
from secscan.util import files as _files
from secscan.util import jsonio as _json
from secscan.util.atomic import write_atomic

_SAFE_DIR = re.compile(r"[^A-Za-z0-9._-]+")
#: File names read as OSV records; YAML is converted to the JSON the store keeps.
RECORD_SUFFIXES = (".json", ".yaml", ".yml")
#: What an import looks for, said when it finds nothing.
LOOKED_FOR = (
    "OSV records: *.json, *.yaml or *.yml files in a directory tree (the PyPA "
    "advisory-database's vulns/<package>/*.yaml, the GitHub advisory-database's "
    "advisories/**/GHSA-*.json, an OSV bucket download), OSV's all.zip, or one JSON "
    "file holding a record or a list of records"
)
#: A zip entry that inflates past this ratio is a bomb, not an advisory export.
MAX_COMPRESSION_RATIO = 200
#: Every entry may be small and under the ratio and the whole still fill the disk and memory
#: (staged records are kept on disk until all are validated): an archive inflates to at most
#: this much.
MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024
MAX_ARCHIVE_ENTRIES = 1_000_000


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Withdrawn records are not imported; a copy already in the database is removed.
    withdrawn: int = 0
    #: Records that failed validation: reported, never written; the others are kept.
    invalid: list[Skipped] = field(default_factory=list)
    #: Archive members refused before reading (path traversal, links, bombs).
    rejected: list[Skipped] = field(default_factory=list)
    #: Files (or archive members, or list items) read as candidate records.
    candidates: int = 0
    info: StoreInfo | None = None

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged


def import_records(src: Path, db: Path) -> ImportReport:
    """Validate every record in src and write the good ones to db/<ecosystem>/<id>.json.

    Streaming: records are read, validated and staged one at a time (the newest of each id in
    a scratch SQLite file inside `db`, named by id, found in O(log n)); memory does not grow
    with the number of records read, only with the database's index (what every scan holds).
    All or nothing: nothing in `db` changes until every record was read; a refused archive, a
    read error or an interruption before then leaves the database as it was. Only then are the
    staged records written, each file atomically, and the index entries the store would
    otherwise rebuild by re-reading every file are handed to it.

    Member names from an archive are only ever reported, never used as paths: a record's file
    name comes from its validated id, so a hostile archive cannot write outside `db`.
    """
    src = Path(src).expanduser()
    if not src.exists():
        raise AdvisoryError(f"import source {src} does not exist")
    db = Path(db).expanduser()
    try:
        db.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AdvisoryError(f"cannot create advisory database {db}: {e.strerror or e}") from e
    existing = AdvisoryStore.open(db)
    report = ImportReport()
    try:
        scratch = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=db))
    except OSError as e:
        raise AdvisoryError(f"cannot write to advisory database {db}: {e.strerror or e}") from e
    try:
        with _Staging(scratch / "staged.sqlite") as staging:
            for name, payload in _sources(src, report):
                report.candidates += 1
                _stage(staging, name, payload, report)
            fresh = _commit(db, existing, staging, report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.info = AdvisoryStore.open(db, known=fresh).info()
    return report


class _Staging:
    """The newest valid record of each id read so far, on disk: a scratch SQLite file whose
    primary key finds an id in O(log n), whatever the number of records."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8192"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE staged (id TEXT PRIMARY KEY, stamp REAL NOT NULL, rel TEXT NOT NULL,"
            " modified TEXT NOT NULL, keys TEXT NOT NULL, withdrawn INTEGER NOT NULL,"
            " payload BLOB NOT NULL)"
        )
        self._db.execute("BEGIN")

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def stamp(self, advisory_id: str) -> float | None:
        row = self._db.execute("SELECT stamp FROM staged WHERE id = ?", (advisory_id,)).fetchone()
        return None if row is None else float(row[0])

    def put(self, advisory: Advisory, stamp: float, payload: bytes) -> None:
        keys = json.dumps(index_keys(advisory), separators=(",", ":"))
        rel = f"{_ecosystem_dir(advisory)}/{advisory.id}.json"
        self._db.execute(
            "INSERT OR REPLACE INTO staged VALUES (?, ?, ?, ?, ?, ?, ?)",
            (advisory.id, stamp, rel, advisory.modified, keys, advisory.is_withdrawn, payload),
        )

    def rows(self) -> Iterator[tuple[str, float, str, str, str, bool, bytes]]:
        """Every staged record, by id, one at a time."""
        self._db.execute("COMMIT")
        for rid, stamp, rel, modified, keys, withdrawn, payload in self._db.execute(
            "SELECT id, stamp, rel, modified, keys, withdrawn, payload FROM staged ORDER BY id"
        ):
            yield rid, stamp, rel, modified, keys, bool(withdrawn), payload


def _stage(staging: _Staging, name: str, payload: bytes, report: ImportReport) -> None:
    """Validate one record and stage it unless a newer one of its id is staged already."""
    checked = _validate(name, payload, report)
    if checked is None:
        return
    advisory, raw = checked
    if name.endswith((".yaml", ".yml")):
        payload = _dump(raw)  # the store holds JSON
    stamp = advisory.modified_at.timestamp()
    known = staging.stamp(advisory.id)
    if known is None or stamp >= known:
        staging.put(advisory, stamp, payload)


def _commit(
    db: Path, existing: AdvisoryStore, staging: _Staging, report: ImportReport
) -> dict[str, IndexEntry]:
    """Write every staged record over its current file (db-relative) or as a new one; a
    withdrawn record removes its file. Returns the index entries of the files written."""
    fresh: dict[str, IndexEntry] = {}
    made: set[Path] = set()
    for rid, stamp, rel, modified, keys, withdrawn, payload in staging.rows():
        current = existing.path_of(rid)
        if withdrawn:
            report.withdrawn += 1
            if current is not None:
                _remove(db / current)
            continue
        target = db / (current or rel)
        if current is not None and _same(target, payload):
            report.unchanged += 1
            continue
        if target.parent not in made:
            _mkdir(target.parent)
            made.add(target.parent)
        size, mtime_ns = _place(target, payload)
        if current is None:
            report.added += 1
        else:
            report.updated += 1
        path = current or rel
        fresh[path] = IndexEntry(path, size, mtime_ns, rid, modified, stamp, False, _keys(keys))
    return fresh


def _place(target: Path, payload: bytes) -> tuple[int, int]:
    """Write the record beside its target and rename it over `target` (the atomic writer):
    readers see the old file or the new one. No fsync per file (200,000 of them are most of
    an import's time on a busy disk): a power cut mid-import can leave a record unreadable,
    and the database then refuses to open (fail closed) until it is imported again. Returns
    the size and mtime the index keeps."""
    try:
        write_atomic(target, payload, durable=False)
    except ReportError as e:
        raise AdvisoryError(str(e)) from e
    try:
        st = target.stat()
    except OSError as e:
        raise AdvisoryError(f"cannot read back {target}: {e.strerror or e}") from e
    return st.st_size, st.st_mtime_ns


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AdvisoryError(f"cannot create {path}: {e.strerror or e}") from e


def _keys(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(eco), str(name)) for eco, name in json.loads(text))


def _sources(src: Path, report: ImportReport) -> Iterator[tuple[str, bytes]]:
    if src.is_dir():
        yield from _from_dir(src, report)
    elif zipfile.is_zipfile(src):
        yield from _from_zip(src, report)
    else:
        yield from _from_json_file(src, report)


def _from_dir(src: Path, report: ImportReport) -> Iterator[tuple[str, bytes]]:
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in sorted(filenames):
            if not fname.endswith(RECORD_SUFFIXES) or fname.startswith("."):
                continue
            path = Path(dirpath) / fname
            rel = path.relative_to(src).as_posix()
            if path.is_symlink():
                report.rejected.append(Skipped(rel, "symbolic link: not followed"))
                continue
            data = _read_limited(path, rel, report)
            if data is not None:
                yield rel, data


def _from_json_file(src: Path, report: ImportReport) -> Iterator[tuple[str, bytes]]:
    data = _read_limited(src, src.name, report)
    if data is None:
        return
    try:
        parsed = _json.loads(data)
    except ValueError as e:
        report.invalid.append(Skipped(src.name, f"not JSON: {e}"))
        return
    if isinstance(parsed, list):  # a JSON list of records (what some exports write)
        for i, item in enumerate(parsed):
            yield f"{src.name}[{i}]", _dump(item)
    else:
        yield src.name, data


def _from_zip(src: Path, report: ImportReport) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as e:
        raise AdvisoryError(f"cannot open {src} as a zip archive: {e}") from e
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_ENTRIES:
            raise AdvisoryError(
                f"{src}: {len(members)} archive entries, more than {MAX_ARCHIVE_ENTRIES}: "
                "refused as a zip bomb"
            )
        declared = sum(i.file_size for i in members if not i.is_dir())
        if declared > MAX_ARCHIVE_BYTES:
            raise AdvisoryError(_too_big(src, declared))
        inflated = 0
        for info in members:
            name = info.filename
            if info.is_dir():
                continue
            unsafe = _unsafe_member(info)
            if unsafe:
                report.rejected.append(Skipped(name, unsafe))
                continue
            if not name.endswith(RECORD_SUFFIXES):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                report.invalid.append(Skipped(name, f"larger than {MAX_RECORD_BYTES} bytes"))
                continue
            try:
                with archive.open(info) as fh:
                    data = fh.read(MAX_RECORD_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as e:
                report.invalid.append(Skipped(name, f"cannot extract: {e}"))
                continue
            # Declared sizes can lie: what was really inflated counts too.
            inflated += len(data)
            if inflated > MAX_ARCHIVE_BYTES:
                raise AdvisoryError(_too_big(src, inflated))
            if len(data) > MAX_RECORD_BYTES:
                report.invalid.append(Skipped(name, f"larger than {MAX_RECORD_BYTES} bytes"))
                continue
            yield name, data


def _too_big(src: Path, size: int) -> str:
    return (
        f"{src}: the archive inflates to more than {MAX_ARCHIVE_BYTES} bytes ({size} or more): "
        "refused as a zip bomb; nothing was imported"
    )


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = name.split("/")  # what a path would be made of (PurePosixPath's parts, cheaper)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path in archive: rejected (zip-slip)"
    if ".." in parts:
        return "path traversal ('..') in archive member name: rejected (zip-slip)"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link in archive: rejected"
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return f"compression ratio above {MAX_COMPRESSION_RATIO}:1: rejected as a zip bomb"
    return None


def _read_limited(path: Path, name: str, report: ImportReport) -> bytes | None:
    try:
        # A regular file, never through a link, a FIFO or a device (O_NOFOLLOW, fstat).
        return _files.read_bytes(path, limit=MAX_RECORD_BYTES)
    except ConfigError as e:
        if e.message.startswith("is larger than"):
            report.invalid.append(Skipped(name, f"larger than {MAX_RECORD_BYTES} bytes"))
        else:
            report.invalid.append(Skipped(name, f"cannot read: {e.message}"))
        return None


def _validate(name: str, payload: bytes, report: ImportReport) -> tuple[Advisory, Any] | None:
    try:
        raw = _yaml_record(payload) if name.endswith((".yaml", ".yml")) else _json.loads(payload)
    except ValueError as e:
        report.invalid.append(Skipped(name, f"not {_format_of(name)}: {e}"))
        return None
    try:
        advisory = parse_advisory(raw)
        _check_versions(advisory)
    except AdvisoryError as e:
        report.invalid.append(Skipped(name, str(e)))
        return None
    return advisory, raw


def _check_versions(advisory: Advisory) -> None:
    """Catch at import what would otherwise fail a scan: range bounds that are not versions."""
    for entry in advisory.affected:
        base = matcher.base_ecosystem(entry.ecosystem)
        if base is None:
            continue  # an ecosystem secscan cannot order: kept, and refused only if queried
        for rng in entry.ranges:
            if rng.type == "GIT":
                continue
            for ev in rng.events:
                if ev.version in ("0", "*", ""):
                    continue
                # Uncached: a cache of every bound of 200,000 records is memory, not speed.
                problem = matcher.range_version_problem(rng.type, base, ev.version)
                if problem is not None:
                    raise InvalidRecordError(
                        f"{ev.kind} {ev.version!r}: {problem}", record_id=advisory.id
                    )


def _format_of(name: str) -> str:
    return "YAML" if name.endswith((".yaml", ".yml")) else "JSON"


def _yaml_record(payload: bytes) -> Any:
    """An OSV record written as YAML, with every scalar kept as text.

    The base loader builds no Python objects (no tags, no timestamps), and an unquoted
    version such as `fixed: 1.10` stays "1.10" instead of becoming the float 1.1.
    """
    try:
        return yaml.load(payload.decode("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ValueError(str(e).splitlines()[0] if str(e) else type(e).__name__) from e


def _ecosystem_dir(advisory: Advisory) -> str:
    eco = advisory.affected[0].ecosystem.partition(":")[0] if advisory.affected else "_none"
    return _SAFE_DIR.sub("_", eco).strip("._") or "_none"


def _same(path: Path, payload: bytes) -> bool:
    try:
        return path.stat().st_size == len(payload) and path.read_bytes() == payload
    except OSError:
        return False


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        raise AdvisoryError(f"cannot remove withdrawn record {path}: {e.strerror or e}") from e


def _dump(item: Any) -> bytes:
    return (json.dumps(item, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
