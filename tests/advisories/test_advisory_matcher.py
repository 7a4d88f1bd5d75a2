"""OSV range semantics per ecosystem, checked against hand-worked cases and a packaging oracle."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from secscan.advisories.matcher import (
    ecosystem_matches,
    fixed_versions,
    is_affected,
    normalize_name,
    split_ecosystem,
)
from secscan.advisories.osv import Advisory, parse_advisory
from secscan.errors import AdvisoryError


def record(
    *ranges: list[dict[str, str]],
    versions: list[str] | None = None,
    ecosystem: str = "PyPI",
    name: str = "demo",
    range_type: str = "ECOSYSTEM",
    **extra: Any,
) -> Advisory:
    affected: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": [{"type": range_type, "events": events} for events in ranges],
    }
    if versions is not None:
        affected["versions"] = versions
    return parse_advisory(
        {"id": "TEST-1", "modified": "2024-01-01T00:00:00Z", "affected": [affected], **extra}
    )


def affected_set(adv: Advisory, versions: list[str], eco: str = "PyPI") -> set[str]:
    return {v for v in versions if is_affected(adv, eco, "demo", v)}


def test_introduced_zero_and_fixed_is_half_open() -> None:
    adv = record([{"introduced": "0"}, {"fixed": "2.0"}])
    assert affected_set(adv, ["0.0.1", "1.9.9", "2.0", "2.0.0", "2.0.1"]) == {"0.0.1", "1.9.9"}


def test_last_affected_is_inclusive() -> None:
    adv = record([{"introduced": "1.0"}, {"last_affected": "1.4"}])
    assert affected_set(adv, ["0.9", "1.0", "1.4", "1.4.0", "1.4.1"]) == {"1.0", "1.4", "1.4.0"}


def test_no_upper_bound_affects_everything_after_introduced() -> None:
    adv = record([{"introduced": "3.1"}])
    assert affected_set(adv, ["3.0", "3.1", "99.0"]) == {"3.1", "99.0"}


def test_limit_caps_the_range() -> None:
    adv = record([{"introduced": "1.0"}, {"limit": "1.5"}])
    assert affected_set(adv, ["1.0", "1.4", "1.5", "2.0"]) == {"1.0", "1.4"}
    star = record([{"introduced": "1.0"}, {"limit": "*"}])
    assert affected_set(star, ["1.0", "50"]) == {"1.0", "50"}


def test_several_intervals_in_one_range_and_several_ranges() -> None:
    # events out of order on purpose: OSV does not promise sorted events
    adv = record(
        [{"fixed": "1.2"}, {"introduced": "1.0"}, {"introduced": "2.0"}, {"fixed": "2.1"}],
        [{"introduced": "3.0"}, {"fixed": "3.0.5"}],
    )
    got = affected_set(
        adv, ["0.9", "1.0", "1.1", "1.2", "1.5", "2.0", "2.0.9", "2.1", "3.0.4", "3.0.5"]
    )
    assert got == {"1.0", "1.1", "2.0", "2.0.9", "3.0.4"}


def test_explicit_versions_list_compares_as_versions() -> None:
    adv = parse_advisory(
        {
            "id": "TEST-2",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0", "3.1.0.rc1"]}
            ],
        }
    )
    assert affected_set(adv, ["1.0", "1.0.0", "3.1.0rc1", "1.1"]) == {"1.0", "1.0.0", "3.1.0rc1"}


def test_pep440_prereleases_and_post_releases_order_correctly() -> None:
    adv = record([{"introduced": "0"}, {"fixed": "2.0"}])
    assert affected_set(adv, ["2.0rc1", "2.0a1", "2.0.post1", "2.0.dev0"]) == {
        "2.0rc1",
        "2.0a1",
        "2.0.dev0",
    }


def test_pep503_names() -> None:
    adv = record([{"introduced": "0"}], name="Zope_Interface")
    for spelling in ("zope.interface", "zope-interface", "ZOPE__interface", "Zope_Interface"):
        assert is_affected(adv, "PyPI", spelling, "1.0")
    assert not is_affected(adv, "PyPI", "zopeinterface", "1.0")
    assert normalize_name("PyPI", "Foo.Bar_baz") == "foo-bar-baz"
    assert normalize_name("npm", "@Scope/Pkg") == "@Scope/Pkg"


def test_withdrawn_affects_nothing() -> None:
    adv = record([{"introduced": "0"}], withdrawn="2024-02-01T00:00:00Z")
    assert not is_affected(adv, "PyPI", "demo", "1.0")


def test_git_ranges_are_ignored() -> None:
    adv = record([{"introduced": "0"}, {"fixed": "deadbeef"}], range_type="GIT")
    assert not is_affected(adv, "PyPI", "demo", "1.0")


def test_semver_range_in_npm() -> None:
    adv = record(
        [{"introduced": "1.2.0"}, {"fixed": "1.10.0"}], ecosystem="npm", range_type="SEMVER"
    )
    # 1.9.0 < 1.10.0 numerically; a string comparison would get this wrong
    assert affected_set(adv, ["1.1.9", "1.2.0", "1.9.0", "1.10.0-rc.1", "1.10.0"], "npm") == {
        "1.2.0",
        "1.9.0",
        "1.10.0-rc.1",
    }


def test_debian_dpkg_ordering_and_release_suffix() -> None:
    adv = record(
        [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}], ecosystem="Debian:12", name="openssl"
    )
    assert is_affected(adv, "Debian:12", "openssl", "3.0.11-1~deb12u1")
    assert not is_affected(adv, "Debian:12", "openssl", "3.0.11-1~deb12u2")
    # "~" sorts before the empty string: 3.0.11-1~deb12u2 < 3.0.11-1
    assert not is_affected(adv, "Debian:12", "openssl", "3.0.11-1")
    assert is_affected(adv, "Debian:12", "openssl", "3.0.9-1")
    assert not is_affected(adv, "Debian:12", "openssl", "1:1.0-1")  # an epoch outranks everything
    assert not is_affected(adv, "Debian:11", "openssl", "3.0.9-1")  # another release
    assert is_affected(adv, "Debian", "openssl", "3.0.9-1")  # no release given: cannot narrow


def test_alpine_revisions() -> None:
    adv = record(
        [{"introduced": "0"}, {"fixed": "3.1.4-r5"}], ecosystem="Alpine:v3.19", name="openssl"
    )
    assert is_affected(adv, "Alpine:v3.19", "openssl", "3.1.4-r4")
    assert not is_affected(adv, "Alpine:v3.19", "openssl", "3.1.4-r10")  # numeric, not textual


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.2.4-r5", "1.2.4_git20230717-r5"),  # apk's post-release suffixes (univers refuses them)
        ("1.2.4_git20230717-r5", "1.2.5-r1"),
        ("1.2.4_rc1", "1.2.4"),  # pre-release suffixes sort below the bare version
        ("1.2_git1", "1.2_p1"),  # cvs < svn < git < hg < p
        ("1.2.5-r9", "1.2.5-r10"),
        ("1.05", "1.5"),  # leading zeros: read by their count first, as apk-tools does
        ("1.0", "1.05"),
        ("1.2-r1", "1.2.3"),  # a further number outranks a revision
        ("1.2", "1.2a"),
    ],
)
def test_apk_ordering(lower: str, higher: str) -> None:
    adv = record([{"introduced": "0"}, {"fixed": higher}], ecosystem="Alpine:v3.19", name="musl")
    assert is_affected(adv, "Alpine:v3.19", "musl", lower)
    assert not is_affected(adv, "Alpine:v3.19", "musl", higher)
    wolfi = record([{"introduced": "0"}, {"last_affected": lower}], ecosystem="Wolfi", name="x")
    assert is_affected(wolfi, "Wolfi", "x", lower)
    assert not is_affected(wolfi, "Wolfi", "x", higher)


def test_an_apk_version_outside_the_grammar_is_refused() -> None:
    adv = record([{"introduced": "0"}, {"fixed": "1.2-r1"}], ecosystem="Alpine", name="musl")
    with pytest.raises(AdvisoryError):
        is_affected(adv, "Alpine", "musl", "1.2~abc")


def test_unknown_ecosystem_raises_instead_of_not_matching() -> None:
    adv = record([{"introduced": "0"}])
    with pytest.raises(AdvisoryError, match="unknown ecosystem 'Nonesuch'"):
        is_affected(adv, "Nonesuch", "demo", "1.0")


def test_unparseable_event_version_raises_naming_the_record() -> None:
    adv = record([{"introduced": "0"}, {"fixed": "not a version!"}])
    with pytest.raises(AdvisoryError, match="TEST-1"):
        is_affected(adv, "PyPI", "demo", "1.0")


def test_invalid_query_version_raises() -> None:
    adv = record([{"introduced": "0"}])
    with pytest.raises(AdvisoryError, match="not a valid PyPI version"):
        is_affected(adv, "PyPI", "demo", "one point oh")


def test_fixed_versions_sorted_across_ranges() -> None:
    adv = record(
        [{"introduced": "2.0"}, {"fixed": "2.10.1"}],
        [{"introduced": "0"}, {"fixed": "1.9"}],
        [{"introduced": "0"}, {"fixed": "abc123"}],
    )
    assert fixed_versions(adv, "PyPI", "demo") == ("1.9", "2.10.1", "abc123")
    assert fixed_versions(adv, "PyPI", "other") == ()


def test_ecosystem_spelling() -> None:
    assert split_ecosystem("debian:12") == ("Debian", "12")
    assert split_ecosystem("pypi") == ("PyPI", None)
    assert ecosystem_matches("Alpine:v3.19", "alpine:V3.19")
    assert not ecosystem_matches("Alpine:v3.18", "Alpine:v3.19")


# --- property test: the PyPI matcher against packaging's own specifiers -----------------

_versions = st.builds(
    lambda major, minor, micro, pre: f"{major}.{minor}.{micro}{pre}",
    st.integers(0, 4),
    st.integers(0, 12),
    st.integers(0, 3),
    st.sampled_from(["", "", "", "rc1", "a2", ".post1", ".dev0"]),
)


@st.composite
def _intervals(draw: st.DrawFn) -> list[tuple[str, str | None, str]]:
    """Disjoint intervals (lower, upper, kind) over sorted distinct versions."""
    points = sorted(set(draw(st.lists(_versions, min_size=1, max_size=8))), key=Version)
    intervals: list[tuple[str, str | None, str]] = []
    i = 0
    while i < len(points):
        lower = points[i]
        if i + 1 < len(points) and draw(st.booleans()):
            intervals.append(
                (lower, points[i + 1], draw(st.sampled_from(["fixed", "last_affected"])))
            )
            i += 2
        else:
            intervals.append((lower, None, "open"))
            break
    return intervals


@settings(max_examples=300, deadline=None)
@given(intervals=_intervals(), probe=_versions, zero=st.booleans())
# A pre-release of 0.0.0 is before packaging's "0" but after OSV's `introduced: "0"`.
@example(intervals=[("0.0.0", None, "open")], probe="0.0.0rc1", zero=True)
@example(intervals=[("0.0.0", "0.1.0", "fixed")], probe="0.0.0.dev0", zero=True)
def test_pypi_matcher_agrees_with_packaging_specifiers(
    intervals: list[tuple[str, str | None, str]], probe: str, zero: bool
) -> None:
    events: list[dict[str, str]] = []
    specs: list[SpecifierSet] = []
    for n, (lower, upper, kind) in enumerate(intervals):
        start = "0" if zero and n == 0 else lower
        events.append({"introduced": start})
        # OSV's `introduced: "0"` is "since the first release", below every version; packaging's
        # ">=0" is not (0.0.0rc1 and 0.0.0.dev0 sort before 0), so "0" gets no lower bound.
        low_spec = "" if start == "0" else f">={lower}"
        if upper is None:
            specs.append(SpecifierSet(low_spec))
        else:
            events.append({kind: upper})
            # "<X" would be wrong here: PEP 440 makes "<2.0" exclude 2.0rc1, while OSV orders
            # plainly (2.0rc1 comes before the fix 2.0). "<=X,!=X" is the plain half-open bound.
            upper_spec = f"<={upper},!={upper}" if kind == "fixed" else f"<={upper}"
            specs.append(SpecifierSet(",".join(filter(None, (low_spec, upper_spec)))))
    adv = record(events)
    expected = any(s.contains(Version(probe), prereleases=True) for s in specs)
    assert is_affected(adv, "PyPI", "demo", probe) is expected
