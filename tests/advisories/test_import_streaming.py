"""The importer streams: memory per record read is the index entry it keeps, not the record;
an import that stops before every record was read leaves the database as it was."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from secscan.advisories import importer
from secscan.advisories.importer import import_records
from secscan.advisories.store import STAGING_PREFIX, AdvisoryStore

NPM = Path(__file__).resolve().parents[1] / "data" / "osv-ecosystems" / "npm"

#: Measured in a child so that nothing this test process holds counts: tracemalloc starts
#: after the imports, and the peak is what the import itself allocated.
_CHILD = """
import sys, tracemalloc
from pathlib import Path
from secscan.advisories.importer import import_records
import secscan.advisories.store, secscan.advisories.matcher
tracemalloc.start()
report = import_records(Path(sys.argv[1]), Path(sys.argv[2]))
print(report.added, tracemalloc.get_traced_memory()[1])
"""


def _npm_zip(path: Path, n: int) -> Path:
    """n records cloned from the real npm records with new ids and names (OSV's all.zip)."""
    templates = [json.loads(p.read_text()) for p in sorted(NPM.glob("*.json"))]
    templates = [t for t in templates if not t.get("withdrawn")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            rec = copy.deepcopy(templates[i % len(templates)])
            rec["id"] = f"GHSA-test-{i:06d}"
            for entry in rec["affected"]:
                entry["package"] = {"ecosystem": "npm", "name": f"pkg-{i // 3}"}
            zf.writestr(f"{rec['id']}.json", json.dumps(rec))
    return path


def _peak(tmp_path: Path, n: int) -> int:
    src = _npm_zip(tmp_path / f"all-{n}.zip", n)
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", _CHILD, str(src), str(tmp_path / f"db-{n}")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    added, peak = done.stdout.split()
    assert int(added) == n
    return int(peak)


def test_memory_per_record_is_an_index_entry_not_the_record(tmp_path: Path) -> None:
    # A parsed npm record is ~16 KiB of Python objects: the importer that held every record
    # until all were read grew by 16.5 KiB a record here (N=1000 -> 4N: 16.7 -> 66.2 MB).
    # Streaming keeps only what the store's index needs (path, id, modified, package keys)
    # and zipfile's central directory: about 2 KiB a record. 6 KiB is the line between.
    n = 600
    small, large = _peak(tmp_path, n), _peak(tmp_path, 4 * n)
    per_record = (large - small) / (3 * n)
    assert per_record < 6 * 1024, (small, large, per_record)
    assert large < 2.5 * small + 4 * 1024 * 1024, (small, large)


def _snapshot(db: Path) -> dict[str, bytes]:
    return {p.relative_to(db).as_posix(): p.read_bytes() for p in db.rglob("*") if p.is_file()}


def test_an_import_interrupted_before_the_last_record_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    first = import_records(_npm_zip(tmp_path / "first.zip", 5), db)
    assert first.added == 5
    before = _snapshot(db)
    # The second export holds those five records again and ten more; Ctrl-C at its 8th.
    second = tmp_path / "second.zip"
    _npm_zip(second, 15)
    validate = importer._validate
    seen: list[str] = []

    def interrupted(name: str, payload: bytes, report: importer.ImportReport) -> object:
        seen.append(name)
        if len(seen) == 8:
            raise KeyboardInterrupt
        return validate(name, payload, report)

    monkeypatch.setattr(importer, "_validate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_records(second, db)
    assert _snapshot(db) == before
    assert not any(p.name.startswith(STAGING_PREFIX) for p in db.iterdir())
    monkeypatch.setattr(importer, "_validate", validate)
    report = import_records(second, db)
    assert (report.added, report.unchanged) == (10, 5)
    assert not any(p.name.startswith(STAGING_PREFIX) for p in db.iterdir())
    assert len(AdvisoryStore.open(db).ids()) == 15


def test_duplicate_ids_keep_the_newest_and_no_record_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = (json.loads(p.read_text()) for p in sorted(NPM.glob("*.json")))
    record = next(r for r in records if not r.get("withdrawn"))
    older, newer = copy.deepcopy(record), copy.deepcopy(record)
    older["modified"], newer["modified"] = "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    (src / "a" / "x.json").write_text(json.dumps(newer))
    (src / "b" / "x.json").write_text(json.dumps(older))  # read second, older: not kept
    db = tmp_path / "db"
    # The importer hands the store the entries of the files it wrote: the index (and the
    # report's counts) cost no second read of any record.
    from secscan.advisories import store as store_module

    def no_read(*args: object) -> object:
        raise AssertionError("a record was read again after the import")

    monkeypatch.setattr(store_module, "_read_record", no_read)
    report = import_records(src, db)
    assert (report.candidates, report.added) == (2, 1)
    assert report.info is not None and report.info.records == 1
    stored = json.loads(next(db.rglob("*.json")).read_text())
    assert stored["modified"] == "2030-01-01T00:00:00Z"
    # ... and the import saved that index: a scan (which never writes one) reads no record
    # to open the database (it re-read all 200,000 on every scan when the import left the
    # index unsaved).
    assert AdvisoryStore.open(db, write_index=False).ids() == (record["id"],)
    monkeypatch.undo()
    assert AdvisoryStore.open(db).ids() == (record["id"],)
