"""One finding per flaw: several tools, one location, overlapping CWE (issue 14 item 2), its
severity on evidence (issue 23 items 1 and 3)."""

from __future__ import annotations

from dataclasses import replace

from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    RuleClaims,
    RunStatus,
    ScannerRun,
    Severity,
    Suppression,
)
from secscan.policy.baseline import Baseline
from secscan.policy.steps import inline_counts
from secscan.scan import flaws

one_per_flaw = flaws.one_per_flaw

SHELL_PROOF = RuleClaims(
    proves_safe="the shell command is a constant string",
    vouches_for=("bandit:B602", "semgrep:python-subprocess-shell-injection"),
)


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
    cols: tuple[int, int] | None = None,
) -> Finding:
    return Finding(
        scanner=scanner,
        rule_id=rule,
        title=rule,
        message=rule,
        severity=sev,
        kind=kind,
        location=Location(
            path,
            line,
            end_line=end or line,
            start_column=cols[0] if cols else None,
            end_column=cols[1] if cols else None,
        ),
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
    assert flaw.severity is Severity.HIGH
    assert {(s.scanner, s.rule_id) for s in flaw.also_reported_by} | {
        (flaw.scanner, flaw.rule_id)
    } == {
        ("semgrep", "python-subprocess-shell-injection"),
        ("bandit", "B602"),
        ("semgrep", "python-command-injection-request-data"),
    }
    assert set(flaw.fingerprints) == {b602.fingerprint, taint.fingerprint, audit.fingerprint}
    assert set(flaw.references) == {*b602.references, *taint.references, *audit.references}
    # a tie at the top goes to a fixed order (scanner name): the flaw sits in bandit's run,
    # the semgrep run no longer lists it
    assert [x.rule_id for x in out[0].findings] == ["B602", "B608"] and out[1].findings == ()


def test_an_audit_rule_that_traced_no_source_does_not_lower_bandit() -> None:
    """B324 rates an MD5 call high; the pack's LOW audit rule could not tell what it protects,
    which is no evidence that it protects nothing."""
    b324 = f("bandit", "B324", 5, Severity.HIGH, (327,))
    md5 = f("semgrep", "python-weak-hash-md5", 5, Severity.LOW, (328, 327))
    (flaw,) = all_findings(one_per_flaw((run("bandit", b324), run("semgrep", md5))))
    assert flaw.severity is Severity.HIGH and flaw.rule_id == "B324"
    assert flaw.cwe == (327, 328)
    assert flaw.decided_by.scanner == "bandit" and not flaw.decided_by.proven_safe
    assert "semgrep python-weak-hash-md5 low" in flaw.decided_by.reason


def test_the_most_severe_source_decides() -> None:
    a = f("bandit", "B602", 5, Severity.HIGH, (78,))
    b = f("other", "X", 5, Severity.MEDIUM, (78,))
    (flaw,) = all_findings(one_per_flaw((run("bandit", a), run("other", b))))
    assert flaw.rule_id == "B602" and flaw.also_reported_by[0].rule_id == "X"
    # taint evidence raises a pattern tool's rating
    taint = f("semgrep", "python-command-injection-request-data", 5, Severity.CRITICAL, (78,))
    (flaw,) = all_findings(one_per_flaw((run("bandit", a), run("semgrep", taint))))
    assert (flaw.rule_id, flaw.severity) == (
        "python-command-injection-request-data",
        Severity.CRITICAL,
    )


def test_a_trusted_proof_lowers_what_it_vouches_for_on_its_span() -> None:
    b602 = f("bandit", "B602", 9, Severity.HIGH, (78,), cols=(1, 40))
    proof = replace(
        f("semgrep", "python-shell-command-constant", 9, Severity.INFO, (78,), cols=(1, 40)),
        claims=SHELL_PROOF,
    )
    out = one_per_flaw((run("bandit", b602), run("semgrep", proof)))
    (flaw,) = all_findings(out)
    assert (flaw.rule_id, flaw.severity) == ("B602", Severity.INFO)
    assert flaw.decided_by.proven_safe and flaw.decided_by.rule_id == proof.rule_id
    assert "constant string" in flaw.decided_by.reason and "rated it high" in flaw.decided_by.reason
    assert flaw.also_reported_by == ()  # the proof is evidence, not a report of the flaw
    assert out[1].findings == ()


def test_a_proof_vouches_only_for_its_own_span_and_its_named_rules() -> None:
    proof = replace(
        f("semgrep", "python-shell-command-constant", 9, Severity.INFO, (78,), cols=(1, 30)),
        claims=SHELL_PROOF,
    )
    # another call on the same line: not the proven expression
    other_call = f("bandit", "B602", 9, Severity.HIGH, (78,), cols=(33, 60))
    (flaw,) = all_findings(one_per_flaw((run("bandit", other_call), run("semgrep", proof))))
    assert flaw.severity is Severity.HIGH
    # a wildcard in a constant command (B609) is not what the proof vouches for
    b609 = f("bandit", "B609", 9, Severity.HIGH, (78,), cols=(1, 30))
    (flaw,) = all_findings(one_per_flaw((run("bandit", b609), run("semgrep", proof))))
    assert (flaw.rule_id, flaw.severity) == ("B609", Severity.HIGH)


def test_a_proof_of_an_untrusted_rule_set_proves_nothing() -> None:
    b602 = f("bandit", "B602", 9, Severity.HIGH, (78,))
    added = replace(
        f("semgrep", "my-proof", 9, Severity.INFO, (78,)), claims=SHELL_PROOF, review_rule=True
    )
    found = all_findings(one_per_flaw((run("bandit", b602), run("semgrep", added))))
    assert sorted((x.rule_id, x.severity) for x in found) == [
        ("B602", Severity.HIGH),
        ("my-proof", Severity.INFO),
    ]


def test_a_rule_the_change_adds_never_merges_away_another_finding() -> None:
    """The INFO rule with bandit's CWE on B507's line: an added finding, B507 stays HIGH."""
    b507 = f("bandit", "B507", 4, Severity.HIGH, (295,))
    info = replace(f("semgrep", "pr-added-info", 4, Severity.INFO, (295,)), review_rule=True)
    found = all_findings(one_per_flaw((run("bandit", b507), run("semgrep", info))))
    assert sorted((x.rule_id, x.severity, x.also_reported_by) for x in found) == [
        ("B507", Severity.HIGH, ()),
        ("pr-added-info", Severity.INFO, ()),
    ]


def test_each_tools_suppression_hides_only_its_own_report() -> None:
    """`# nosec B602` on a line bandit also reports B607 on: B607 stays its own finding."""
    nosec = Suppression("# nosec B602", line=3)
    b602 = replace(f("bandit", "B602", 3, Severity.HIGH, (78,)), suppression=nosec)
    b607 = f("bandit", "B607", 3, Severity.LOW, (78,))
    found = all_findings(one_per_flaw((run("bandit", b602, b607),)))
    assert sorted((x.rule_id, x.suppression) for x in found) == [("B602", nosec), ("B607", None)]
    # both suppressed (each by its own tool's comment): one flaw, still suppressed, and the
    # hidden-count warning counts neither as hidden
    sem = replace(
        f("semgrep", "python-subprocess-shell-injection", 3, Severity.LOW, (78,)),
        suppression=Suppression("nosemgrep", line=3),
    )
    runs = (
        replace(run("bandit", b602), inline_suppressions=1),
        replace(run("semgrep", sem), inline_suppressions=1),
    )
    out = one_per_flaw(runs)
    (flaw,) = all_findings(out)
    assert flaw.suppression is not None and len(flaw.fingerprints) == 2
    assert inline_counts(out, hidden_only=True) == ()
    assert inline_counts(out) == (("bandit", 1), ("semgrep", 1))


def test_the_equivalence_table_merges_one_flaw_across_cwe_ids() -> None:
    """bandit B201 (CWE-94) and the pack's Flask debug rule (CWE-489/215): one flaw."""
    b201 = f("bandit", "B201", 20, Severity.HIGH, (94,))
    debug = replace(
        f("semgrep", "python-flask-debug-true", 20, Severity.HIGH, (489, 215)),
        claims=RuleClaims(same_flaw_as=("bandit:B201",)),
    )
    (flaw,) = all_findings(one_per_flaw((run("bandit", b201), run("semgrep", debug))))
    assert set(flaw.fingerprints) == {b201.fingerprint, debug.fingerprint}
    # without the table entry: two findings (CWEs differ), never a guess
    plain = replace(debug, claims=None)
    assert len(all_findings(one_per_flaw((run("bandit", b201), run("semgrep", plain))))) == 2


def test_a_proof_that_vouches_for_nothing_is_not_reported() -> None:
    proof = replace(
        f("semgrep", "python-shell-command-constant", 9, Severity.INFO, (78,)), claims=SHELL_PROOF
    )
    assert all_findings(one_per_flaw((run("semgrep", proof),))) == []


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
    old = Baseline.from_findings([audit])  # written before bandit ran
    (flaw,) = all_findings(one_per_flaw((run("bandit", b602), run("semgrep", audit))))
    assert flaw.fingerprint == b602.fingerprint
    split = old.split([flaw])
    assert split.new == () and split.known == (flaw,)
