"""OSV records parse into validated value objects; every real record in the test data does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secscan.advisories.osv import InvalidRecordError, parse_advisory, parse_timestamp

DATA = Path(__file__).resolve().parents[1] / "data" / "osv" / "PyPI"


def _load(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def test_every_real_record_parses() -> None:
    files = sorted(DATA.glob("*.json"))
    assert len(files) == 265
    parsed = [parse_advisory(json.loads(f.read_text(encoding="utf-8"))) for f in files]
    assert {a.id for a in parsed} == {f.stem for f in files}
    assert sum(a.is_withdrawn for a in parsed) == 1


def test_fields_of_a_real_record() -> None:
    adv = parse_advisory(_load("PYSEC-2023-74"))
    assert adv.id == "PYSEC-2023-74"
    assert "CVE-2023-32681" in adv.aliases
    assert adv.affected[0].ecosystem == "PyPI" and adv.affected[0].name == "requests"
    assert {r.type for r in adv.affected[0].ranges} == {"GIT", "ECOSYSTEM"}
    assert adv.references and adv.references[0].url.startswith("https://")
    assert adv.raw["id"] == "PYSEC-2023-74"  # the server hands out the record unchanged
    assert adv.modified_at.tzinfo is not None


def test_withdrawn_and_severity_are_read() -> None:
    withdrawn = parse_advisory(_load("PYSEC-2022-43059"))
    assert withdrawn.is_withdrawn
    scored = parse_advisory(_load("PYSEC-2023-192"))
    assert scored.severity[0].type == "CVSS_V3"
    assert scored.severity[0].score.startswith("CVSS:3.1/")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("id"), "'id' must be"),
        (lambda r: r.update(id="../../etc/passwd"), "'id' must be"),
        (lambda r: r.pop("modified"), "'modified' is required"),
        (lambda r: r.update(modified="yesterday"), "not an RFC 3339"),
        (lambda r: r.update(affected="django"), "affected must be a list"),
        (lambda r: r["affected"][0].pop("package"), "package must be an object"),
        (lambda r: r["affected"][0]["ranges"][0].update(type="WEIRD"), "type must be ECOSYSTEM"),
        (lambda r: r["affected"][0]["ranges"][0].update(events=[]), "events must not be empty"),
        (
            lambda r: r["affected"][0]["ranges"][0]["events"].append({"patched": "1"}),
            "unknown event",
        ),
        (
            lambda r: r["affected"][0]["ranges"][0]["events"].append({"fixed": 3}),
            "non-empty string",
        ),
        (lambda r: r.update(aliases=[1]), "aliases must be a list of strings"),
    ],
)
def test_invalid_records_name_the_field(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    raw = _load("PYSEC-2023-74")
    mutate(raw)
    with pytest.raises(InvalidRecordError, match=message):
        parse_advisory(raw)


def test_not_an_object() -> None:
    with pytest.raises(InvalidRecordError, match="not a list"):
        parse_advisory([1, 2])


def test_nanosecond_timestamps_from_osv_dev() -> None:
    assert parse_timestamp("2024-01-02T03:04:05.123456789Z").microsecond == 123456
