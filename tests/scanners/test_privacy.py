"""The personal-data scanner on a realistic sample app, checked line by line.

The sample app (tests/fixtures/privacy/shop: Django and SQLAlchemy models, Pydantic and
dataclass schemas, SQL DDL, a signup service that logs an e-mail address and sends a user
id to analytics) carries its expectations as comments, in semgrep's test convention:
`# ruleid: RULE` on the line above a line that must have a RULE finding, `# ok: RULE`
above one that must not. Every finding of a rule must be annotated: a false positive fails
as surely as a miss.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secscan.app.registry import installed
from secscan.model.findings import Finding, FindingKind, Severity
from secscan.scanners.base import ScanContext, ScanOutcome, ScanRequest
from secscan.scanners.privacy import (
    _NAME_RULES,
    _TYPE_RULES,
    SENSITIVE,
    THIRD_PARTIES,
    PrivacyScanner,
    classify,
    taxonomy,
)

APP = Path(__file__).resolve().parents[1] / "fixtures" / "privacy" / "shop"
ANNOTATION = re.compile(r"^\s*(?:#|--)\s*(ruleid|ok):\s*([A-Z-]+)\s*$")


def scan(root: Path) -> ScanOutcome:
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    s = PrivacyScanner()
    return s.scan(
        ScanContext(
            root, s.select(files, ScanRequest()), installed().scanners.make_config(), timeout=60
        )
    )


def annotations(root: Path) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    wanted: set[tuple[str, int, str]] = set()
    refused: set[tuple[str, int, str]] = set()
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            m = ANNOTATION.match(line)
            if m:
                key = (p.relative_to(root).as_posix(), number + 1, m.group(2))
                (wanted if m.group(1) == "ruleid" else refused).add(key)
    return wanted, refused


@pytest.fixture(scope="module")
def outcome() -> ScanOutcome:
    return scan(APP)


def test_every_annotation_of_the_sample_app_holds(outcome: ScanOutcome) -> None:
    wanted, refused = annotations(APP)
    assert len(wanted) >= 25 and len(refused) >= 10
    found = {(f.location.path, f.location.start_line or 0, f.rule_id) for f in outcome.findings}
    assert wanted - found == set(), "missed"
    assert refused & found == set(), "flagged an ok: line"
    assert found - wanted == set(), "a finding no annotation asks for"
    assert outcome.not_analyzed == ()
    assert outcome.analyzed is not None and len(outcome.analyzed) == 9


def by(outcome: ScanOutcome, path: str, line: int) -> list[Finding]:
    return [f for f in outcome.findings if (f.location.path, f.location.start_line) == (path, line)]


def tag(f: Finding, name: str) -> str:
    return next(t.split(":", 1)[1] for t in f.tags if t.startswith(name + ":"))


def test_the_logged_email_and_the_analytics_user_id(outcome: ScanOutcome) -> None:
    (logged,) = by(outcome, "services/signup.py", 17)
    assert logged.rule_id == "PRIVACY-LOG" and tag(logged, "category") == "user.contact.email"
    assert logged.severity is Severity.MEDIUM and "customer.email" in logged.message
    (tracked,) = by(outcome, "services/signup.py", 21)
    assert tracked.rule_id == "PRIVACY-THIRD-PARTY"
    assert (tag(tracked, "category"), tag(tracked, "recipient")) == ("user.unique_id", "Segment")
    assert tracked.kind is FindingKind.PRIVACY


def test_health_data_into_a_log_is_high_through_a_variable(outcome: ScanOutcome) -> None:
    (f,) = by(outcome, "services/signup.py", 36)
    assert f.severity is Severity.HIGH and tag(f, "category") == "user.health_and_medical"
    assert "patient.diagnosis" in f.message  # carried by `note = patient.diagnosis`


def test_credentials_leaked_stay_high_and_their_paths_and_uses_are_not_flows(
    outcome: ScanOutcome,
) -> None:
    """services/cloud.py: the shapes of skypilot 0.14.1's 49 high findings (a credential's
    file path logged, an API key in request headers, an OAuth token request) are `ok:`
    lines there; their real-leak twins keep the severity of a credential."""
    flows = [
        f
        for f in outcome.findings
        if f.location.path == "services/cloud.py" and f.rule_id != "PRIVACY-FIELD"
    ]
    leaks = {f.location.start_line for f in flows if tag(f, "category").startswith("user.auth")}
    assert leaks == {39, 41, 56, 58, 73, 75, 77, 88}
    assert all(
        f.severity is Severity.HIGH for f in flows if tag(f, "category").startswith("user.auth")
    )
    (email,) = by(outcome, "services/cloud.py", 79)  # personal data in a header: disclosed
    assert tag(email, "category") == "user.contact.email" and email.severity is Severity.LOW


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("api_key", "user.authorization.credentials"),
        ("credentials_path", None),
        ("api_key_file", None),
        ("secret_key_var", None),
        ("getCredentialsPath", None),
        ("redact_password", None),
        ("password", "user.authorization.password"),
        ("health_url", None),
        ("final_condition_types", None),
        ("health_record", "user.health_and_medical"),
        ("zip_filename", None),
        ("zip_code", "user.contact.address.postal_code"),
    ],
)
def test_what_points_at_a_credential_is_not_one(name: str, category: str | None) -> None:
    assert classify(name) == category


def test_digits_after_a_decimal_point_are_no_card() -> None:
    from secscan.scanners.privacy import committed_data

    # django 4.2.16 tests/gis_tests/geoadmin/tests.py:45, Luhn-valid by chance
    assert list(committed_data("Point(13.4197458572965953, 52.5194108501149799)")) == []
    assert [c.kind for c in committed_data("card: 5194108501149799")] == ["payment card number"]


def test_declarations_say_where_data_is_stored(outcome: ScanOutcome) -> None:
    fields = {
        f.title.split(":")[0]: (tag(f, "category"), tag(f, "storage"))
        for f in outcome.findings
        if f.rule_id == "PRIVACY-FIELD"
    }
    assert fields["Customer.email"] == ("user.contact.email", "database")
    assert fields["PaymentMethod.iban"] == ("user.financial.bank_account", "database")
    assert fields["SignupRequest.contact"] == ("user.contact.email", "declared")  # EmailStr
    assert fields["newsletter_subscribers.ip_address"] == ("user.device.ip_address", "database")
    assert all(f.severity is Severity.INFO for f in outcome.findings if f.rule_id.endswith("FIELD"))


def test_every_category_named_is_in_the_fideslang_taxonomy() -> None:
    keys = set(taxonomy())
    assert len(keys) == 85
    named = {key for _, key in _NAME_RULES} | set(_TYPE_RULES.values()) | set(SENSITIVE)
    assert named - keys == set()


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("emailAddress", "user.contact.email"),
        ("user_email", "user.contact.email"),
        ("SSN", "user.government_id.national_identification_number"),
        ("dateOfBirth", "user.demographic.date_of_birth"),
        ("blood_type", "user.health_and_medical"),
        ("product_name", None),
        ("emailed", None),
        ("template", None),
        ("description", None),
    ],
)
def test_names_are_classified_by_word_not_by_substring(name: str, category: str | None) -> None:
    assert classify(name) == category


def test_recipients_are_named_sdks() -> None:
    assert THIRD_PARTIES["sentry_sdk"] == "Sentry" and THIRD_PARTIES["analytics"] == "Segment"


def test_an_unparsable_file_is_not_analyzed_and_a_deep_one_does_not_crash(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    (tmp_path / "deep.py").write_text(
        "def f(email):\n    print(" + "(" * 150 + "email" + ")" * 150 + ")\n", encoding="utf-8"
    )
    (tmp_path / "ok.py").write_text(
        "import logging\ndef f(email):\n    logging.info(email)\n", encoding="utf-8"
    )
    out = scan(tmp_path)
    assert [n.path for n in out.not_analyzed] == ["broken.py"]
    assert {(f.location.path, f.rule_id) for f in out.findings} >= {("ok.py", "PRIVACY-LOG")}


def test_committed_personal_data_is_reported_without_its_value(outcome: ScanOutcome) -> None:
    hits = [f for f in outcome.findings if f.rule_id == "PRIVACY-DATA-COMMITTED"]
    assert {(f.location.path, f.location.start_line) for f in hits} == {
        ("data/customers.csv", 3),
        ("data/customers.csv", 7),
    }
    assert all(f.severity is Severity.HIGH for f in hits)
    text = " ".join(f.title + f.message for f in hits)
    assert "3704" not in text and "1488" not in text and "6467" not in text
    assert {tag(f, "category") for f in hits} == {
        "user.financial.bank_account",
        "user.financial.credit_card",
    }


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),  # ISO 13616's published example
        ("NL91ABNA0417164300", True),
        ("NL91ABNA0417164301", False),  # checksum
        ("NL91ABNA041716430", False),  # length for NL
        ("XX91ABNA0417164300", False),  # no such country
    ],
)
def test_iban_check(iban: str, valid: bool) -> None:
    from secscan.scanners.privacy import iban_valid

    assert iban_valid(iban) is valid


def test_precision_cases_seen_in_django_allauth(tmp_path: Path) -> None:
    """Shapes from django-allauth 65.3.0 (a held-out real project) that were misread."""
    (tmp_path / "migration.py").write_text(
        "from django.db import migrations, models\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.AddField('u', 'email', models.EmailField())]\n",
        encoding="utf-8",
    )
    (tmp_path / "forms.py").write_text(
        "from django import forms\n"
        "class LoginForm(forms.Form):\n"
        "    email = forms.EmailField()\n"
        "    email_verified = forms.BooleanField()\n",
        encoding="utf-8",
    )
    (tmp_path / "tweet.json").write_text(
        '{"id": 400658301702381568, "in_reply_to": null}\n'  # a snowflake id, Luhn-valid
        '{"order_id": 4539148803436467}\n',
        encoding="utf-8",
    )
    out = scan(tmp_path)
    got = {(f.location.path, f.title.split(":")[0], tag(f, "storage")) for f in out.findings}
    assert got == {("forms.py", "LoginForm.email", "declared")}


def test_a_hostile_schema_does_not_take_the_scan_down(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text('{"properties": ' + "[" * 50_000, encoding="utf-8")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (tmp_path / "bomb.yaml").write_text("properties: {}\n" + bomb, encoding="utf-8")
    (tmp_path / "ok.py").write_text("import logging\ndef f(email):\n    logging.info(email)\n")
    out = scan(tmp_path)
    assert {f.location.path for f in out.findings} == {"ok.py"}
    assert out.analyzed is not None and {"deep.json", "bomb.yaml"} <= out.analyzed
