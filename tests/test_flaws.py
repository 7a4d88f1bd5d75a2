"""One finding per flaw: several tools, one location, overlapping CWE (issue 14 item 2)."""

from __future__ import annotations

from secscan import flaws, scanners
from secscan.findings import Finding, FindingKind, Location, RunStatus, ScannerRun, Severity
from secscan.policy.baseline import Baseline

#: The registered scanners that say their severity decides a flaw (the pipeline asks the same).
AUTHORITIES = [n for n, cls in scanners.registry().items() if cls.severity_authority]


def one_per_flaw(runs: tuple[ScannerRun, ...]) -> tuple[ScannerRun, ...]:
    return flaws.one_per_flaw(runs, AUTHORITIES)


def f(
    scanner: str,
    rule: str,
    line: int,
    sev: Severity,
    cwe: tuple[int, ...],
    *,
    path: str = "app/views.py",
    end: int | None = None,
    kind: FindingKind = FindingKind.CODE,
) -> Finding:
    return Finding(
        scanner=scanner,
        rule_id=rule,
        title=rule,
        message=rule,
        severity=sev,
        kind=kind,
        location=Location(path, line, end_line=end or line),
        cwe=cwe,
        references=(f"https://{scanner}.example/{rule}",),
        fingerprint=f"{scanner}-{rule}-{line}",
    )


def run(name: str, *findings: Finding, kind: FindingKind = FindingKind.CODE) -> ScannerRun:
    return ScannerRun(name, kind, RunStatus.OK, findings=findings, targets=1)


def all_findings(runs: tuple[ScannerRun, ...]) -> list[Finding]:
    return [x for r in runs for x in r.findings]


def test_bandit_and_the_pack_on_one_line_are_one_flaw_with_both_sources() -> None:
    b602 = f("bandit", "B602", 12, Severity.HIGH, (78,), end=13)
    taint = f("semgrep", "python-command-injection-request-data", 12, Severity.HIGH, (78,))
    audit = f("semgrep", "python-subprocess-shell-injection", 12, Severity.LOW, (78,))
    other = f("bandit", "B608", 30, Severity.MEDIUM, (89,))
    out = one_per_flaw((run("bandit", b602, other), run("semgrep", taint, audit)))
    found = all_findings(out)
    assert len(found) == 2
    flaw = next(x for x in found if x.location.start_line == 12)
    assert flaw.scanner == "semgrep" and flaw.rule_id == "python-command-injection-request-data"
    assert flaw.severity is Severity.HIGH
    assert [(s.scanner, s.rule_id) for s in flaw.also_reported_by] == [
        ("semgrep", "python-subprocess-shell-injection"),
        ("bandit", "B602"),
    ]
    assert set(flaw.fingerprints) == {b602.fingerprint, taint.fingerprint, audit.fingerprint}
    assert set(flaw.references) == {*b602.references, *taint.references, *audit.references}
    # the bandit run no longer lists the flaw it shares; its other finding stays
    assert [x.rule_id for x in out[0].findings] == ["B608"]


def test_the_pack_decides_severity_when_it_traced_no_source() -> None:
    """B324 rates every MD5 call high; the pack's audit rule says nothing protects it."""
    b324 = f("bandit", "B324", 5, Severity.HIGH, (327,))
    md5 = f("semgrep", "python-weak-hash-md5", 5, Severity.LOW, (328, 327))
    (flaw,) = all_findings(one_per_flaw((run("bandit", b324), run("semgrep", md5))))
    assert flaw.severity is Severity.LOW and flaw.rule_id == "python-weak-hash-md5"
    assert flaw.cwe == (328, 327)


def test_without_the_pack_the_most_severe_source_decides() -> None:
    a = f("bandit", "B602", 5, Severity.HIGH, (78,))
    b = f("other", "X", 5, Severity.MEDIUM, (78,))
    (flaw,) = all_findings(one_per_flaw((run("bandit", a), run("other", b))))
    assert flaw.rule_id == "B602" and flaw.also_reported_by[0].rule_id == "X"


def test_same_tool_duplicates_collapse_and_different_flaws_stay() -> None:
    dup = f("semgrep", "r", 7, Severity.MEDIUM, (79,))
    out = one_per_flaw((run("semgrep", dup, dup, f("semgrep", "s", 7, Severity.LOW, (22,))),))
    assert [x.rule_id for x in all_findings(out)] == ["r", "s"]  # no CWE in common: two flaws
    # two advisories on one requirement line are two flaws, not one
    deps = (
        f("pip-audit", "PYSEC-1", 3, Severity.HIGH, (), path="r.txt", kind=FindingKind.DEPENDENCY),
        f("pip-audit", "PYSEC-2", 3, Severity.HIGH, (), path="r.txt", kind=FindingKind.DEPENDENCY),
    )
    kept = one_per_flaw((run("pip-audit", *deps, kind=FindingKind.DEPENDENCY),))
    assert len(all_findings(kept)) == 2


def test_a_baseline_of_either_tool_still_knows_the_merged_flaw() -> None:
    b602 = f("bandit", "B602", 12, Severity.HIGH, (78,))
    audit = f("semgrep", "python-subprocess-shell-injection", 12, Severity.LOW, (78,))
    old = Baseline.from_findings([b602])  # written before the pack reported it
    (flaw,) = all_findings(one_per_flaw((run("bandit", b602), run("semgrep", audit))))
    assert flaw.fingerprint == audit.fingerprint
    split = old.split([flaw])
    assert split.new == () and split.known == (flaw,)


def test_the_authority_is_whichever_scanner_says_it_is() -> None:
    loud = f("patterns", "P1", 5, Severity.HIGH, (78,))
    calibrated = f("dataflow", "D1", 5, Severity.LOW, (78,))
    runs = (run("patterns", loud), run("dataflow", calibrated))
    (flaw,) = all_findings(flaws.one_per_flaw(runs, ["dataflow"]))
    assert (flaw.rule_id, flaw.severity) == ("D1", Severity.LOW)
    (flaw,) = all_findings(flaws.one_per_flaw(runs))  # none: the most severe decides
    assert (flaw.rule_id, flaw.severity) == ("P1", Severity.HIGH)
    assert AUTHORITIES == ["semgrep"]  # the pack says so of itself
