"""Waivers: who accepted which risk until when; expiry on a pinned clock; bad files refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from policydata import NOW, code_finding, ok_run, result_of

from secscan.errors import PolicyError
from secscan.model.decision import ControlState
from secscan.model.findings import Finding, FindingKind, Location, Severity
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
        f"    created: {(expires - timedelta(days=30)).isoformat()}\n"
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


@pytest.mark.parametrize("missing", ["owner", "reason", "created", "expires"])
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


DATES = "    created: 2026-11-01\n    expires: 2027-01-01\n"


def _entry(*lines: str, dates: str = DATES) -> str:
    return "".join(f"    {line}\n" for line in lines).replace("    ", "  - ", 1) + dates


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_entry("rule: R1", "reason: r", "owner: o"), "path"),
        (_entry("path: x", "reason: r", "owner: o"), "fingerprint"),
        (_entry("rule: R1", "path: x", "reason: '  '", "owner: o"), "at least 1"),
        (
            _entry("rule: R1", "path: x", "reason: r", "owner: o", dates=""),
            "Field required",
        ),
        (
            _entry(
                "rule: R1",
                "path: x",
                "reason: r",
                "owner: o",
                dates="    created: 2026-11-01\n    expires: soon\n",
            ),
            "date",
        ),
        (_entry("rule: R1", "path: x", "reason: r", "owner: o", "approved: yes"), "unknown key"),
        (
            _entry(
                "rule: R1",
                "path: x",
                "reason: r",
                "owner: o",
                dates="    created: 2026-11-01\n    expires: 2026-11-01\n",
            ),
            "must be after created",
        ),
    ],
    ids=[
        "rule-without-path",
        "nothing-to-match",
        "blank-reason",
        "no-dates",
        "bad-date",
        "unknown-key",
        "expires-not-after-created",
    ],
)
def test_malformed_waivers_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_waivers(_waivers(tmp_path, body))


@pytest.mark.parametrize(
    "path",
    [
        "*",
        "**",
        "**/*",
        "*/**",
        "/**",
        "./**",
        "**/",
        "*.py",
        "**/*.py",
        "*_test.py",
        ".*",
        "[a-z]*",
        "?",
        "**/**/*",
        "!app/x.py",
        "../other/**",
        "app\\\\x.py",
        "a*",
        "**/a*",
        "**/test_*.py",
        "**/migrations/**",
        "*/views.py",
        "?pp/views.py",
        "[a]pp/**",
    ],
)
def test_a_catch_all_path_is_a_policy_error_at_its_line(tmp_path: Path, path: str) -> None:
    body = _entry("rule: B602", f"path: '{path}'", "reason: r", "owner: o")
    waivers = _waivers(tmp_path, body)
    with pytest.raises(PolicyError) as e:
        load_waivers(waivers)
    assert e.value.exit_code == 2
    assert (e.value.path, e.value.line, e.value.key) == (str(waivers), 4, "waivers.0.path")


@pytest.mark.parametrize("rule", ["*", "B*", "B6*", "DS-00??", "[BD]602"])
def test_a_rule_glob_is_a_policy_error(tmp_path: Path, rule: str) -> None:
    body = _entry(f"rule: '{rule}'", "path: app/views.py", "reason: r", "owner: o")
    with pytest.raises(PolicyError, match="is a glob") as e:
        load_waivers(_waivers(tmp_path, body))
    assert (e.value.line, e.value.key) == (3, "waivers.0.rule")


@pytest.mark.parametrize(
    "path",
    [
        "app/views.py",
        "tests/**",
        "app/test_*.py",
        "app/*.py",
        ".github/workflows/ci.yml",
        "/Dockerfile",
        "src/pkg0*/**",
        "src/migrations/**",
    ],
)
def test_paths_that_name_a_place_are_accepted(tmp_path: Path, path: str) -> None:
    body = _entry("rule: B602", f"path: '{path}'", "reason: r", "owner: o")
    (loaded,) = load_waivers(_waivers(tmp_path, body)).waivers
    assert loaded.waiver.path == path


def test_a_fingerprint_waiver_needs_no_path(tmp_path: Path) -> None:
    body = _entry("fingerprint: fp-1", "rule: B602", "reason: r", "owner: o")
    (loaded,) = load_waivers(_waivers(tmp_path, body)).waivers
    assert loaded.waiver.fingerprint == "fp-1" and loaded.waiver.path is None


@pytest.mark.parametrize(
    ("profile", "limit"), [("precommit", 90), ("ci", 90), ("release", 365), ("audit", 365)]
)
def test_waiver_lifetime_is_bounded_by_the_profile(
    tmp_path: Path, shipped: Policy, profile: str, limit: int
) -> None:
    assert shipped.profiles[profile].gate.max_waiver_days == limit
    created = TODAY - timedelta(days=10)

    def waivers(days: int) -> Path:
        dates = f"    created: {created}\n    expires: {created + timedelta(days=days)}\n"
        return _waivers(
            tmp_path, _entry("rule: R1", "path: app/db.py", "reason: r", "owner: o", dates=dates)
        )

    assert len(load_waivers(waivers(limit), max_days=limit)) == 1
    path = waivers(limit + 1)
    with pytest.raises(PolicyError, match=f"runs {limit + 1} days") as e:
        load_waivers(path, max_days=limit)
    assert (e.value.path, e.value.line, e.value.key) == (str(path), 8, "waivers.0.expires")
    # evaluate() checks again, so no caller that skips the loader's limit gets past it.
    f = code_finding("R1", path="app/db.py")
    with pytest.raises(PolicyError, match="gate.max_waiver_days"):
        evaluate(
            result_of(ok_run([f])), shipped, shipped.profiles[profile], load_waivers(path), now=NOW
        )


def test_a_waiver_created_in_the_future_is_a_policy_error(tmp_path: Path, shipped: Policy) -> None:
    tomorrow = TODAY + timedelta(days=1)
    dates = f"    created: {tomorrow}\n    expires: {tomorrow + timedelta(days=30)}\n"
    path = _waivers(
        tmp_path, _entry("rule: R1", "path: app/db.py", "reason: r", "owner: o", dates=dates)
    )
    waivers = load_waivers(path, max_days=90)  # the loader has no clock; evaluate() has
    with pytest.raises(PolicyError, match="after today") as e:
        evaluate(result_of(ok_run([])), shipped, shipped.profiles["ci"], waivers, now=NOW)
    assert (e.value.path, e.value.line, e.value.key) == (str(path), 7, "waivers.0.created")


def test_the_profile_limit_itself_is_bounded(tmp_path: Path) -> None:
    from secscan.policy.loader import load_policy
    from secscan.policy.models import GateSettings

    assert GateSettings().max_waiver_days == 90  # a profile that says nothing gets ci's limit
    gates = tmp_path / "gates"
    gates.mkdir()
    for bad in (0, 367, 36500):
        (gates / "mine.yaml").write_text(
            f"version: 1\ndescription: mine\ngate:\n  max_waiver_days: {bad}\n"
        )
        with pytest.raises(PolicyError) as e:
            load_policy(tmp_path)
        assert (e.value.path, e.value.line) == (str(gates / "mine.yaml"), 4)
        assert e.value.key == "gate.max_waiver_days"


def test_waiver_ids_are_unique(tmp_path: Path) -> None:
    one = _one(TODAY).replace("  - rule", "  - id: W1\n    rule")
    with pytest.raises(PolicyError, match="duplicate waiver id") as e:
        load_waivers(_waivers(tmp_path, one + one))
    assert e.value.line == 10  # the second W1: one line longer with `created`


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
        "    created: 2026-11-01\n    expires: 2027-01-01\n"
        "  - fingerprint: fp-code\n    reason: r\n    owner: o\n"
        "    created: 2026-11-01\n    expires: 2027-01-01\n"
        "  - rule: NEVER\n    path: 'app/**'\n    reason: r\n    owner: o\n"
        "    created: 2026-11-01\n    expires: 2027-01-01\n"
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


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("nothere/*.py", "anchored in nothere/, which is not a directory"),
        ("app/views.py/**", "anchored in app/views.py/, which is not a directory"),
        ("linked/**", "anchored in linked/, which is not a directory"),
    ],
)
def test_a_glob_must_be_anchored_in_a_directory_of_the_scan_root(
    tmp_path: Path, path: str, problem: str
) -> None:
    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text("x = 1\n")
    (root / "linked").symlink_to(root / "app")
    body = _entry("rule: B602", f"path: '{path}'", "reason: r", "owner: o")
    waivers = _waivers(tmp_path, body)
    with pytest.raises(PolicyError, match=problem) as e:
        load_waivers(waivers, root=root)
    assert (e.value.path, e.value.line, e.value.key) == (str(waivers), 4, "waivers.0.path")
    ok = _entry("rule: B602", "path: 'app/*.py'", "reason: r", "owner: o")
    assert len(load_waivers(_waivers(tmp_path, ok), root=root)) == 1


def test_a_bare_name_means_the_file_at_the_root_not_every_file_of_that_name(
    tmp_path: Path,
) -> None:
    body = _entry("rule: B602", "path: views.py", "reason: r", "owner: o")
    (loaded,) = load_waivers(_waivers(tmp_path, body)).waivers
    assert loaded.matches(code_finding("B602", path="views.py"))
    assert not loaded.matches(code_finding("B602", path="evil/views.py"))
