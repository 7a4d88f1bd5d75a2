"""Fingerprints under generated code: stable when lines shift, distinct for distinct findings.

A baseline or waiver keyed by fingerprint must keep matching when unrelated code moves a
finding down the file, and must never cover a second finding by accident.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secscan.model import fingerprint
from secscan.model.findings import Finding, FindingKind, Location, Package, Severity

PROPS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
#: Flagged statements; repeats are likely, so identical findings in one file are exercised.
STATEMENTS = [
    "subprocess.call(cmd, shell=True)",
    "eval(user_input)",
    "hashlib.md5(data)",
    "pickle.loads(blob)",
    "cursor.execute('SELECT * FROM t WHERE id=' + uid)",
]
FILLER = st.sampled_from(["", "# comment", "x = 1", "def f():", "    return 2", "import os"])
RULES = ["B602", "B307", "B324"]


@st.composite
def flagged_file(draw: st.DrawFn) -> tuple[list[str], list[tuple[int, str]]]:
    """Lines of a file, and (line index, rule) for each flagged line."""
    lines: list[str] = []
    flagged: list[tuple[int, str]] = []
    for _ in range(draw(st.integers(1, 12))):
        lines += draw(st.lists(FILLER, max_size=3))
        flagged.append((len(lines), draw(st.sampled_from(RULES))))
        lines.append(draw(st.sampled_from(STATEMENTS)))
    return lines, flagged


def _findings(path: str, lines: list[str], flagged: list[tuple[int, str]]) -> list[Finding]:
    return [
        Finding("bandit", rule, "t", "m", Severity.HIGH, FindingKind.CODE, Location(path, i + 1))
        for i, rule in flagged
    ]


def _assign(files: dict[str, list[str]], findings: list[Finding]) -> tuple[Finding, ...]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for rel, lines in files.items():
            (root / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return fingerprint.assign(findings, root)


@PROPS
@given(flagged_file(), st.data())
def test_inserting_lines_anywhere_keeps_every_fingerprint(
    original: tuple[list[str], list[tuple[int, str]]], data: st.DataObject
) -> None:
    lines, flagged = original
    before = _assign({"app.py": lines}, _findings("app.py", lines, flagged))
    # Insert unrelated lines at random places (above, between and below the findings).
    shifted, moved, offset = [], [], 0
    where = {i for i, _ in flagged}
    for i, line in enumerate(lines):
        extra = data.draw(st.lists(FILLER, max_size=2), label=f"before line {i}")
        shifted += extra
        offset += len(extra)
        shifted.append(line)
        if i in where:
            moved.append((i + offset, next(r for j, r in flagged if j == i)))
    after = _assign({"app.py": shifted}, _findings("app.py", shifted, moved))
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert [f.location.start_line for f in after] == [i + 1 for i, _ in moved]


@PROPS
@given(flagged_file(), flagged_file())
def test_distinct_findings_get_distinct_fingerprints(
    one: tuple[list[str], list[tuple[int, str]]], two: tuple[list[str], list[tuple[int, str]]]
) -> None:
    """Same rule on the same code, in the same file or in another: never one fingerprint."""
    findings = _findings("a.py", *one) + _findings("b.py", *two)
    # The same findings again, reported by a second scanner: different findings too.
    findings += [
        Finding("semgrep", f.rule_id, "t", "m", f.severity, f.kind, f.location) for f in findings
    ]
    out = _assign({"a.py": one[0], "b.py": two[0]}, findings)
    assert len({f.fingerprint for f in out}) == len(out)
    assert all(len(f.fingerprint) == 32 for f in out)


@PROPS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["django", "Django", "requests", "urllib3"]),
            st.sampled_from(["1.0", "2.2.0", "3.2.1"]),
            st.integers(1, 500),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda t: (t[0].lower(), t[1]),
    ),
    st.integers(1, 50),
)
def test_dependency_fingerprints_follow_the_package_not_the_line(
    pins: list[tuple[str, str, int]], shift: int
) -> None:
    def found(offset: int) -> list[Finding]:
        return [
            Finding(
                "pip-audit",
                "PYSEC-2021-1",
                "t",
                "m",
                Severity.HIGH,
                FindingKind.DEPENDENCY,
                Location("requirements.txt", line + offset),
                package=Package(name, version, "PyPI"),
            )
            for name, version, line in pins
        ]

    before = fingerprint.assign(found(0), Path("/nonexistent"))
    after = fingerprint.assign(found(shift), Path("/nonexistent"))
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert len({f.fingerprint for f in before}) == len(before)
