"""The OSV matcher on real records of every language ecosystem (tests/data/osv-ecosystems),
checked against a second, simple implementation written here: each range read as intervals
[introduced, fixed) / [introduced, last_affected] under `limit`, the `versions` lists taken
literally, versions ordered by python-semver (npm, crates.io, Go, SEMVER ranges) or as plain
dotted numbers (Maven, NuGet, Packagist, RubyGems) — never by univers, which the matcher uses.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import semver

from secscan.advisories import matcher
from secscan.advisories.importer import import_records
from secscan.advisories.osv import parse_advisory
from secscan.advisories.store import AdvisoryStore

DATA = Path(__file__).resolve().parents[1] / "data" / "osv-ecosystems"
SEMVER_ECOSYSTEMS = ("npm", "crates.io", "Go")
NUMERIC_ECOSYSTEMS = ("Maven", "NuGet", "Packagist", "RubyGems")
_NUMERIC = re.compile(r"^\d+(\.\d+)*$")


def _records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(DATA.rglob("*.json"))]


def _semver_key(text: str) -> Any:
    try:
        return semver.Version.parse(text)
    except ValueError:
        return None


def _numeric_key(text: str) -> Any:
    if not _NUMERIC.match(text):
        return None
    parts = [int(x) for x in text.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _key_for(ecosystem: str, range_type: str) -> Callable[[str], Any]:
    return _semver_key if range_type == "SEMVER" or ecosystem in SEMVER_ECOSYSTEMS else _numeric_key


def _second_opinion(entry: dict[str, Any], ecosystem: str, version: str) -> bool | None:
    """Affected?, or None when this simple reading cannot order every version involved."""
    if version in entry.get("versions", []):
        return True
    verdicts = []
    for rng in entry.get("ranges", []):
        if rng["type"] == "GIT":
            continue
        key = _key_for(ecosystem, rng["type"])
        v = key(version)
        if v is None:
            return None
        verdict = _in_intervals(rng["events"], key, v)
        if verdict is None:
            return None
        verdicts.append(verdict)
    return any(verdicts)


def _in_intervals(events: list[dict[str, str]], key: Callable[[str], Any], v: Any) -> bool | None:
    def bound(text: str) -> Any:
        return None if text == "0" else key(text)

    flat = [(kind, text) for ev in events for kind, text in ev.items() if text]
    if any(text != "0" and key(text) is None for _, text in flat):
        return None
    limits = [key(t) for k, t in flat if k == "limit" and t != "*"]
    if limits and not any(v < lim for lim in limits):
        return False
    starts = sorted(
        (bound(t) for k, t in flat if k == "introduced"), key=lambda b: (b is not None, b)
    )
    ends = [(k, key(t)) for k, t in flat if k in ("fixed", "last_affected")]
    for start in starts:
        if start is not None and v < start:
            continue
        # the nearest end at or above the start closes this interval
        after = [(e, k) for k, e in ends if start is None or not e < start]
        if not after:
            return True
        end, kind = min(after)
        if v < end or (kind == "last_affected" and v == end):
            return True
    return False


def _candidates(entry: dict[str, Any]) -> Iterator[str]:
    seen: set[str] = set()
    for text in entry.get("versions", []):
        seen.add(text)
    for rng in entry.get("ranges", []):
        for ev in rng["events"]:
            for text in ev.values():
                if text and text not in ("0", "*"):
                    seen.add(text)
                    m = re.match(r"^(\d+)\.(\d+)\.(\d+)$", text)
                    if m:  # just above and just below each bound
                        a, b, c = (int(x) for x in m.groups())
                        seen.add(f"{a}.{b}.{c + 1}")
                        if c:
                            seen.add(f"{a}.{b}.{c - 1}")
                        elif b:
                            seen.add(f"{a}.{b - 1}.99")
    seen.add("0.0.1")
    seen.add("999.0.0")
    yield from sorted(seen)


def _cases() -> Iterator[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    for raw in _records():
        for entry in raw["affected"]:
            eco = entry["package"]["ecosystem"]
            if eco in SEMVER_ECOSYSTEMS + NUMERIC_ECOSYSTEMS:
                yield raw["id"], eco, entry["package"]["name"], entry, raw


@pytest.mark.parametrize("ecosystem", SEMVER_ECOSYSTEMS + NUMERIC_ECOSYSTEMS)
def test_the_matcher_agrees_with_a_second_implementation(ecosystem: str) -> None:
    compared = affected = 0
    disagreements = []
    for rid, eco, name, entry, raw in _cases():
        if eco != ecosystem:
            continue
        try:
            advisory = parse_advisory(raw)
        except ValueError:
            continue  # malformed upstream record (rejected at import: see test below)
        for version in _candidates(entry):
            expected = _second_opinion(entry, eco, version)
            if expected is None:
                continue
            try:
                got = matcher.is_affected(advisory, eco, name, version)
            except matcher.AdvisoryError:
                continue  # not a version in this ecosystem (e.g. Go's 999.0.0 is fine, 1.2 not)
            if advisory.is_withdrawn:
                expected = False
            if any(
                a is not entry and a["package"]["name"] == name and a["package"]["ecosystem"] == eco
                for a in raw["affected"]
            ):
                continue  # several entries for one package: the matcher ORs them (checked below)
            compared += 1
            affected += got
            if got != expected:
                disagreements.append((rid, name, version, got, expected))
    assert disagreements == []
    assert compared >= 10 and affected >= 3, (compared, affected)


def test_several_entries_for_one_package_are_ored() -> None:
    raw = json.loads((DATA / "npm" / "GHSA-3h5v-q93c-6h6q.json").read_text())
    advisory = parse_advisory(raw)
    entries = [a for a in raw["affected"] if a["package"]["name"] == "ws"]
    assert len(entries) >= 3
    for version in ("5.2.3", "6.2.2", "7.5.9", "8.17.0", "8.17.1", "7.5.10", "2.0.0"):
        expected = any(_second_opinion(e, "npm", version) for e in entries)
        assert matcher.is_affected(advisory, "npm", "ws", version) is expected, version


def test_withdrawn_records_match_nothing() -> None:
    withdrawn = [r for r in _records() if r.get("withdrawn")]
    assert {r["id"] for r in withdrawn} >= {"GO-2025-3543", "RUSTSEC-2025-0007"}
    for raw in withdrawn:
        advisory = parse_advisory(raw)
        for entry in raw["affected"]:
            eco = entry["package"]["ecosystem"]
            for version in _candidates(entry):
                try:
                    assert not matcher.is_affected(advisory, eco, entry["package"]["name"], version)
                except matcher.AdvisoryError:
                    pass


def test_an_empty_fixed_bound_leaves_every_later_version_affected() -> None:
    """GHSA writes `"fixed": ""` for flatmap-stream (malicious): read as no upper bound, never
    as no range, so the package is not hidden."""
    advisory = parse_advisory(json.loads((DATA / "npm" / "GHSA-mh6f-8j2x-4483.json").read_text()))
    assert matcher.is_affected(advisory, "npm", "flatmap-stream", "0.1.1")
    assert matcher.is_affected(advisory, "npm", "event-stream", "3.3.6")
    assert not matcher.is_affected(advisory, "npm", "event-stream", "4.0.0")
    assert matcher.fixed_versions(advisory, "npm", "flatmap-stream") == ()


def test_import_takes_every_ecosystem_and_aliases_merge(tmp_path: Path) -> None:
    report = import_records(DATA, tmp_path / "db")
    assert report.info is not None
    ecosystems = dict(report.info.ecosystems)
    for eco in ("npm", "Go", "crates.io", "Maven", "Packagist", "RubyGems", "NuGet"):
        assert ecosystems.get(eco, 0) > 0, eco
    # one malformed upstream record (NuGet `fixed: "8.0.3, 7.0.7"`) is named, not imported
    assert [s.name for s in report.invalid] == ["NuGet/GHSA-x9vc-6hfv-hg8c.json"]
    store = AdvisoryStore.open(tmp_path / "db", index_dir=tmp_path / "index")
    hits = store.query("Go", "google.golang.org/protobuf", "1.28.0")
    merged = matcher.merge_aliases(hits)
    ids = {h.id for h in hits}
    assert {"GO-2024-2611", "GHSA-8r3f-844c-mc37"} <= ids
    one = next(v for v in merged if v.advisory.id == "GO-2024-2611")  # Go's own database first
    assert "GHSA-8r3f-844c-mc37" in one.aliases
    assert len(merged) == len(ids) - 1  # the GHSA and the GO record are one vulnerability
    crate = matcher.merge_aliases(store.query("crates.io", "openssl", "0.10.50"))
    assert [v.advisory.id for v in crate if "GHSA-xcf7-rvmh-g6q4" in v.aliases] == [
        "RUSTSEC-2023-0044"
    ]


# --- OS ecosystems: the real dpkg orders Debian and Ubuntu versions; apk's rules written here --

OS_ECOSYSTEMS = ("Debian", "Ubuntu", "Alpine")
_APK = re.compile(r"^(\d+(?:\.\d+)*)([a-z]?)((?:_[a-z]+\d*)*)(?:-r(\d+))?$")
#: apk's suffix order: pre-releases below the bare version, patch-level suffixes above it
_APK_SUFFIX = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "cvs": 1, "svn": 2, "git": 3}
_APK_SUFFIX |= {"hg": 4, "p": 5}


def _apk_key(text: str) -> Any:
    m = _APK.match(text)
    if m is None:
        return None
    numbers, letter, suffixes, rev = m.groups()
    parsed = []
    for part in filter(None, suffixes.split("_")):
        word = re.match(r"[a-z]+", part)
        if word is None or word.group() not in _APK_SUFFIX:
            return None
        parsed.append((_APK_SUFFIX[word.group()], int(part[word.end() :] or 0)))
    numeric = tuple(int(x) for x in numbers.split("."))
    return (numeric, letter, tuple(parsed) or ((0, 0),), int(rev or 0))


@functools.cache
def _dpkg_compare(a: str, b: str) -> int:
    if a == b:
        return 0
    lower = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False)  # noqa: S607
    if lower.returncode == 0:
        return -1
    higher = subprocess.run(["dpkg", "--compare-versions", a, "gt", b], check=False)  # noqa: S607
    return 1 if higher.returncode == 0 else 0


_dpkg_key = functools.cmp_to_key(_dpkg_compare)


def _apk_neighbours(text: str) -> set[str]:
    stem, _, rev = text.rpartition("-r")
    if not stem:
        return {text, f"{text}-r1"}
    below = {f"{stem}-r{int(rev) - 1}"} if int(rev) else set()
    return {text, f"{stem}-r{int(rev) + 1}"} | below


def _dpkg_neighbours(text: str) -> set[str]:
    return {text, f"{text}~rc1", f"{text}+b1"}  # "~" sorts below the bound, a binNMU above it


def _os_candidates(entry: dict[str, Any], base: str) -> list[str]:
    """The listed versions, each bound, and versions just below and just above each bound."""
    seen = set(entry.get("versions", []))
    bounds = [t for rng in entry["ranges"] for ev in rng["events"] for t in ev.values()]
    for text in (t for t in bounds if t and t != "0"):
        seen |= _apk_neighbours(text) if base == "Alpine" else _dpkg_neighbours(text)
    if base == "Alpine":
        seen |= {"0.1", "0.9.12", "99.0-r0"}
    else:
        seen |= {"0.1-1", "1:0.1-1", "99.0-1"}
    return sorted(seen)


def _os_cases(base: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for path in sorted((DATA / base).glob("*.json")):
        raw = json.loads(path.read_text())
        for entry in raw["affected"]:
            yield raw, entry


@pytest.mark.integration  # runs the real dpkg as the second opinion on Debian ordering
@pytest.mark.parametrize("base", OS_ECOSYSTEMS)
def test_os_ecosystems_agree_with_a_second_implementation(base: str) -> None:
    """Each entry on its own release ("Debian:9", "Alpine:v3.18", "Ubuntu:22.04:LTS"): the
    listed versions are affected, and every other version is affected exactly when dpkg (or
    the apk rules above) puts it inside the record's intervals."""
    key = _apk_key if base == "Alpine" else _dpkg_key
    compared = affected = 0
    disagreements = []
    for raw, entry in _os_cases(base):
        eco, name = entry["package"]["ecosystem"], entry["package"]["name"]
        advisory = parse_advisory(raw)
        for version in _os_candidates(entry, base):
            expected = version in entry.get("versions", []) or any(
                _in_intervals(rng["events"], key, key(version)) for rng in entry["ranges"]
            )
            got = matcher.is_affected(advisory, eco, name, version)
            compared += 1
            affected += got
            if got != expected:
                disagreements.append((raw["id"], eco, version, got, expected))
    assert disagreements == []
    assert compared >= 20 and affected >= 8, (compared, affected)


@pytest.mark.parametrize("base", ("Debian", "Ubuntu"))
def test_os_ranges_alone_affect_every_version_the_record_lists(base: str) -> None:
    """The `versions` lists are the distribution's own enumeration of each range: with the
    lists taken out, the range walk alone must still find every listed version affected."""
    listed = 0
    for raw, entry in _os_cases(base):
        eco, name = entry["package"]["ecosystem"], entry["package"]["name"]
        stripped = json.loads(json.dumps(raw))
        for e in stripped["affected"]:
            e.pop("versions", None)
        advisory = parse_advisory(stripped)
        for version in entry.get("versions", []):
            listed += 1
            assert matcher.is_affected(advisory, eco, name, version), (raw["id"], eco, version)
    assert listed >= 5


def test_an_os_record_matches_only_its_own_release() -> None:
    raw = json.loads((DATA / "Alpine" / "ALPINE-CVE-2025-26519.json").read_text())
    advisory = parse_advisory(raw)
    # fixed in 1.2.3-r4 on v3.16 but only in 1.2.5-r1 on v3.20
    assert not matcher.is_affected(advisory, "Alpine:v3.16", "musl", "1.2.3-r4")
    assert matcher.is_affected(advisory, "Alpine:v3.20", "musl", "1.2.4-r3")
    assert not matcher.is_affected(advisory, "Alpine:v3.20", "musl", "1.2.5-r1")
    ubuntu = parse_advisory(json.loads((DATA / "Ubuntu" / "UBUNTU-CVE-2024-3094.json").read_text()))
    assert matcher.is_affected(ubuntu, "Ubuntu:22.04:LTS", "xz-utils", "5.2.5-2build2")
    assert matcher.is_affected(ubuntu, "Ubuntu:24.04:LTS", "xz-utils", "5.4.5-0.1")
    assert not matcher.is_affected(ubuntu, "Ubuntu:20.04:LTS", "xz-utils", "5.4.5-0.1")
