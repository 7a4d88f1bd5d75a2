"""JUnit XML: one test per gate rule, scanner and control; failures carry the findings."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from reportdata import EVIL, NOW, empty_saved, evil_saved, rich_saved, with_findings

from secscan.model.results import SavedResults
from secscan.report import junit


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))  # noqa: S314 - our own output


def test_suites_cases_and_totals() -> None:
    root = parse(junit.render(rich_saved(), NOW))
    assert root.tag == "testsuites"
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["secscan.gate", "secscan.scanners", "iso27001-2022", "gdpr"]
    cases = root.findall(".//testcase")
    # 21: a failed gate's warnings get a case of their own (they may name a bypass), and so
    # do the files not analyzed.
    assert root.get("tests") == str(len(cases)) == "21"
    warned = root.find("testsuite[@name='secscan.gate']/testcase[@name='gate warnings']")
    assert warned is not None and warned.find("system-out") is not None
    assert root.get("failures") == str(len(root.findall(".//failure")))
    assert root.get("errors") == "2" and root.get("skipped") == "3"


def test_gate_reason_failure_lists_its_findings() -> None:
    root = parse(junit.render(rich_saved(), NOW))
    case = root.find("testsuite[@name='secscan.gate']/testcase[@name='fail-on:high']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    assert "bandit/B608 app/db.py:12" in failure.text
    assert "fixed in 0.12.3" in failure.text
    err = root.find("testsuite[@name='secscan.gate']/testcase[@name='scanner-error']/error")
    assert err is not None


def test_controls_fail_skip_or_pass() -> None:
    root = parse(junit.render(rich_saved(), NOW))
    iso = root.find("testsuite[@name='iso27001-2022']")
    assert iso is not None
    by_name = {c.get("name", "").split()[0]: c for c in iso.findall("testcase")}
    assert by_name["A.8.28"].find("failure") is not None
    assert by_name["A.8.20"].find("skipped") is not None  # not assessed is never a pass
    waived = by_name["A.8.24"]
    assert waived.find("failure") is None and "W-001" in (waived.findtext("system-out") or "")
    assert len(by_name["A.8.5"]) in (0, 1) and by_name["A.8.5"].find("failure") is None


def test_failed_and_skipped_scanners() -> None:
    root = parse(junit.render(rich_saved(), NOW))
    sem = root.find("testsuite[@name='secscan.scanners']/testcase[@name='semgrep']/error")
    assert sem is not None and "invalid rule file" in (sem.text or "")
    img = root.find("testsuite[@name='secscan.scanners']/testcase[@name='image']/skipped")
    assert img is not None


def test_hostile_and_control_characters_stay_well_formed() -> None:
    saved = evil_saved()
    f = saved.result.findings[0]
    from dataclasses import replace

    bad = replace(f, title="nul\x00 bell\x07 esc\x1b " + EVIL)
    text = junit.render(with_findings(saved, "semgrep", (bad,)), NOW)
    root = parse(text)
    assert EVIL in "".join(root.itertext())
    assert "\x00" not in text and "\x1b" not in text


def test_empty_and_undecided() -> None:
    root = parse(junit.render(empty_saved(), NOW))
    assert root.get("failures") == "0" and root.get("errors") == "0"
    root = parse(junit.render(SavedResults(empty_saved().result, None), NOW))
    assert root.find(".//testsuite[@name='secscan.gate']/testcase/error") is not None


def test_byte_identical() -> None:
    assert junit.render(rich_saved(), NOW) == junit.render(rich_saved(), NOW)


def test_a_failing_gate_still_lists_the_files_not_analyzed_and_its_warnings() -> None:
    """Issue 15: `_gate_suite` wrote warnings only when the gate passed, so a failing gate
    dropped the not-analyzed files from the JUnit report."""
    saved = rich_saved()
    assert saved.decision is not None and saved.decision.reasons
    root = parse(junit.render(saved, NOW))
    gate = root.find("testsuite[@name='secscan.gate']")
    assert gate is not None
    cases = {c.get("name"): c for c in gate.findall("testcase")}
    files = cases["files not analyzed"].findtext("system-out") or ""
    model_paths = {n.path for r in saved.result.runs for n in r.not_analyzed}
    model_paths |= {n.path for n in saved.result.not_analyzed}
    assert model_paths and all(p in files for p in model_paths)
    assert cases["gate warnings"].findtext("system-out") == "\n".join(saved.decision.warnings)
