"""What secscan knows about a rule id or a finding: what it is, why it matters, which controls
it evidences and why, and how to fix it. Everything comes from local sources: the last results
file, bandit's own plugin docs, secscan's semgrep pack, the local OSV mirror and the policy.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from secscan._resources import data_dir
from secscan.errors import SecscanError, UsageError
from secscan.findings import Finding, FindingKind, Location, Severity
from secscan.policy.decision import WaiverRecord
from secscan.policy.match import canonical_check_id, is_check_id, rules_for
from secscan.policy.models import Policy
from secscan.results import SavedResults
from secscan.scanners.bandit import plugin_manager

#: A fingerprint prefix shorter than this is too likely to be a rule id or a typo.
MIN_PREFIX = 6
_HEX = re.compile(r"^[0-9a-f]+$")
_BANDIT_ID = re.compile(r"^B\d{3}$")
_ADVISORY_ID = re.compile(r"^(PYSEC|GHSA|CVE|OSV|MAL|GSD|RUSTSEC|GO)-", re.IGNORECASE)

#: Fix guidance by weakness, for rules whose tool gives none (bandit says what, not how).
FIX_BY_CWE: dict[int, str] = {
    22: "Resolve the path and check it stays inside the intended directory "
    "(Path.resolve().is_relative_to(base)); never join request input into a path unchecked.",
    78: "Pass an argument list to subprocess without shell=True; if a shell is unavoidable, "
    "quote every value with shlex.quote().",
    79: "Let the template engine escape output (Jinja2 autoescape); never mark request data "
    "as safe or build HTML by string formatting.",
    89: "Use parameterised queries (placeholders and a parameter tuple); never format values "
    "or identifiers into SQL; allow-list sort columns.",
    94: "Do not evaluate text as code; parse data with a real parser (ast.literal_eval, json).",
    95: "Do not evaluate text as code; parse data with a real parser (ast.literal_eval, json).",
    295: "Keep certificate verification on (verify=True, the default context); trust a private "
    "CA by pointing the client at its bundle instead.",
    327: "Use a current algorithm (AES-GCM, SHA-256 or better; bcrypt/scrypt/argon2 for "
    "passwords) from a maintained library.",
    328: "Use SHA-256 or better; for passwords, a password hash (bcrypt, scrypt, argon2).",
    330: "Use the secrets module (secrets.token_urlsafe, secrets.randbelow) for anything "
    "security-relevant.",
    377: "Create temporary files with tempfile.mkstemp / NamedTemporaryFile, never a "
    "predictable name in a shared directory.",
    400: "Set a timeout on every network call.",
    502: "Never deserialise untrusted bytes with pickle/marshal; use json, or yaml.safe_load.",
    611: "Parse XML with defusedxml (or disable external entities and DTDs).",
    703: "Do not rely on assert or bare except for security checks; raise explicit errors.",
    259: "Remove the password from the code, rotate it, and load it at run time from a "
    "secret store or the environment.",
    732: "Create files and directories with the narrowest permissions that work (no world "
    "write; 0o600 for secrets).",
    798: "Remove the credential from the code, rotate it, and load it at run time from a "
    "secret store or the environment.",
    918: "Allow-list the hosts a server-side fetch may reach; never fetch a client-chosen URL.",
}
REMOTE_DOCS = {
    "bandit": "https://bandit.readthedocs.io/en/latest/plugins/index.html",
}


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as its tool or rule pack describes it."""

    rule_id: str
    scanner: str
    kind: FindingKind
    title: str
    description: str = ""
    cwe: tuple[int, ...] = ()
    severity: Severity | None = None
    fix: str | None = None
    references: tuple[str, ...] = ()
    #: Where the text was read: "bandit 1.9.4 plugin docs", a rule file, the results file.
    source: str = ""


@dataclass(frozen=True, slots=True)
class ControlNote:
    """One control a finding like this evidences, and the mapping rule's reason why."""

    control: str  # framework-qualified: iso27001-2022:A.8.28
    title: str
    mapping_rule: str
    rationale: str


@dataclass(frozen=True, slots=True)
class Explanation:
    query: str
    rule: RuleInfo
    controls: tuple[ControlNote, ...]
    #: The finding asked about by fingerprint, if it was one.
    finding: Finding | None = None
    #: This rule's findings in the last results file.
    occurrences: tuple[Finding, ...] = ()
    waivers: tuple[tuple[str, WaiverRecord], ...] = ()
    results_file: str | None = None

    @property
    def fix(self) -> str | None:
        if self.finding is not None and self.finding.remediation:
            return self.finding.remediation
        if self.rule.fix:
            return self.rule.fix
        return next((FIX_BY_CWE[c] for c in self.rule.cwe if c in FIX_BY_CWE), None)


def explain(
    query: str,
    policy: Policy,
    *,
    saved: SavedResults | None = None,
    results_file: str | None = None,
    semgrep_rules: Sequence[Path] = (),
    advisory_db: Path | None = None,
) -> Explanation:
    """Look `query` up as a finding fingerprint (or a unique prefix), else as a rule id."""
    query = query.strip()
    if not query or query.startswith("-"):
        raise UsageError("give a rule id (B602, AWS-0086, ...) or a finding fingerprint")
    findings = saved.result.findings if saved is not None else ()
    finding = by_fingerprint(query, findings)
    if finding is not None:
        rule = lookup_rule(finding.rule_id, finding.scanner, semgrep_rules, advisory_db)
        info = merge(rule, from_finding(finding, "the results file"))
        occurrences = tuple(
            f for f in findings if f.rule_id == finding.rule_id and f.scanner == finding.scanner
        )
        subject = finding
    else:
        occurrences = tuple(f for f in findings if _same_rule(f, query))
        static = lookup_rule(query, None, semgrep_rules, advisory_db)
        seen = from_finding(occurrences[0], "the results file") if occurrences else None
        if static is None and seen is None:
            hint = "" if saved is not None else " (and no results file was found to look in)"
            raise UsageError(
                f"{query!r} is neither a rule id secscan knows nor a finding fingerprint in "
                f"the last results{hint}; run a scan first, or give --results FILE"
            )
        info = merge(static, seen)
        subject = occurrences[0] if occurrences else synthetic(info)
    decision = saved.decision if saved is not None else None
    waivers: list[tuple[str, WaiverRecord]] = []
    if decision is not None:
        for f in occurrences:
            w = decision.waiver_for(f.fingerprint)
            if w is not None:
                waivers.append((f.fingerprint, w))
    return Explanation(
        query=query,
        rule=info,
        controls=controls_for(subject, policy),
        finding=finding,
        occurrences=tuple(sorted(occurrences, key=lambda f: f.sort_key)),
        waivers=tuple(waivers),
        results_file=results_file if saved is not None else None,
    )


def by_fingerprint(query: str, findings: Iterable[Finding]) -> Finding | None:
    q = query.lower().lstrip("#")
    if len(q) < MIN_PREFIX or not _HEX.match(q):
        return None
    hits = {f.fingerprint: f for f in findings if f.fingerprint.startswith(q)}
    if len(hits) > 1:
        raise UsageError(
            f"fingerprint prefix {query!r} matches {len(hits)} findings; give more characters"
        )
    return next(iter(hits.values()), None)


def _same_rule(f: Finding, query: str) -> bool:
    q = query.lower()
    names = {n.lower() for n in (f.rule_id, *f.aliases)}
    if is_check_id(query):
        names |= {canonical_check_id(n).lower() for n in (f.rule_id, *f.aliases)}
        q = canonical_check_id(query).lower()
    return q in names


def lookup_rule(
    rule_id: str, scanner: str | None, semgrep_rules: Sequence[Path], advisory_db: Path | None
) -> RuleInfo | None:
    """The tool's or rule pack's own description of a rule, when secscan can read it offline."""
    if scanner in (None, "bandit") and _BANDIT_ID.match(rule_id.upper()):
        found = bandit_rule(rule_id.upper())
        if found is not None:
            return found
    if scanner in (None, "semgrep"):
        found = semgrep_rule(rule_id, tuple(semgrep_rules))
        if found is not None:
            return found
    if advisory_db is not None and _ADVISORY_ID.match(rule_id):
        return advisory_rule(rule_id, advisory_db, scanner or "pip-audit")
    return None


@lru_cache(maxsize=256)
def bandit_rule(test_id: str) -> RuleInfo | None:
    manager = plugin_manager()
    if manager is None:
        return None
    from bandit import __version__ as bandit_version  # type: ignore[import-untyped]
    from bandit.core import issue  # type: ignore[import-untyped]

    source = f"bandit {bandit_version} plugin documentation"
    if test_id in manager.blacklist_by_id:
        entry: dict[str, Any] = manager.blacklist_by_id[test_id]
        cwe = entry.get("cwe")
        return RuleInfo(
            rule_id=test_id,
            scanner="bandit",
            kind=FindingKind.CODE,
            title=f"blacklisted call or import: {entry.get('name', test_id)}",
            description=str(entry.get("message", "")),
            cwe=(int(cwe),) if cwe else (),
            severity=Severity.parse(str(entry.get("level", "medium"))),
            references=(REMOTE_DOCS["bandit"],),
            source=source,
        )
    plugin = manager.plugins_by_id.get(test_id)
    if plugin is None:
        return None
    title, description = _rst_summary(inspect.getdoc(plugin.plugin) or "", test_id)
    return RuleInfo(
        rule_id=test_id,
        scanner="bandit",
        kind=FindingKind.CODE,
        title=title or plugin.name.replace("_", " "),
        description=description,
        cwe=_bandit_cwe(plugin.plugin, issue),
        references=(REMOTE_DOCS["bandit"],),
        source=source,
    )


def _bandit_cwe(func: Any, issue: Any) -> tuple[int, ...]:
    """bandit keeps no table of its tests' CWEs: each plugin names its CWE in code
    (`cwe=issue.Cwe.OS_COMMAND_INJECTION`). Read it from the plugin, else its module when the
    module names exactly one.
    """
    for obj in (func, inspect.getmodule(func)):
        try:
            names = set(re.findall(r"Cwe\.([A-Z_]+)", inspect.getsource(obj)))  # type: ignore[arg-type]
        except (OSError, TypeError):
            continue
        ids = {getattr(issue.Cwe, n) for n in names if isinstance(getattr(issue.Cwe, n, None), int)}
        if len(ids) == 1 or (obj is func and ids):
            return tuple(sorted(ids))
    return ()


def _rst_summary(doc: str, test_id: str) -> tuple[str, str]:
    """The heading (`**B602: Test for ...**`) and the first two paragraphs of a plugin doc."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc) if p.strip()]
    title = ""
    if paragraphs and paragraphs[0].startswith("**"):
        title = paragraphs.pop(0).strip("*").strip()
        title = re.sub(rf"^{re.escape(test_id)}\s*:\s*", "", title)
    body = []
    for p in paragraphs:
        if p.startswith((":", "..", "See also", "Config Options", "**")) or p.endswith("::"):
            break
        body.append(" ".join(p.split()))
        if len(body) == 2:
            break
    return title, "\n\n".join(body)


def semgrep_rule(rule_id: str, extra: tuple[Path, ...] = ()) -> RuleInfo | None:
    for rule, origin in _semgrep_index((data_dir("policies") / "semgrep", *extra)):
        if rule.get("id") == rule_id:
            meta: dict[str, Any] = rule.get("metadata") or {}
            labels = [str(c) for c in _as_list(meta.get("cwe"))]
            cwe = tuple(dict.fromkeys(int(m) for c in labels for m in re.findall(r"CWE-(\d+)", c)))
            message = " ".join(str(rule.get("message", "")).split())
            return RuleInfo(
                rule_id=rule_id,
                scanner="semgrep",
                kind=FindingKind.CODE,
                title=str(meta.get("shortDescription") or rule_id.replace("-", " ")),
                description=message,
                cwe=cwe,
                severity=Severity.parse(str(rule.get("severity", "INFO"))),
                fix=str(meta["remediation"]) if meta.get("remediation") else None,
                references=tuple(str(u) for u in _as_list(meta.get("references")) if u),
                source=origin,
            )
    return None


def _semgrep_index(roots: Iterable[Path]) -> list[tuple[dict[str, Any], str]]:
    out: list[tuple[dict[str, Any], str]] = []
    for root in roots:
        files = sorted(root.rglob("*.y*ml")) if root.is_dir() else [root]
        for path in files:
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # not a rule file; semgrep itself reports broken rule files
            rules = data.get("rules") if isinstance(data, dict) else None
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, dict):
                    out.append((rule, str(path)))
    return out


def advisory_rule(advisory_id: str, db: Path, scanner: str) -> RuleInfo | None:
    from secscan.advisories.store import AdvisoryStore

    try:
        store = AdvisoryStore.open(db, write_index=False)
    except (SecscanError, OSError):
        return None
    adv = store.get(advisory_id)
    if adv is None:
        return None
    fixed = sorted(
        {
            e.version
            for a in adv.affected
            for r in a.ranges
            if r.type != "GIT"  # a commit id is no version to upgrade to
            for e in r.events
            if e.kind == "fixed"
        }
    )
    return RuleInfo(
        rule_id=adv.id,
        scanner=scanner,
        kind=FindingKind.DEPENDENCY,
        title=adv.title,
        description=" ".join((adv.details or "").split()),
        fix=f"Upgrade to a fixed version ({', '.join(fixed)})." if fixed else None,
        references=tuple(r.url for r in adv.references if r.url),
        source=f"local OSV mirror {db}",
    )


def from_finding(f: Finding, source: str) -> RuleInfo:
    return RuleInfo(
        rule_id=f.rule_id,
        scanner=f.scanner,
        kind=f.kind,
        title=f.title,
        # A secret finding's message may quote the masked line: the title says enough.
        description="" if f.kind is FindingKind.SECRET else f.message,
        cwe=f.cwe,
        severity=f.severity,
        fix=f.remediation,
        references=f.references,
        source=source,
    )


def merge(static: RuleInfo | None, seen: RuleInfo | None) -> RuleInfo:
    """The rule's own documentation first; what the tool said in this scan fills the gaps."""
    if static is None:
        assert seen is not None  # noqa: S101 - callers pass at least one
        return seen
    if seen is None:
        return static
    return RuleInfo(
        rule_id=static.rule_id,
        scanner=static.scanner,
        kind=seen.kind,
        title=static.title or seen.title,
        description=static.description or seen.description,
        cwe=static.cwe or seen.cwe,
        severity=seen.severity or static.severity,
        fix=static.fix or seen.fix,
        references=tuple(dict.fromkeys((*static.references, *seen.references))),
        source=static.source,
    )


def synthetic(info: RuleInfo) -> Finding:
    """A stand-in finding, so the policy's mapping rules can say which controls apply."""
    return Finding(
        scanner=info.scanner,
        rule_id=info.rule_id,
        title=info.title,
        message=info.description,
        severity=info.severity or Severity.HIGH,
        kind=info.kind,
        location=Location(path=""),
        cwe=info.cwe,
    )


def controls_for(f: Finding, policy: Policy) -> tuple[ControlNote, ...]:
    notes: list[ControlNote] = []
    for rule in rules_for(f, policy.rules):
        for qid in rule.controls:
            framework_id, _, control_id = qid.partition(":")
            fw = policy.framework(framework_id)
            control = next((c for c in fw.controls if c.id == control_id), None) if fw else None
            notes.append(
                ControlNote(
                    control=qid,
                    title=control.title if control else "",
                    mapping_rule=rule.id,
                    rationale=" ".join(rule.rationale.split()),
                )
            )
    return tuple(notes)


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]
