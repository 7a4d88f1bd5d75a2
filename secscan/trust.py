"""Which settings the change under review weakens: a pure comparison of two sides' settings.

The gate belongs to a trusted side (the merge base in `ci --new-since`, secscan's defaults
for a plain `scan`); the other side is the tree under review. `compare` names every change
that could let more through, `strengthened` applies the changes that only let less through,
and `policy_run` turns the weakenings into findings every report carries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secscan.config import SECTIONS, Config
from secscan.findings import (
    Finding,
    FindingKind,
    Location,
    RunStatus,
    ScannerRun,
    Severity,
)

#: The scanner name weakening findings are reported under.
SCANNER = "secscan"
RULE_PREFIX = "weakened-setting"
#: Shipped profiles from the most lenient to the strictest: a move up this list only adds.
PROFILE_ORDER = ("precommit", "ci", "release", "audit")
#: How many items one weakening names before it says "and N more".
SHOWN = 5


def section(config: Config, key: str) -> Any:
    """A scanner's config section by key (its registered model's defaults when unset)."""
    return config.section(key, SECTIONS[key])


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A semgrep rule set entry: `builtin`, a registry name, or a rule file/directory."""

    entry: str
    #: Content digest of the file or directory the entry names; "" for a name.
    digest: str = ""
    #: Where it is: an absolute path for a file or directory, else the entry itself.
    location: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    """One side's gate-relevant settings, with the content of every file they name.

    Paths are relative to the side's tree root (or absolute when outside it), so the two
    sides compare by name; digests compare the files' content.
    """

    config: Config
    #: The scanners that run: the config's list, else every registered scanner.
    scanners: tuple[str, ...]
    #: The config file, relative to the tree root (None: secscan's defaults).
    source: str | None = None
    policy_path: str | None = None
    policy_digest: str | None = None
    waivers_path: str | None = None
    #: Canonical text of each waiver: what it matches, and until when.
    waivers: tuple[str, ...] = ()
    baseline_path: str | None = None
    baseline: Mapping[str, int] = field(default_factory=dict)
    rules: tuple[RuleSet, ...] = ()
    advisory_db_digest: str | None = None
    #: Line of each setting in the config file ("exclude", "bandit.skip"), where known.
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Weakening:
    """One change that lets more through the gate, in words a reviewer can check."""

    setting: str
    message: str
    #: The file the change is in, relative to the tree root.
    path: str = ".secscan.yaml"
    #: The line of the setting in that file, when it is the config file and the line is known.
    line: int | None = None


def compare(base: Settings, head: Settings) -> tuple[Weakening, ...]:
    """Every way `head` lets through more than `base` does, in a stable order."""
    out: list[Weakening] = []
    where = head.source or base.source or ".secscan.yaml"

    def add(setting: str, message: str, path: str | None = None) -> None:
        line = None if path else head.lines.get(setting, head.lines.get(setting.split(".")[0]))
        out.append(Weakening(setting, message, path or where, line))

    b, h = base.config, head.config
    removed = [s for s in base.scanners if s not in head.scanners]
    if removed:
        add("scanners", f"scanner(s) removed: {_names(removed)}")

    narrowed = _include_weakening(b.include, h.include)
    if narrowed:
        add("include", narrowed)
    added = [e for e in h.exclude if e not in b.exclude]
    if added:
        add("exclude", f"exclude pattern(s) added: {_names(added)}")

    fail_on = _fail_on_weakening(b, h)
    if fail_on:
        add("fail_on", fail_on)
    if not _profile_at_least(b.profile, h.profile):
        add("profile", f"profile changed from {b.profile or 'the default'} to {h.profile}")
    if h.max_file_size_mb < b.max_file_size_mb:
        add(
            "max_file_size_mb",
            f"max_file_size_mb lowered from {b.max_file_size_mb:g} to {h.max_file_size_mb:g}: "
            "larger files are no longer analyzed",
        )

    # A scope other than source is judged more leniently (tests, examples, docs do not fail
    # `ci`) or not read at all (skip_scopes): moving files there is a weakening.
    for scope, globs in sorted(h.scopes.items()):
        if scope == "source":
            continue
        moved = [g for g in globs if g not in b.scopes.get(scope, ())]
        if moved:
            add("scopes", f"path(s) put in {scope} scope: {_names(moved)}")
    skipped = [x for x in h.skip_scopes if x not in b.skip_scopes]
    if skipped:
        add("skip_scopes", f"code scanners no longer read scope(s): {_names(skipped)}")
    was_budget = getattr(section(b, "semgrep"), "rule_timeout", None)
    now_budget = getattr(section(h, "semgrep"), "rule_timeout", None)
    if was_budget is not None and now_budget is not None and now_budget < was_budget:
        add(
            "semgrep.rule_timeout",
            f"semgrep.rule_timeout lowered from {was_budget:g} to {now_budget:g} s: files that "
            "run out are no longer analyzed",
        )

    skips = [s for s in section(h, "bandit").skip if s not in section(b, "bandit").skip]
    if skips:
        add("bandit.skip", f"bandit test(s) skipped: {_names(skips)}")
    head_rules = {(r.entry, r.digest) for r in head.rules}
    for r in base.rules:
        if (r.entry, r.digest) in head_rules:
            continue
        gone = r.entry not in {x.entry for x in head.rules}
        add(
            "semgrep.rules",
            f"semgrep rule set {r.entry!r} {'removed' if gone else 'changed'}",
        )

    if (b.advisories.db, base.advisory_db_digest) != (h.advisories.db, head.advisory_db_digest):
        add(
            "advisories.db",
            f"advisory source changed: local OSV mirror {_was(b.advisories.db, h.advisories.db)}",
        )
    if b.advisories.url != h.advisories.url:
        add(
            "advisories.url",
            f"advisory source changed: OSV service {_was(b.advisories.url, h.advisories.url)}",
        )
    for key in ("cache_dir", "db_repository", "java_db_repository", "download_db"):
        was, now = getattr(section(b, "trivy"), key), getattr(section(h, "trivy"), key)
        if was != now:
            add(f"trivy.{key}", f"advisory source changed: trivy.{key} {_was(was, now)}")

    if (base.policy_path, base.policy_digest) != (head.policy_path, head.policy_digest):
        what = (
            "policy directory contents changed"
            if base.policy_path == head.policy_path
            else f"policy directory {_was(base.policy_path, head.policy_path)}"
        )
        add("policy", f"{what}: the policy under review would judge itself")

    new_waivers = [w for w in head.waivers if w not in set(base.waivers)]
    if new_waivers:
        add(
            "waivers",
            f"{len(new_waivers)} waiver(s) added or extended: {_names(new_waivers)}",
            head.waivers_path,
        )

    grown = {
        fp: n - base.baseline.get(fp, 0)
        for fp, n in head.baseline.items()
        if n > base.baseline.get(fp, 0)
    }
    if grown:
        add(
            "baseline",
            f"{sum(grown.values())} baseline entr(ies) added: findings the change under review "
            "would pre-accept",
            head.baseline_path,
        )

    if b.output_dir != h.output_dir:
        add("output_dir", f"output_dir {_was(b.output_dir, h.output_dir)}")
    return tuple(out)


def strengthened(base: Settings, head: Settings) -> Config:
    """The base's config with each change of `head` that only strengthens it applied."""
    b, h = base.config, head.config
    update: dict[str, object] = {}
    if all(s in head.scanners for s in base.scanners):
        update["scanners"] = h.scanners
    if _include_weakening(b.include, h.include) is None:
        update["include"] = h.include
    update["exclude"] = tuple(e for e in b.exclude if e in h.exclude)
    if _fail_on_weakening(b, h) is None and "fail_on" in h.model_fields_set:
        update["fail_on"] = h.fail_on
    if _profile_at_least(b.profile, h.profile):
        update["profile"] = h.profile
    update["max_file_size_mb"] = max(b.max_file_size_mb, h.max_file_size_mb)
    update["bandit"] = section(b, "bandit").model_copy(
        update={
            "skip": tuple(s for s in section(b, "bandit").skip if s in section(h, "bandit").skip)
        }
    )
    base_rules = [r.location or r.entry for r in base.rules] or list(section(b, "semgrep").rules)
    known = {r.entry for r in base.rules} | set(section(b, "semgrep").rules)
    extra = [r.location or r.entry for r in head.rules if r.entry not in known]
    update["semgrep"] = section(b, "semgrep").model_copy(
        update={"rules": tuple(dict.fromkeys([*base_rules, *extra]))}
    )
    return b.model_copy(update=update)


def policy_run(weakenings: Sequence[Weakening]) -> ScannerRun:
    """The weakenings as findings of their own kind, so every report lists them."""
    findings = tuple(
        Finding(
            scanner=SCANNER,
            rule_id=f"{RULE_PREFIX}:{w.setting}",
            title=f"Gate setting weakened by the change under review: {w.message}",
            message=w.message,
            severity=Severity.CRITICAL,
            kind=FindingKind.POLICY,
            location=Location(path=w.path, start_line=w.line, end_line=w.line),
            remediation="Change gate settings in a separate pull request that reviewers "
            "approve; the change under review is judged with the base's settings.",
            fingerprint=hashlib.sha256(
                f"{RULE_PREFIX}\x1f{w.setting}\x1f{w.path}\x1f{w.message}".encode()
            ).hexdigest()[:32],
        )
        for w in weakenings
    )
    return ScannerRun(
        scanner=SCANNER, kind=FindingKind.POLICY, status=RunStatus.OK, findings=findings
    )


def describe(weakenings: Sequence[Weakening]) -> tuple[str, ...]:
    """One warning line per weakening, for reports of a scan that had no trusted base."""
    return tuple(f"tree setting weakens the gate ({w.path}): {w.message}" for w in weakenings)


def waiver_text(
    *,
    rule: str | None,
    path: str | None,
    fingerprint: str | None,
    scanner: str | None,
    expires: str,
) -> str:
    """What a waiver covers and until when: its identity for comparison. Not its id, which
    may be its position in the file (removing one waiver must not make the next look new).
    """
    given = (("rule", rule), ("path", path), ("fingerprint", fingerprint), ("scanner", scanner))
    parts = [f"{k}={v}" for k, v in given if v]
    return f"{', '.join(parts)} until {expires}"


def _include_weakening(base: Sequence[str], head: Sequence[str]) -> str | None:
    if not head:
        return None  # everything is in scope
    if not base:
        return f"include added: only {_names(head)} scanned"
    dropped = [p for p in base if p not in head]
    return f"include narrowed: {_names(dropped)} no longer included" if dropped else None


def _fail_on_weakening(b: Config, h: Config) -> str | None:
    """fail_on overrides every per-kind and per-control threshold of the profile, so setting
    it where the base did not is a weakening unless it fails on everything.
    """
    was = b.fail_on if "fail_on" in b.model_fields_set else None
    now = h.fail_on if "fail_on" in h.model_fields_set else None
    if was == now:
        return None
    if now is None:
        # Back to the profile's thresholds: at most as lenient as failing on critical only.
        return None if was is Severity.CRITICAL else f"fail_on {was} removed"
    if was is None:
        if now is Severity.INFO:
            return None
        return f"fail_on set to {now}: the profile's stricter thresholds no longer apply"
    return f"fail_on raised from {was} to {now}" if now > was else None


def _profile_at_least(base: str | None, head: str | None) -> bool:
    if base == head:
        return True
    order = {p: n for n, p in enumerate(PROFILE_ORDER)}
    was = order.get(base or "ci")
    now = order.get(head or "ci")
    return was is not None and now is not None and now >= was


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _was(before: object, after: object) -> str:
    def shown(v: object) -> str:
        return "unset" if v is None else _no_credentials(str(v))

    return f"from {shown(before)} to {shown(after)}"


def _no_credentials(text: str) -> str:
    """A URL's user and password never reach a report (`https://ci:token@host` -> `https://***@host`)."""
    return _USERINFO.sub(r"\1***@", text)


_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
