"""The pure comparison of gate settings: what weakens, what only strengthens and applies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from secscan.app.registry import installed
from secscan.model.findings import FindingKind, RunStatus, Severity
from secscan.scanners.semgrep import SemgrepOptions
from secscan.settings import trust
from secscan.settings.config import Config

ALL = ("bandit", "semgrep", "pip-audit", "iac", "secrets", "image")
#: The registered scanners judge their own sections, as `app/settings.py` asks them to.
JUDGES = installed().scanners.section_judges()


def side(scanners: tuple[str, ...] | None = ("bandit", "semgrep"), **config: Any) -> trust.Settings:
    cfg = (
        installed()
        .scanners.make_config(scanners=scanners, **config)
        .model_copy(update={"base_dir": Path("/repo")})
    )
    return trust.Settings(
        config=cfg,
        scanners=tuple(scanners) if scanners is not None else ALL,
        source=".secscan.yaml",
    )


def compare(base: trust.Settings, head: trust.Settings) -> tuple[trust.Weakening, ...]:
    return trust.compare(base, head, JUDGES)


def strengthened(base: trust.Settings, head: trust.Settings) -> Config:
    return trust.strengthened(base, head, JUDGES)


def settings(weakenings: tuple[trust.Weakening, ...]) -> list[str]:
    return [w.setting for w in weakenings]


def test_identical_settings_weaken_nothing() -> None:
    assert compare(side(), side()) == ()


def test_source_scope_globs_and_a_longer_rule_budget_weaken_nothing() -> None:
    head = side(scopes={"source": ["tests/e2e/**"]}, semgrep={"rule_timeout": 120})
    assert compare(side(), head) == ()


@pytest.mark.parametrize(
    ("head", "setting", "words"),
    [
        (side(("bandit",)), "scanners", "removed: semgrep"),
        (side(exclude=["app/"]), "exclude", "added: app/"),
        (side(include=["README.md"]), "include", "only README.md"),
        (side(fail_on="critical"), "fail_on", "set to critical"),
        (side(fail_on="low"), "fail_on", "set to low"),  # overrides secret: info
        (side(profile="precommit"), "profile", "to precommit"),
        (side(profile="my-own"), "profile", "to my-own"),
        (side(max_file_size_mb=1), "max_file_size_mb", "lowered from 10 to 1"),
        (side(bandit={"skip": ["B602"]}), "bandit.skip", "B602"),
        (side(semgrep={"rules": ["mine.yml"]}), "semgrep.rules", "'builtin' removed"),
        (side(advisories={"db": "osv"}), "advisories.db", "to osv"),
        (side(advisories={"url": "http://evil"}), "advisories.url", "to http://evil"),
        (side(trivy={"db_repository": "evil/db"}), "trivy.db_repository", "evil/db"),
        (side(output_dir="../x"), "output_dir", "to ../x"),
        # Scopes other than source fail no `ci` gate, skipped scopes are not read at all.
        (side(scopes={"test": ["app/**"]}), "scopes", "test scope: app/**"),
        (side(scopes={"vendored": ["app/"]}), "scopes", "vendored scope: app/"),
        (side(skip_scopes=["vendored", "generated", "test"]), "skip_scopes", "scope(s): test"),
        (side(semgrep={"rule_timeout": 0.01}), "semgrep.rule_timeout", "lowered from 60"),
    ],
)
def test_each_weakening_is_named(head: trust.Settings, setting: str, words: str) -> None:
    found = compare(side(), head)
    assert settings(found) == [setting]
    assert words in found[0].message
    assert found[0].path == ".secscan.yaml"


def test_a_changed_rule_file_and_a_changed_policy_weaken_even_under_the_same_name() -> None:
    base = replace(
        side(semgrep={"rules": ["rules.yml"]}),
        files={"semgrep.rules": (trust.FileEntry("rules.yml", "aaa", "/repo/rules.yml"),)},
        policy_path="policy",
        policy_digest="p1",
    )
    head = replace(
        base,
        files={"semgrep.rules": (trust.FileEntry("rules.yml", "bbb", "/repo/rules.yml"),)},
        policy_digest="p2",
    )
    found = compare(base, head)
    assert settings(found) == ["semgrep.rules", "policy"]
    assert "'rules.yml' changed" in found[0].message
    assert "contents changed" in found[1].message


def test_raising_fail_on_weakens_lowering_it_does_not() -> None:
    base = side(fail_on="high")
    assert "raised from high to critical" in compare(base, side(fail_on="critical"))[0].message
    assert compare(base, side(fail_on="medium")) == ()
    assert compare(side(), side(fail_on="info")) == ()  # fails on everything
    # Removing it returns to the profile's thresholds: weaker unless it was critical.
    assert settings(compare(base, side())) == ["fail_on"]
    assert compare(side(fail_on="critical"), side()) == ()


def test_waivers_and_baseline_compare_by_content() -> None:
    w1 = trust.waiver_text(
        rule="B602", path="app/x.py", fingerprint=None, scanner=None, expires="2027-01-01"
    )
    longer = w1.replace("2027-01-01", "2099-01-01")
    base = replace(side(), waivers=(w1,), baseline={"fp1": 1})
    extended = replace(
        side(), waivers=(longer,), baseline={"fp1": 2, "fp2": 1}, waivers_path="w.yaml"
    )
    found = compare(base, extended)
    assert settings(found) == ["waivers", "baseline"]
    assert (
        found[0].message
        == "1 waiver(s) added or extended: rule=B602, path=app/x.py until 2099-01-01"
    )
    assert found[0].path == "w.yaml"
    assert found[1].message.startswith("2 baseline entr(ies) added")
    # Removing waivers or baseline entries only strengthens.
    assert compare(base, replace(side(), waivers=(), baseline={})) == ()


def test_strengthening_applies_and_weakening_keeps_the_base() -> None:
    base = side(("bandit",), exclude=["docs/", "tests/"], bandit={"skip": ["B101", "B311"]})
    head = side(
        ("bandit", "secrets"),
        exclude=["docs/", "vendor/"],
        bandit={"skip": ["B101", "B602"]},
        fail_on="info",
        max_file_size_mb=50,
        profile="release",
    )
    merged = strengthened(base, head)
    assert merged.scanners == ("bandit", "secrets")
    assert merged.exclude == ("docs/",)  # tests/ removed applies; vendor/ added does not
    assert merged.bandit.skip == ("B101",)
    assert merged.fail_on is Severity.INFO and "fail_on" in merged.model_fields_set
    assert (merged.max_file_size_mb, merged.profile) == (50, "release")

    narrowed = strengthened(base, side(("secrets",), fail_on="critical", profile="ci"))
    assert narrowed.scanners == ("bandit",)
    assert "fail_on" not in narrowed.model_fields_set


def test_include_widening_applies_narrowing_does_not() -> None:
    base = side(include=["app/", "lib/"])
    assert strengthened(base, side(include=["app/", "lib/", "bin/"])).include == (
        "app/",
        "lib/",
        "bin/",
    )
    assert strengthened(base, side()).include == ()  # everything
    assert strengthened(base, side(include=["app/"])).include == ("app/", "lib/")
    assert "lib/ no longer included" in compare(base, side(include=["app/"]))[0].message


def test_added_rule_sets_apply_from_where_the_head_has_them() -> None:
    base = side()
    head = replace(
        side(semgrep={"rules": ["builtin", "extra.yml"]}),
        files={"semgrep.rules": (trust.FileEntry("extra.yml", "d", "/h/x.yml"),)},
    )
    assert compare(base, head) == ()
    assert strengthened(base, head).section("semgrep", SemgrepOptions).rules == (
        "builtin",
        "/h/x.yml",
    )


def test_policy_run_is_a_policy_finding_per_weakening() -> None:
    found = compare(side(), side(("bandit",), exclude=["app/"]))
    run = trust.policy_run(found)
    assert (run.scanner, run.kind, run.status) == ("secscan", FindingKind.POLICY, RunStatus.OK)
    assert [f.rule_id for f in run.findings] == [
        "weakened-setting:scanners",
        "weakened-setting:exclude",
    ]
    assert all(f.severity is Severity.CRITICAL and f.fingerprint for f in run.findings)
    assert len({f.fingerprint for f in run.findings}) == 2
    assert "exclude pattern(s) added: app/" in run.findings[1].title
    assert trust.describe(found)[1] == (
        "tree setting weakens the gate (.secscan.yaml): exclude pattern(s) added: app/"
    )


def test_a_url_credential_never_reaches_the_message() -> None:
    head = side(
        advisories={"url": "https://ci:s3cret-token@osv.example/v1"},
        trivy={"db_repository": "oci://u:pw@reg/db"},
    )
    found = compare(side(), head)
    text = " ".join(w.message for w in found)
    assert "s3cret" not in text and "pw@" not in text
    assert "https://***@osv.example/v1" in text and "oci://***@reg/db" in text


def test_a_section_nobody_judges_has_every_change_weaken() -> None:
    """Without its owners' word (a section whose scanner is gone), no change is safe."""
    base, head = side(), side(bandit={"skip": ["B602"]}, semgrep={"jobs": 2})
    found = trust.compare(base, head, {})
    assert [(w.setting, w.message) for w in found] == [
        ("bandit.skip", "bandit.skip changed"),  # a string value is never shown
        ("semgrep.jobs", "semgrep.jobs changed from unset to 2"),
    ]
    assert trust.strengthened(base, head, {}).bandit.skip == ()
    assert compare(base, head)[0].message == "bandit test(s) skipped: B602"  # its owner's word


class Judge:
    def __init__(self, says: str, keep: tuple[str, ...]) -> None:
        self.says, self.keep = says, keep

    def weakenings(self, base: trust.Section, head: trust.Section) -> list[tuple[str, str]]:
        return [("skip", self.says)]

    def strengthened(self, base: trust.Section, head: trust.Section) -> Any:
        return base.options.model_copy(update={"skip": self.keep})


def test_owners_of_one_section_are_all_heard_and_must_agree() -> None:
    base, head = side(bandit={"skip": ["B101"]}), side(bandit={"skip": ["B101", "B602"]})
    both = {"bandit": (Judge("a", ()), Judge("b", ()), Judge("a", ()))}
    assert [w.message for w in trust.compare(base, head, both)] == ["a", "b"]
    assert trust.strengthened(base, head, both).bandit.skip == ()
    split = {"bandit": (Judge("a", ()), Judge("a", ("B311",)))}
    assert trust.strengthened(base, head, split).bandit.skip == ("B101",)  # the base's


def test_a_rule_set_url_credential_never_reaches_the_message() -> None:
    base = side(semgrep={"rules": ["builtin", "https://ci:s3cret@rules.example/r.yml"]})
    (found,) = compare(base, side())
    assert found.message == "semgrep rule set 'https://***@rules.example/r.yml' removed"
