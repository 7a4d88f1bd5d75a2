"""Which settings the change under review weakens: a pure comparison of two sides' settings.

The gate belongs to a trusted side (the merge base in `ci --new-since`, secscan's defaults
for a plain `scan`); the other side is the tree under review. `compare` names every change
that could let more through, `strengthened` applies the changes that only let less through,
and `policy_run` turns the weakenings into findings every report carries.

What a scanner's own config section means is the scanner's say (`SectionJudge`, which the
Scanner interface implements): the caller hands each section's owners in. A section nobody
judges, or an owner that says nothing more, falls back to `changed`: every change weakens.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from pydantic import BaseModel

from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    RunStatus,
    ScannerRun,
    Severity,
)
from secscan.settings.config import Config

#: The scanner name weakening findings are reported under.
SCANNER = "secscan"
RULE_PREFIX = "weakened-setting"
#: Shipped profiles from the most lenient to the strictest: a move up this list only adds.
PROFILE_ORDER = ("precommit", "ci", "release", "audit")
#: How many items one weakening names before it says "and N more".
SHOWN = 5


def section(config: Config, key: str) -> Any:
    """A scanner's config section by key (its schema's model's defaults when unset)."""
    return config.section(key)


def section_keys(base: Settings, head: Settings) -> list[str]:
    """Every scanner section both sides' schema knows (the trusted side's schema decides)."""
    return sorted(base.config.SECTIONS)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """An option entry that may name a file or directory (a rule file), or is a name."""

    entry: str
    #: Content digest of the file or directory the entry names; "" for a name.
    digest: str = ""
    #: Where it is: an absolute path for a file or directory, else the entry itself.
    location: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """One scanner config section as one side has it, with the content of the files it names."""

    key: str
    options: BaseModel
    #: Option field -> its entries that name files (`Scanner.option_files`), digested.
    files: Mapping[str, tuple[FileEntry, ...]] = field(default_factory=dict)

    def entries(self, name: str) -> tuple[FileEntry, ...]:
        """Every entry of the option field `name`, with its file's digest where it names one."""
        known = {f.entry: f for f in self.files.get(name, ())}
        return tuple(
            known.get(e, FileEntry(e, "", e)) for e in _strings(getattr(self.options, name))
        )


class SectionJudge(Protocol):
    """What the scanners owning a config section say about changes to it."""

    def weakenings(self, base: Section, head: Section) -> Sequence[tuple[str, str]]:
        """(option field, message) for every change from base to head that could let more
        through; a field it does not know must count (see `changed`)."""
        ...

    def strengthened(self, base: Section, head: Section) -> BaseModel:
        """The options to judge with: the base's, with head's changes that only strengthen."""
        ...


#: Section key -> the scanners owning it (several scanners of one tool share a section).
Judges = Mapping[str, Sequence[SectionJudge]]


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
    #: "section.field" -> the entries of a scanner option that name files, digested.
    files: Mapping[str, tuple[FileEntry, ...]] = field(default_factory=dict)
    advisory_db_digest: str | None = None
    #: Line of each setting in the config file ("exclude", "<section>.<field>"), where known.
    lines: Mapping[str, int] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        """A scanner config section of this side, with the files its options name."""
        prefix = f"{key}."
        files = {k[len(prefix) :]: v for k, v in self.files.items() if k.startswith(prefix)}
        return Section(key, section(self.config, key), files)


@dataclass(frozen=True, slots=True)
class Weakening:
    """One change that lets more through the gate, in words a reviewer can check."""

    setting: str
    message: str
    #: The file the change is in, relative to the tree root.
    path: str = ".secscan.yaml"
    #: The line of the setting in that file, when it is the config file and the line is known.
    line: int | None = None


#: One weakening found: (setting, message, the file it is in; None for the config file).
_Found = tuple[str, str, str | None]


def compare(base: Settings, head: Settings, judges: Judges) -> tuple[Weakening, ...]:
    """Every way `head` lets through more than `base` does, in a stable order.

    `judges` are the owners of each scanner config section; every registered section is
    compared, and one without a judge by `changed` (any change weakens).
    """
    where = head.source or base.source or ".secscan.yaml"
    found = (
        *_gate_weakenings(base, head),
        *_scope_weakenings(base.config, head.config),
        *_advisory_weakenings(base, head),
        *_scanner_weakenings(base, head, judges),
        *_trusted_file_weakenings(base, head),
        *_output_weakenings(base.config, head.config),
    )
    return tuple(
        Weakening(setting, message, path or where, _line(head, setting, path))
        for setting, message, path in found
    )


def _line(head: Settings, setting: str, path: str | None) -> int | None:
    """The config file line of a setting (or of its section), when it is in the config file."""
    if path:
        return None
    return head.lines.get(setting, head.lines.get(setting.split(".")[0]))


def _gate_weakenings(base: Settings, head: Settings) -> list[_Found]:
    """Scanners removed, files left out, thresholds and profile lowered."""
    b, h = base.config, head.config
    out: list[_Found] = []
    removed = [s for s in base.scanners if s not in head.scanners]
    if removed:
        out.append(("scanners", f"scanner(s) removed: {names(removed)}", None))
    narrowed = _include_weakening(b.include, h.include)
    if narrowed:
        out.append(("include", narrowed, None))
    added = [e for e in h.exclude if e not in b.exclude]
    if added:
        out.append(("exclude", f"exclude pattern(s) added: {names(added)}", None))
    fail_on = _fail_on_weakening(b, h)
    if fail_on:
        out.append(("fail_on", fail_on, None))
    if not _profile_at_least(b.profile, h.profile):
        out.append(
            ("profile", f"profile changed from {b.profile or 'the default'} to {h.profile}", None)
        )
    if h.max_file_size_mb < b.max_file_size_mb:
        out.append(
            (
                "max_file_size_mb",
                f"max_file_size_mb lowered from {b.max_file_size_mb:g} to "
                f"{h.max_file_size_mb:g}: larger files are no longer analyzed",
                None,
            )
        )
    return out


def _scope_weakenings(b: Config, h: Config) -> list[_Found]:
    """A scope other than source is judged more leniently (tests, examples, docs do not fail
    `ci`) or not read at all (skip_scopes): moving files there is a weakening."""
    out: list[_Found] = []
    for scope, globs in sorted(h.scopes.items()):
        if scope == "source":
            continue
        moved = [g for g in globs if g not in b.scopes.get(scope, ())]
        if moved:
            out.append(("scopes", f"path(s) put in {scope} scope: {names(moved)}", None))
    skipped = [x for x in h.skip_scopes if x not in b.skip_scopes]
    if skipped:
        out.append(
            ("skip_scopes", f"code scanners no longer read scope(s): {names(skipped)}", None)
        )
    return out


def _advisory_weakenings(base: Settings, head: Settings) -> list[_Found]:
    """Another advisory source (mirror, its content, or service) may know fewer advisories."""
    b, h = base.config.advisories, head.config.advisories
    out: list[_Found] = []
    if (b.db, base.advisory_db_digest) != (h.db, head.advisory_db_digest):
        same = b.db == h.db
        what = f"{b.db}: its records or exploit data changed" if same else was_now(b.db, h.db)
        out.append(("advisories.db", f"advisory source changed: local OSV mirror {what}", None))
    if b.url != h.url:
        out.append(
            (
                "advisories.url",
                f"advisory source changed: OSV service {was_now(b.url, h.url)}",
                None,
            )
        )
    return out


def _scanner_weakenings(base: Settings, head: Settings, judges: Judges) -> list[_Found]:
    """Every scanner's own section, by key, as its owners judge it."""
    return [
        (f"{key}.{name}", _no_credentials(message), None)
        for key in section_keys(base, head)
        for name, message in section_weakenings(base.section(key), head.section(key), judges)
    ]


def _trusted_file_weakenings(base: Settings, head: Settings) -> list[_Found]:
    """The policy, waivers and baseline: files that decide what passes."""
    out: list[_Found] = []
    if (base.policy_path, base.policy_digest) != (head.policy_path, head.policy_digest):
        what = (
            "policy directory contents changed"
            if base.policy_path == head.policy_path
            else f"policy directory {was_now(base.policy_path, head.policy_path)}"
        )
        out.append(("policy", f"{what}: the policy under review would judge itself", None))
    new_waivers = [w for w in head.waivers if w not in set(base.waivers)]
    if new_waivers:
        out.append(
            (
                "waivers",
                f"{len(new_waivers)} waiver(s) added or extended: {names(new_waivers)}",
                head.waivers_path,
            )
        )
    grown = {
        fp: n - base.baseline.get(fp, 0)
        for fp, n in head.baseline.items()
        if n > base.baseline.get(fp, 0)
    }
    if grown:
        out.append(
            (
                "baseline",
                f"{sum(grown.values())} baseline entr(ies) added: findings the change under "
                "review would pre-accept",
                head.baseline_path,
            )
        )
    return out


def _output_weakenings(b: Config, h: Config) -> list[_Found]:
    if b.output_dir != h.output_dir:
        return [("output_dir", f"output_dir {was_now(b.output_dir, h.output_dir)}", None)]
    return []


def strengthened(base: Settings, head: Settings, judges: Judges) -> Config:
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
    for key in section_keys(base, head):
        update[key] = section_strengthened(base.section(key), head.section(key), judges)
    return b.model_copy(update=update)


def section_weakenings(base: Section, head: Section, judges: Judges) -> tuple[tuple[str, str], ...]:
    """What the section's owners name (all of them, once each); `changed` when it has none."""
    owners = judges.get(base.key, ())
    if not owners:
        return changed(base, head)
    return tuple(dict.fromkeys(w for judge in owners for w in judge.weakenings(base, head)))


def section_strengthened(base: Section, head: Section, judges: Judges) -> BaseModel:
    """The options its owners agree to judge with; the base's when they disagree or are none."""
    made = [judge.strengthened(base, head) for judge in judges.get(base.key, ())]
    model = type(base.options)
    if made and all(type(m) is model and m == made[0] for m in made):
        return made[0]
    return base.options


def changed(
    base: Section, head: Section, known: Collection[str] = ()
) -> tuple[tuple[str, str], ...]:
    """Every option field (but `known`) whose value or named files' content differs.

    The fail-closed default for a section: without its owner's word that a change only
    strengthens, a change may weaken. Values are shown only when they are numbers, flags or
    choices; a string of a setting secscan does not know could be a credential.
    """
    out = []
    for name in type(base.options).model_fields:
        if name in known:
            continue
        was, now = getattr(base.options, name), getattr(head.options, name)
        if was != now:
            shown = f" {was_now(was, now)}" if _plain(was) and _plain(now) else ""
            out.append((name, f"{base.key}.{name} changed{shown}"))
        elif _contents(base.entries(name)) != _contents(head.entries(name)):
            out.append((name, f"{base.key}.{name}: the content of a file it names changed"))
    return tuple(out)


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
        return f"include added: only {names(head)} scanned"
    dropped = [p for p in base if p not in head]
    return f"include narrowed: {names(dropped)} no longer included" if dropped else None


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


def names(items: Sequence[str]) -> str:
    """Items for a message: the first few, then how many more."""
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def was_now(before: object, after: object) -> str:
    """'from X to Y' for a message, with any URL's user and password left out."""

    def shown(v: object) -> str:
        return "unset" if v is None else _no_credentials(str(v))

    return f"from {shown(before)} to {shown(after)}"


def _no_credentials(text: str) -> str:
    """A URL's user and password never reach a report (`https://ci:token@host` -> `https://***@host`)."""
    return _USERINFO.sub(r"\1***@", text)


def _contents(entries: Sequence[FileEntry]) -> list[tuple[str, str]]:
    """Entries as the two sides compare them: by name and content, wherever each side is."""
    return [(e.entry, e.digest) for e in entries]


def _plain(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | Enum)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def reclassifications(attempts: Mapping[str, tuple[str, str]]) -> tuple[Weakening, ...]:
    """Files of the change under review that claimed a non-gating scope the merge base never
    gave their place (file -> (scope, cause)): they were judged as source, and this says so.
    Scope "excluded": a folder a marker the change planted calls a virtualenv, cache, ...
    (cause: the marker's reason)."""
    return tuple(
        Weakening(
            "classification",
            f"{path}/ is marked as a {cause[0].lower()}{cause[1:]}, which the merge base did "
            "not have: its tracked files are scanned and judged as source (markers leave out "
            "only files git does not track)"
            if scope == "excluded"
            else f"{path} claims {scope} scope by {cause}: scanned and judged as source (only "
            "the merge base's `scopes:` globs and folders make a file non-gating)",
            path,
        )
        for path, (scope, cause) in sorted(attempts.items())
    )
