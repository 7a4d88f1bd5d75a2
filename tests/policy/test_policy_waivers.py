"""Waivers: who accepted which risk until when; expiry on a pinned clock; bad files refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from policydata import NOW, code_finding, ok_run, result_of

from secscan.errors import PolicyError
from secscan.findings import Finding, FindingKind, Location, Severity
from secscan.policy.decision import ControlState
from secscan.policy.engine import evaluate
from secscan.policy.models import Policy
from secscan.policy.waivers import load_waivers, today_utc

TODAY = NOW.date()


def _waivers(tmp_path: Path, body: str) -> Path:
    p = tmp_path / ".secscan-waivers.yaml"
    p.write_text("version: 1\nwaivers:\n" + body, encoding="utf-8")
    return p


def _one(expires: date) -> str:
    return (
        "  - rule: R1\n"
        '    path: "app/*.py"\n'
        "    reason: only used in tests\n"
        "    owner: team@example.com\n"
        f"    expires: {expires.isoformat()}\n"
    )


@pytest.mark.parametrize(
    ("expires", "applies"),
    [
        (TODAY + timedelta(days=1), True),
        (TODAY, True),  # the expiry date is the last day the waiver applies
        (TODAY - timedelta(days=1), False),
    ],
    ids=["tomorrow", "today", "yesterday"],
)
def test_waiver_expiry_on_a_fixed_clock(
    tmp_path: Path, shipped: Policy, expires: date, applies: bool
) -> None:
    waivers = load_waivers(_waivers(tmp_path, _one(expires)))
    f = code_finding("R1", path="app/db.py")
    mapped, decision = evaluate(
        result_of(ok_run([f])), shipped, shipped.profiles["ci"], waivers, now=NOW
    )
    (record,) = decision.waivers
    assert record.expired is (not applies)
    assert record.fingerprints == (f.fingerprint,)
    assert decision.passed is applies
    # A waived finding stays in the results, and the decision says who waived it and why.
    assert [x.fingerprint for x in mapped.findings] == [f.fingerprint]
    if applies:
        assert decision.waiver_for(f.fingerprint) == record
        sqli = next(c for c in decision.controls if c.control_id == "A.8.28")
        assert sqli.state is ControlState.WAIVED
        assert sqli.waived_fingerprints == (f.fingerprint,)
    else:
        assert decision.waiver_for(f.fingerprint) is None
        assert any("expired on" in w and record.id in w for w in decision.warnings)
        assert "severity:code" in {r.rule for r in decision.reasons}


def test_expiry_uses_the_utc_calendar() -> None:
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    east = late.astimezone(UTC).replace(tzinfo=None)
    assert today_utc(late) == today_utc(east) == date(2026, 11, 26)


def test_expired_waiver_fails_a_profile_that_says_so(tmp_path: Path, shipped: Policy) -> None:
    waivers = load_waivers(_waivers(tmp_path, _one(TODAY - timedelta(days=1))))
    f = code_finding("R1", path="app/db.py", severity=Severity.LOW)
    _, decision = evaluate(
        result_of(ok_run([f])), shipped, shipped.profiles["release"], waivers, now=NOW
    )
    assert [r.rule for r in decision.reasons] == ["expired-waiver"]


@pytest.mark.parametrize("missing", ["owner", "reason", "expires"])
def test_a_waiver_without_owner_reason_or_expiry_is_a_policy_error(
    tmp_path: Path, missing: str
) -> None:
    body = "\n".join(line for line in _one(TODAY).splitlines() if missing not in line) + "\n"
    path = _waivers(tmp_path, body)
    with pytest.raises(PolicyError) as e:
        load_waivers(path)
    assert e.value.path == str(path)
    assert e.value.line == 3
    assert e.value.key == f"waivers.0.{missing}"
    assert e.value.exit_code == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - rule: R1\n    reason: r\n    owner: o\n    expires: 2030-01-01\n", "path"),
        ("  - path: x\n    reason: r\n    owner: o\n    expires: 2030-01-01\n", "fingerprint"),
        (
            "  - rule: R1\n    path: x\n    reason: '  '\n    owner: o\n    expires: 2030-01-01\n",
            "at least 1",
        ),
        ("  - rule: R1\n    path: x\n    reason: r\n    owner: o\n    expires: soon\n", "date"),
        (
            "  - rule: R1\n    path: x\n    reason: r\n    owner: o\n    expires: 2030-01-01\n"
            "    approved: yes\n",
            "unknown key",
        ),
    ],
    ids=["rule-without-path", "nothing-to-match", "blank-reason", "bad-date", "unknown-key"],
)
def test_malformed_waivers_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_waivers(_waivers(tmp_path, body))


def test_waiver_ids_are_unique(tmp_path: Path) -> None:
    one = _one(TODAY).replace("  - rule", "  - id: W1\n    rule")
    with pytest.raises(PolicyError, match="duplicate waiver id") as e:
        load_waivers(_waivers(tmp_path, one + one))
    assert e.value.line == 9


def test_waiver_by_fingerprint_and_old_check_id_forms(tmp_path: Path, shipped: Policy) -> None:
    iac = Finding(
        "iac",
        "DS-0002",
        "root",
        "root",
        Severity.HIGH,
        FindingKind.IAC,
        Location("Dockerfile"),
        fingerprint="fp-iac",
    )
    code = code_finding("R9", fp="fp-code")
    body = (
        "  - rule: DS002\n    path: Dockerfile\n    reason: r\n    owner: o\n"
        "    expires: 2030-01-01\n"
        "  - fingerprint: fp-code\n    reason: r\n    owner: o\n    expires: 2030-01-01\n"
        "  - rule: NEVER\n    path: '**'\n    reason: r\n    owner: o\n    expires: 2030-01-01\n"
    )
    waivers = load_waivers(_waivers(tmp_path, body))
    _, decision = evaluate(
        result_of(ok_run([code]), ok_run([iac], "iac", FindingKind.IAC)),
        shipped,
        shipped.profiles["ci"],
        waivers,
        now=NOW,
    )
    by_id = {w.id: w for w in decision.waivers}
    assert by_id["waiver-1"].fingerprints == ("fp-iac",)
    assert by_id["waiver-2"].fingerprints == ("fp-code",)
    assert by_id["waiver-3"].fingerprints == ()
    assert any("waiver-3" in w and "matches no finding" in w for w in decision.warnings)
    assert decision.passed


def test_inline_suppressions_are_counted_and_reported(shipped: Policy) -> None:
    run = ok_run([], "bandit", inline_suppressions=3)
    _, decision = evaluate(result_of(run), shipped, shipped.profiles["ci"], now=NOW)
    assert decision.inline_suppressions == (("bandit", 3),)
    assert any("suppressed inline" in w and "bandit 3" in w for w in decision.warnings)
