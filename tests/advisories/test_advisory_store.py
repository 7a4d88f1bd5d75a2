"""The local mirror: indexed lookups, a persisted index, fail-closed on a broken record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from secscan.advisories import store as store_mod
from secscan.advisories.store import INDEX_SUBDIR, AdvisoryStore
from secscan.errors import AdvisoryError
from secscan.util.cachedir import default_dir

DATA = Path(__file__).resolve().parents[1] / "data" / "osv" / "PyPI"

# Worked out independently of secscan's matcher: a short script read every record in
# tests/data/osv/PyPI with `json` and `packaging.version.Version` only, skipped withdrawn
# records, kept affected entries with ecosystem PyPI and the PEP 503 name, and counted a
# record when the version equals an entry of `versions` or lies in [introduced, fixed) of
# an ECOSYSTEM range (introduced "0" = from the start; no last_affected/limit occur there).
DJANGO_3_2_0 = [
    "PYSEC-2021-109", "PYSEC-2021-439", "PYSEC-2021-7", "PYSEC-2021-8", "PYSEC-2021-98",
    "PYSEC-2021-99", "PYSEC-2022-1", "PYSEC-2022-19", "PYSEC-2022-190", "PYSEC-2022-191",
    "PYSEC-2022-2", "PYSEC-2022-20", "PYSEC-2022-213", "PYSEC-2022-245", "PYSEC-2022-3",
    "PYSEC-2022-304", "PYSEC-2023-100", "PYSEC-2023-12", "PYSEC-2023-13", "PYSEC-2023-222",
    "PYSEC-2023-225", "PYSEC-2023-226", "PYSEC-2023-61", "PYSEC-2024-28", "PYSEC-2024-47",
]  # fmt: skip
REQUESTS_2_19_0 = ["PYSEC-2018-28", "PYSEC-2023-74"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    target = tmp_path / "db"
    shutil.copytree(DATA, target / "PyPI")
    return target


def test_query_matches_the_independent_oracle(db: Path) -> None:
    store = AdvisoryStore.open(db)
    assert [a.id for a in store.query("PyPI", "django", "3.2.0")] == sorted(DJANGO_3_2_0)
    assert [a.id for a in store.query("PyPI", "Django", "3.2")] == sorted(DJANGO_3_2_0)
    assert [a.id for a in store.query("PyPI", "requests", "2.19.0")] == REQUESTS_2_19_0
    assert store.query("PyPI", "requests", "2.32.3") == []
    assert store.query("PyPI", "no-such-package", "1.0") == []


def test_withdrawn_records_are_never_returned(db: Path) -> None:
    store = AdvisoryStore.open(db)
    assert all(a.id != "PYSEC-2022-43059" for a in store.candidates("PyPI", "aiohttp"))
    info = store.info()
    assert (info.records, info.withdrawn) == (264, 1)
    assert info.ecosystems == (("PyPI", 264),)
    assert info.newest_modified == "2024-10-08T19:19:01.400873Z"
    src = store.source()
    assert (src.kind, src.record_count, src.newest_modified) == (
        "local-osv",
        264,
        info.newest_modified,
    )


def test_get_by_id(db: Path) -> None:
    store = AdvisoryStore.open(db)
    adv = store.get("PYSEC-2023-74")
    assert adv is not None and adv.affected[0].name == "requests"
    assert store.get("PYSEC-0000-0") is None


def test_reopen_uses_the_saved_index_and_reads_no_record(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _listing(db)
    AdvisoryStore.open(db)
    assert _listing(db) == files  # the database is only read: its index is in the cache
    assert len(list((default_dir() / INDEX_SUBDIR).glob("*.json"))) == 1
    reads: list[str] = []
    real = store_mod._read_record
    monkeypatch.setattr(
        store_mod, "_read_record", lambda root, rel: reads.append(rel) or real(root, rel)
    )
    store = AdvisoryStore.open(db)
    assert reads == []
    store.query("PyPI", "requests", "2.19.0")
    # only the five requests records are read to answer a requests query
    assert sorted(reads) == sorted(
        f"PyPI/{f.name}" for f in DATA.glob("*.json") if '"name": "requests"' in f.read_text()
    )


def _listing(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (
            p.read_bytes() if p.is_file() else b"",
            p.stat().st_mtime_ns,
        )
        for p in sorted(root.rglob("*"))
    }


def _withdrawn_index(db: Path, store: AdvisoryStore) -> dict[str, object]:
    """An index as a tree's author would plant it: every record of db, each called withdrawn."""
    rows = []
    for rid in store.ids():
        rel = store.path_of(rid)
        assert rel is not None
        st = (db / rel).stat()
        rows.append([rel, st.st_size, st.st_mtime_ns, rid, "2020-01-01T00:00:00Z", 0.0, True,
                     [["PyPI", "requests"]]])  # fmt: skip
    return {"version": 2, "root": str(db.resolve()), "entries": rows}


def test_an_index_not_written_by_this_secscan_is_ignored(db: Path) -> None:
    store = AdvisoryStore.open(db, use_index=False)
    forged = json.dumps(_withdrawn_index(db, store))
    # in the database, where secscan kept it before (a scanned tree can hold one) ...
    (db / ".secscan-index.json").write_text(forged)
    assert [a.id for a in AdvisoryStore.open(db).query("PyPI", "requests", "2.19.0")] == (
        REQUESTS_2_19_0
    )
    # ... and over the real one in the cache, without the cache's key
    (index,) = (default_dir() / INDEX_SUBDIR).glob("*.json")
    index.write_text("0" * 64 + "\n" + forged)
    assert [a.id for a in AdvisoryStore.open(db).query("PyPI", "requests", "2.19.0")] == (
        REQUESTS_2_19_0
    )


def test_without_the_index_nothing_is_saved(db: Path) -> None:
    store = AdvisoryStore.open(db, use_index=False)
    assert not (default_dir() / INDEX_SUBDIR).exists()
    assert [a.id for a in store.query("PyPI", "requests", "2.19.0")] == REQUESTS_2_19_0


def test_index_follows_added_changed_and_removed_files(db: Path) -> None:
    AdvisoryStore.open(db)
    (db / "PyPI" / "PYSEC-2023-74.json").unlink()
    assert [a.id for a in AdvisoryStore.open(db).query("PyPI", "requests", "2.19.0")] == [
        "PYSEC-2018-28"
    ]
    extra = {
        "id": "LOCAL-1",
        "modified": "2030-01-01T00:00:00Z",
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "requests"}, "versions": ["2.19.0"]}
        ],
    }
    (db / "nested" / "deeper").mkdir(parents=True)
    (db / "nested" / "deeper" / "LOCAL-1.json").write_text(json.dumps(extra))
    store = AdvisoryStore.open(db)
    assert [a.id for a in store.query("PyPI", "requests", "2.19.0")] == ["LOCAL-1", "PYSEC-2018-28"]
    assert store.info().newest_modified == "2030-01-01T00:00:00Z"


def test_a_broken_record_fails_the_whole_database(db: Path) -> None:
    (db / "PyPI" / "broken.json").write_text('{"id": "X", "affected": [tru')
    with pytest.raises(AdvisoryError, match=r"(?s)1 unreadable record.*broken\.json: not JSON"):
        AdvisoryStore.open(db)


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryError, match="is not a directory"):
        AdvisoryStore.open(tmp_path / "nope")


def test_read_only_database_still_opens(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secscan.errors import ReportError

    def refuse(path: Path, data: str | bytes, *, durable: bool = True) -> None:
        raise ReportError("read-only file system")

    monkeypatch.setattr(store_mod, "write_atomic", refuse)
    store = AdvisoryStore.open(db)
    assert not (default_dir() / INDEX_SUBDIR).exists()
    assert [a.id for a in store.query("PyPI", "requests", "2.19.0")] == REQUESTS_2_19_0


def test_unknown_ecosystem_query_raises(db: Path) -> None:
    with pytest.raises(AdvisoryError, match="unknown ecosystem"):
        AdvisoryStore.open(db).query("CPAN", "Moose", "1.0")
