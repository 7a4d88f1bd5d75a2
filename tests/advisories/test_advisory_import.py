"""Import into a local mirror: OSV's all.zip, directories, single files; hostile input refused."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from secscan.advisories.importer import import_records
from secscan.advisories.store import AdvisoryStore
from secscan.errors import AdvisoryError

DATA = Path(__file__).resolve().parents[1] / "data" / "osv" / "PyPI"
REAL = ["PYSEC-2018-28", "PYSEC-2023-74", "PYSEC-2024-60", "PYSEC-2021-109"]


def _bytes(record_id: str) -> bytes:
    return (DATA / f"{record_id}.json").read_bytes()


def _all_zip(path: Path) -> Path:
    """Laid out like osv.dev's per-ecosystem all.zip: <ID>.json at the top level."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rid in REAL:
            zf.writestr(f"{rid}.json", _bytes(rid))
        zf.writestr("PYSEC-2022-43059.json", _bytes("PYSEC-2022-43059"))  # withdrawn
        zf.writestr("../../outside.json", _bytes("PYSEC-2023-135"))  # zip-slip attempt
        zf.writestr("/etc/abs.json", _bytes("PYSEC-2023-135"))
        broken = json.loads(_bytes("PYSEC-2020-96"))
        del broken["modified"]
        zf.writestr("PYSEC-2020-96.json", json.dumps(broken))
        zf.writestr("garbage.json", b'{"id": "X-1", "affected": [')
        link = zipfile.ZipInfo("link.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("README.txt", b"not a record")
    return path


def test_all_zip_import_keeps_good_records_and_reports_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "db"
    report = import_records(_all_zip(tmp_path / "all.zip"), db)
    assert (report.added, report.updated, report.unchanged, report.withdrawn) == (4, 0, 0, 1)
    rejected = {s.name: s.reason for s in report.rejected}
    assert set(rejected) == {"../../outside.json", "/etc/abs.json", "link.json"}
    assert "path traversal" in rejected["../../outside.json"]
    assert "absolute path" in rejected["/etc/abs.json"]
    assert "symbolic link" in rejected["link.json"]
    invalid = {s.name: s.reason for s in report.invalid}
    assert set(invalid) == {"PYSEC-2020-96.json", "garbage.json"}
    assert "'modified' is required" in invalid["PYSEC-2020-96.json"]
    assert "not JSON" in invalid["garbage.json"]
    # nothing was written outside the database, and records land under their ecosystem
    assert not (tmp_path / "outside.json").exists()
    assert sorted(p.name for p in (db / "PyPI").iterdir()) == sorted(f"{r}.json" for r in REAL)
    assert (db / "PyPI" / "PYSEC-2023-74.json").read_bytes() == _bytes("PYSEC-2023-74")
    assert report.info is not None and report.info.records == 4
    store = AdvisoryStore.open(db)
    assert [a.id for a in store.query("PyPI", "requests", "2.19.0")] == [
        "PYSEC-2018-28",
        "PYSEC-2023-74",
    ]


def test_reimport_is_idempotent_and_updates_changed_records(tmp_path: Path) -> None:
    db = tmp_path / "db"
    src = tmp_path / "src"
    src.mkdir()
    for rid in REAL:
        (src / f"{rid}.json").write_bytes(_bytes(rid))
    assert import_records(src, db).added == 4
    again = import_records(src, db)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    newer = json.loads(_bytes("PYSEC-2024-60"))
    newer["modified"] = "2030-01-01T00:00:00Z"
    (src / "PYSEC-2024-60.json").write_text(json.dumps(newer))
    third = import_records(src, db)
    assert (third.updated, third.unchanged) == (1, 3)
    assert third.info is not None and third.info.newest_modified == "2030-01-01T00:00:00Z"


def test_a_record_withdrawn_upstream_is_removed(tmp_path: Path) -> None:
    db = tmp_path / "db"
    one = tmp_path / "PYSEC-2024-60.json"
    one.write_bytes(_bytes("PYSEC-2024-60"))
    import_records(one, db)
    withdrawn = json.loads(_bytes("PYSEC-2024-60"))
    withdrawn["withdrawn"] = "2031-01-01T00:00:00Z"
    withdrawn["modified"] = "2031-01-01T00:00:00Z"
    one.write_text(json.dumps(withdrawn))
    report = import_records(one, db)
    assert report.withdrawn == 1
    assert not (db / "PyPI" / "PYSEC-2024-60.json").exists()
    assert AdvisoryStore.open(db).query("PyPI", "idna", "2.7") == []


def test_bad_range_versions_are_caught_at_import(tmp_path: Path) -> None:
    record = json.loads(_bytes("PYSEC-2024-60"))
    record["affected"][0]["ranges"] = [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "soon"}]}
    ]
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(record))
    report = import_records(src, tmp_path / "db")
    assert report.added == 0
    assert "not a valid PyPI version" in report.invalid[0].reason


def test_whole_test_snapshot_imports(tmp_path: Path) -> None:
    report = import_records(DATA, tmp_path / "db")
    assert (report.added, report.withdrawn, report.invalid, report.rejected) == (264, 1, [], [])


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "bomb.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BOMB-1.json", b" " * (4 * 1024 * 1024))
    report = import_records(src, tmp_path / "db")
    assert "zip bomb" in report.rejected[0].reason


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryError, match="does not exist"):
        import_records(tmp_path / "nope.zip", tmp_path / "db")
