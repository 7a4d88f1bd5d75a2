"""What secscan knows about a rule id or a finding: what it is, why it matters, which controls
it evidences and why, and how to fix it. Everything comes from local sources: the last results
file, what each scanner can read about its rules offline (`Scanner.describe_rule`: a tool's
own plugin docs, a rule pack, the local OSV mirror) and the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from secscan.app.registry import installed
from secscan.errors import ReportError, UsageError
from secscan.model.decision import Decision, WaiverRecord
from secscan.model.findings import Finding, FindingKind, Location, Severity
from secscan.model.results import SavedResults, load
from secscan.policy.loader import load_policy
from secscan.policy.match import canonical_check_id, is_check_id, rules_for
from secscan.policy.models import Policy
from secscan.scanners.base import RuleInfo, RuleLookup
from secscan.settings.config import Config

__all__ = ["ControlNote", "Explanation", "RuleInfo", "explain", "lookup_rule"]

#: A fingerprint prefix shorter than this is too likely to be a rule id or a typo.
MIN_PREFIX = 6
_HEX = re.compile(r"^[0-9a-f]+$")

#: Fix guidance by weakness, for rules whose tool gives none (many say what, not how).
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
    config: Config | None = None,
    advisory_db: Path | None = None,
) -> Explanation:
    """Look `query` up as a finding fingerprint (or a unique prefix), else as a rule id."""
    query = query.strip()
    lookup = RuleLookup(config or installed().scanners.default_config(), advisory_db)
    if not query or query.startswith("-"):
        raise UsageError("give a rule id (B602, AWS-0086, ...) or a finding fingerprint")
    findings = saved.result.findings if saved is not None else ()
    finding = by_fingerprint(query, findings)
    if finding is not None:
        info, subject, occurrences = _of_finding(finding, findings, lookup)
    else:
        info, subject, occurrences = _of_rule(query, findings, lookup, saved is not None)
    return Explanation(
        query=query,
        rule=info,
        controls=controls_for(subject, policy),
        finding=finding,
        occurrences=tuple(sorted(occurrences, key=lambda f: f.sort_key)),
        waivers=_waivers(saved.decision if saved is not None else None, occurrences),
        results_file=results_file if saved is not None else None,
    )


_Found = tuple[RuleInfo, Finding, tuple[Finding, ...]]


def _of_finding(finding: Finding, findings: Sequence[Finding], lookup: RuleLookup) -> _Found:
    """A finding looked up by fingerprint: its rule, and every finding of that rule."""
    rule = lookup_rule(finding.rule_id, finding.scanner, lookup)
    info = merge(rule, from_finding(finding, "the results file"))
    occurrences = tuple(
        f for f in findings if f.rule_id == finding.rule_id and f.scanner == finding.scanner
    )
    return info, finding, occurrences


def _of_rule(
    query: str, findings: Sequence[Finding], lookup: RuleLookup, have_results: bool
) -> _Found:
    """A rule id: what its scanner says of it, and what the results show of it."""
    occurrences = tuple(f for f in findings if _same_rule(f, query))
    static = lookup_rule(query, None, lookup)
    seen = from_finding(occurrences[0], "the results file") if occurrences else None
    if static is None and seen is None:
        hint = "" if have_results else " (and no results file was found to look in)"
        raise UsageError(
            f"{query!r} is neither a rule id secscan knows nor a finding fingerprint in "
            f"the last results{hint}; run a scan first, or give --results FILE"
        )
    info = merge(static, seen)
    return info, occurrences[0] if occurrences else synthetic(info), occurrences


def _waivers(
    decision: Decision | None, occurrences: Iterable[Finding]
) -> tuple[tuple[str, WaiverRecord], ...]:
    if decision is None:
        return ()
    found = ((f.fingerprint, decision.waiver_for(f.fingerprint)) for f in occurrences)
    return tuple((fp, w) for fp, w in found if w is not None)


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


def lookup_rule(rule_id: str, scanner: str | None, lookup: RuleLookup) -> RuleInfo | None:
    """The tool's or rule pack's own description of a rule, when its scanner can read it
    offline: the named scanner's, else the first scanner's that knows the id (built-ins
    first, in registry order)."""
    known = installed().scanners
    reg = known.classes
    if scanner is not None:
        names = [scanner] if scanner in reg else []
    else:
        names = [
            *(n for n in reg if n in known.builtins),
            *(n for n in reg if n not in known.builtins),
        ]
    for name in names:
        found = reg[name]().describe_rule(rule_id, lookup)
        if found is not None:
            return found
    return None


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


@dataclass(frozen=True)
class Looked:
    """`secscan explain`: the explanation, and the root of the scan it came from (None: no
    results file was read)."""

    explanation: Explanation
    root: Path | None


def look_up(
    ident: str, results_file: Path | None, config_file: Path | None, policy_dir: Path | None
) -> Looked:
    """Explain `ident` with the config and policy here and the last results: --results, else
    secscan-results.json in the config's output_dir, else in ./secscan-reports."""
    root = Path.cwd()
    config = installed().load_config(root, config_file)
    policy = load_policy(policy_dir or config.resolve(config.policy))
    folder = config.resolve(config.output_dir) or root / "secscan-reports"
    path = results_file or folder / installed().formats.scan["json"].filename
    saved: SavedResults | None = None
    if path.is_file():
        saved = load(path)
    elif results_file is not None:
        raise ReportError(f"results file not found: {path}")
    ex = explain(
        ident,
        policy,
        saved=saved,
        results_file=str(path),
        config=config,
        advisory_db=config.resolve(config.advisories.db),
    )
    return Looked(ex, Path(saved.result.root) if saved is not None else None)
