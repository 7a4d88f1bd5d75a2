"""Human titles for bandit tests and trivy checks (issue 14 item 5)."""

from pathlib import Path

import pytest

from secscan.scanners import bandit_titles, trivy_titles
from secscan.scanners.bandit import BanditScanner, known_test_ids
from secscan.scanners.base import ScanContext
from secscan.settings.config import Config

FIX = Path(__file__).resolve().parent.parent / "fixtures"

#: bandit's own names, which said nothing to a reader ("blacklist" for B403/B404/B311...).
TOOL_WORDS = ("blacklist", "hashlib", "_")


def test_parsed_bandit_findings_carry_human_titles() -> None:
    ctx = ScanContext(root=FIX / "bandit" / "src", targets=(), config=Config(), timeout=120)
    outcome = BanditScanner().parse((FIX / "bandit" / "scan.json").read_text(), ctx)
    titles = {f.rule_id: f.title for f in outcome.findings}
    assert titles["B404"] == "subprocess module imported"
    assert titles["B403"] == "pickle module imported"
    assert titles["B324"] == "weak hash (MD5/SHA-1) used"
    assert titles["B602"] == "subprocess with shell=True"
    assert not [t for t in titles.values() if any(w in t for w in TOOL_WORDS)]


def test_every_installed_bandit_test_has_a_title() -> None:
    ids = known_test_ids()
    if not ids:
        pytest.skip("bandit is not importable")
    assert sorted(ids - set(bandit_titles.TITLES)) == []


def test_unknown_bandit_test_falls_back_to_its_own_name() -> None:
    assert bandit_titles.title("B999", "some_new_check") == "some new check"


@pytest.mark.parametrize("title", [*bandit_titles.TITLES.values(), *trivy_titles.TITLES.values()])
def test_titles_are_short_phrases(title: str) -> None:
    assert 8 <= len(title) <= 60
    assert not title.endswith(".")


def test_trivy_titles_say_what_is_wrong() -> None:
    assert trivy_titles.title("KSV-0017", "Privileged") == "privileged container"
    assert trivy_titles.title("AWS-0090", "S3 Data should be versioned") == (
        "S3 bucket versioning disabled"
    )
    # not in the table: trivy's own title, without a trailing full stop
    assert trivy_titles.title("AWS-9999", "Some check title.") == "Some check title"
    assert trivy_titles.title("AWS-9999", None) == "AWS-9999"


def test_trojan_source_with_only_direction_marks_is_low() -> None:
    from secscan.model.findings import Severity

    rtl_locale = 'SHORT_DATE_FORMAT = "d\u200f/m\u200f/Y"\n'
    override = 'access_level = "user\u202e \u2066// admin\u2069 \u2066"\n'
    assert bandit_titles.severity("B613", Severity.HIGH, rtl_locale) is Severity.LOW
    assert bandit_titles.severity("B613", Severity.HIGH, override) is Severity.HIGH
    assert bandit_titles.severity("B602", Severity.HIGH, rtl_locale) is Severity.HIGH
