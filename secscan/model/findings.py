"""Frozen value objects shared by every stage: what was found, by whom, what was not assessed."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from secscan.util.tooldigest import ToolIdentity


class Severity(StrEnum):
    """Ordered: CRITICAL > HIGH > MEDIUM > LOW > INFO."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    # str's comparisons would order alphabetically; severities order by rank.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    __hash__ = StrEnum.__hash__

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept the words the tools use (ERROR/WARNING/UNKNOWN/...)."""
        word = text.strip().lower()
        return (
            _SEVERITY_ALIASES.get(word, cls.INFO)
            if word not in cls._value2member_map_
            else cls(word)
        )


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}
_SEVERITY_ALIASES = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "note": Severity.LOW,
    "unknown": Severity.INFO,
    "undefined": Severity.INFO,
    "none": Severity.INFO,
}


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> Confidence:
        word = (text or "").strip().lower()
        return cls(word) if word in cls._value2member_map_ else cls.UNKNOWN


class FindingKind(StrEnum):
    CODE = "code"
    DEPENDENCY = "dependency"
    IMAGE = "image"
    IAC = "iac"
    SECRET = "secret"  # noqa: S105 - a finding kind, not a password
    #: A gate setting the change under review weakened (secscan's own check, settings/trust.py).
    POLICY = "policy"
    #: A dependency whose licence the licence policy forbids, wants reviewed, or cannot tell.
    LICENSE = "license"
    #: Personal data a model declares, or a flow of it into logs, third parties, HTTP, files.
    PRIVACY = "privacy"


class RunStatus(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is. `path` is POSIX, relative to the scan root (or a stable pseudo-path)."""

    path: str
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None
    snippet: str | None = None
    #: In a Jupyter notebook, the code cell (1-based, counting code cells only) the lines
    #: are in: `start_line`/`end_line` are then lines of that cell.
    cell: int | None = None


@dataclass(frozen=True, slots=True)
class Package:
    """The vulnerable package behind a dependency or image finding."""

    name: str
    version: str
    ecosystem: str
    purl: str | None = None
    fixed_versions: tuple[str, ...] = ()
    #: Its licence as an SPDX expression (or the words it states, when they are none), where
    #: a scanner read it (the licence scanner); None: not read.
    license: str | None = None


class SuppressionKind(StrEnum):
    #: A comment in the scanned file (`# nosec`, `# nosemgrep`, `#trivy:ignore:...`).
    IN_SOURCE = "inSource"


@dataclass(frozen=True, slots=True)
class Suppression:
    """A tool's inline directive that would hide this finding: kept as data, never obeyed blindly.

    The scanned tree wrote it, so whether it is honoured is the gate profile's decision.
    """

    directive: str
    kind: SuppressionKind = SuppressionKind.IN_SOURCE
    #: The line the directive is on (it may sit above the flagged statement).
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RuleClaims:
    """What a rule says about other rules' findings on its span (secscan.scan.flaws reads it).

    Only a rule of a trusted rule set (secscan's pack, or a rule file the trusted side's
    config names) carries claims: a rule set the change under review added never does.
    """

    #: Why a match proves the flagged value safe ("the command is a string literal");
    #: empty when the rule proves nothing.
    proves_safe: str = ""
    #: "scanner:rule-id" of the findings the proof vouches for, when their spans overlap.
    vouches_for: tuple[str, ...] = ()
    #: "scanner:rule-id" of other tools' rules that report this same flaw on the same line
    #: under different CWE ids (bandit B201 and the pack's Flask debug rule).
    same_flaw_as: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rating:
    """Whose severity a finding carries, and why (secscan.scan.flaws decides it for a flaw that
    several reports were merged into, or that a trusted rule proved safe)."""

    scanner: str
    rule_id: str
    reason: str
    #: A trusted rule proved the flagged value safe: the severity is below another tool's.
    proven_safe: bool = False


class Scope(StrEnum):
    """Which part of the project a finding is in (secscan.workspace.scopes classifies by path)."""

    SOURCE = "source"
    TEST = "test"
    EXAMPLE = "example"
    DOCS = "docs"
    VENDORED = "vendored"
    GENERATED = "generated"


#: Scopes whose findings stand apart in headlines (counts, top findings): test code, examples
#: and docs, which no shipped profile gates by default.
APART_SCOPES = frozenset({Scope.TEST, Scope.EXAMPLE, Scope.DOCS})


def headline_order(findings: Iterable[Finding], failing: Collection[str] = ()) -> list[Finding]:
    """Findings in the order a headline shows them: those that failed the gate first, then
    the gating scopes' (source, vendored, generated), then test/example/docs; each most
    severe first."""
    return sorted(
        findings,
        key=lambda f: (
            f.fingerprint not in failing,
            f.scope in APART_SCOPES,
            *f.sort_key,
        ),
    )


@dataclass(frozen=True, slots=True)
class Epss:
    """FIRST's Exploit Prediction Scoring System score of one CVE on one day: the probability
    (0-1) of exploitation activity in the next 30 days, and its percentile among all CVEs."""

    cve: str
    score: float
    percentile: float
    #: The score date of the EPSS file it came from (YYYY-MM-DD).
    date: str


@dataclass(frozen=True, slots=True)
class Kev:
    """An entry of CISA's Known Exploited Vulnerabilities catalog: exploitation is attested."""

    cve: str
    #: When CISA added it (YYYY-MM-DD), and when US federal agencies must have remediated it.
    date_added: str
    due_date: str
    #: `knownRansomwareCampaignUse` is "Known".
    ransomware: bool = False


class Reach(StrEnum):
    """Whether the project's own code imports a dependency finding's distribution."""

    IMPORTED = "imported"
    NOT_IMPORTED = "not imported (static)"
    #: Dynamic imports, unreadable source, or modules/dependencies not known: gates like
    #: `imported`.
    UNKNOWN = "unknown (dynamic imports)"


@dataclass(frozen=True, slots=True)
class Reachability:
    """Import reachability of a Python dependency finding (secscan.scan.reachability). It
    never waives: `not imported` only suggests a VEX statement a person may approve."""

    label: Reach
    #: Why, for people: which file imports which module, or what could not be ruled out.
    reason: str
    #: The top-level modules of the distribution that were looked for.
    modules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """One tool's report of a flaw that several tools (or one tool twice) reported.

    Its fingerprint is the one that tool's finding had alone, so baselines and waivers
    written against any of the sources keep matching the merged finding.
    """

    scanner: str
    rule_id: str
    fingerprint: str
    severity: Severity
    title: str = ""


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One step of a traced data flow: where, and what happens to the data there."""

    location: Location
    note: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    scanner: str
    rule_id: str
    title: str
    message: str
    severity: Severity
    kind: FindingKind
    location: Location
    confidence: Confidence = Confidence.UNKNOWN
    cwe: tuple[int, ...] = ()
    references: tuple[str, ...] = ()
    remediation: str | None = None
    package: Package | None = None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    resource: str | None = None
    cvss_vector: str | None = None
    cvss_score: float | None = None
    fingerprint: str = ""
    controls: tuple[str, ...] = ()
    #: SHA-256 of the whole statement the tool flagged, whitespace folded. Computed once from
    #: the file, then kept, so a finding is re-keyed (merge, renamed file) without its file.
    statement_digest: str = ""
    #: Set when an inline directive in the scanned file asks the tool to hide this finding.
    suppression: Suppression | None = None
    scope: Scope = Scope.SOURCE
    #: The other reports of the same flaw merged into this one (secscan.scan.flaws.one_per_flaw):
    #: empty for a flaw one tool reported once.
    also_reported_by: tuple[Source, ...] = ()
    #: What the rule says about other rules' findings (trusted rule sets only).
    claims: RuleClaims | None = None
    #: The rule comes from a rule set the change under review added: its finding is added,
    #: never merged with, lowering or suppressing another rule's finding.
    review_rule: bool = False
    #: Whose severity this flaw carries and why; None: the one tool that reported it.
    rating: Rating | None = None
    #: Exploit data of its advisory or an alias (secscan.advisories.exploits), None when the
    #: advisory database holds none for it.
    epss: Epss | None = None
    kev: Kev | None = None
    #: Whether the project imports a Python dependency finding's distribution; None: not
    #: assessed (other kinds, other ecosystems, results from before it was).
    reachability: Reachability | None = None
    #: The data flow that proves it, source first and sink last, each step a place with a
    #: note ("passed to run_cmd() as target"); empty when the tool traced none.
    flow: tuple[FlowStep, ...] = ()

    @property
    def decided_by(self) -> Rating:
        """Which tool's rating decided this finding's severity, and why."""
        if self.rating is not None:
            return self.rating
        return Rating(self.scanner, self.rule_id, "the only report of this flaw")

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """Its own fingerprint and those of every merged source: what waivers and baselines
        may name."""
        return tuple(
            dict.fromkeys((self.fingerprint, *(s.fingerprint for s in self.also_reported_by)))
        )

    @property
    def sort_key(self) -> tuple[int, str, int, str, str]:
        """Most severe first, then by place: the order every report uses."""
        return (
            -self.severity.rank,
            self.location.path,
            self.location.start_line or 0,
            self.rule_id,
            self.fingerprint,
        )


#: How a NotAnalyzed reason ends when the cause was the run, not the file.
TRANSIENT = "(not analyzed in this run; scanned again next time)"


@dataclass(frozen=True, slots=True)
class NotAnalyzed:
    """A file a tool could not assess (syntax error, binary, too large, link outside the root)."""

    path: str
    reason: str
    #: The tool was handed the file but has no rule for its type (semgrep's pack reads no
    #: shell script): outside its coverage, which is no failure to analyze it.
    uncovered: bool = False

    @property
    def transient(self) -> bool:
        """The cause was this run's, not the file's (a per-file timeout, memory): the next
        run may analyze it, so the result is never cached. Said by the reason's ending."""
        return self.reason.endswith(TRANSIENT)


class Authority(StrEnum):
    """On whose say a path was excluded."""

    #: The config's `exclude`/`include`, or its scopes' `skip_scopes`.
    CONFIG = "config"
    #: secscan's own defaults (VCS data, virtualenvs, caches, vendored and minified code).
    DEFAULT = "default"
    #: A command-line flag.
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class Excluded:
    """A path deliberately not scanned (a directory stands for everything below it), and why."""

    path: str
    reason: str
    #: None in results from before it was recorded.
    authority: Authority | None = None


class Fate(StrEnum):
    """What became of one file of the tree: exactly one of these."""

    #: Read by at least one selected scanner, and no selected scanner failed on it.
    ANALYZED = "analyzed"
    #: Deliberately left out (a config or default exclusion), on a named authority.
    EXCLUDED = "excluded"
    #: A selected scanner should have read it and could not (too large, unparsable,
    #: timed out, the tool failed or ignored it): its flaws are unknown.
    NOT_ANALYZED = "not-analyzed"
    #: No selected scanner reads its type (or the ones handed it have no rule for it).
    OUTSIDE_COVERAGE = "outside-coverage"


@dataclass(frozen=True, slots=True)
class FileFate:
    """One file's (or one excluded directory's) fate in a scan."""

    path: str
    fate: Fate
    #: The scanners that analyzed it (for any fate but excluded, those that did read it).
    scanners: tuple[str, ...] = ()
    #: Why it was excluded, not analyzed or is outside coverage ("" when analyzed).
    reason: str = ""
    #: Excluded: on whose say.
    authority: Authority | None = None
    #: Its type as coverage lists it: the lower-case suffix (`.sh`), `#!python` for a
    #: script named by its shebang, or `(no extension)`.
    file_type: str = ""
    #: Excluded: whether `path` is a directory standing for everything below it.
    directory: bool = False


@dataclass(frozen=True, slots=True)
class AdvisorySource:
    """Which vulnerability data backed dependency and image findings, and how fresh it was."""

    kind: str  # "osv-api" | "local-osv" | "trivy-db"
    location: str
    newest_modified: str | None = None
    record_count: int | None = None


@dataclass(frozen=True, slots=True)
class ScannerRun:
    scanner: str
    kind: FindingKind
    status: RunStatus
    tool_version: str | None = None
    duration_s: float = 0.0
    error: str | None = None
    findings: tuple[Finding, ...] = ()
    not_analyzed: tuple[NotAnalyzed, ...] = ()
    targets: int = 0
    inline_suppressions: int = 0
    advisory_source: AdvisorySource | None = None
    rulesets: tuple[str, ...] = ()
    cached: bool = False
    #: Every package the scanner saw (a dependency scanner's pins, an image's packages), vulnerable
    #: or not: the SBOM's components.
    components: tuple[Package, ...] = ()
    #: Per target kind (secscan.model.targets.TargetKind), how many targets the run analyzed;
    #: None when not recorded (results from before it was). Decides which controls the
    #: run can evidence: workflow YAML is no Terraform.
    target_kinds: tuple[tuple[str, int], ...] | None = None
    #: The files (or the image) this run was asked to assess, POSIX relative to the root: what
    #: history needs to tell "fixed" (assessed, not reported) from "not scanned".
    paths: tuple[str, ...] = ()
    #: What the run did differently from what was asked (a scanner's fallback, and why).
    notes: tuple[str, ...] = ()
    #: The executable the run used: path, SHA-256, installing distribution (None: the
    #: scanner runs no executable of its own, or results from before it was recorded).
    tool: ToolIdentity | None = None
    #: The executable did not match the tools lock in force, so it was not run: an error no
    #: profile tolerates (`scanner_error: warn` included).
    lock_mismatch: bool = False


@dataclass(frozen=True, slots=True)
class ScanResult:
    root: str
    started_at: datetime
    secscan_version: str
    runs: tuple[ScannerRun, ...] = ()
    finished_at: datetime | None = None
    git_commit: str | None = None
    not_analyzed: tuple[NotAnalyzed, ...] = ()
    config_path: str | None = None
    metadata: tuple[tuple[str, str], ...] = field(default=())
    excluded: tuple[Excluded, ...] = ()
    #: Every file's fate (secscan.model.fates); None in results from before it was recorded.
    fates: tuple[FileFate, ...] | None = None
    #: Under `ci --new-since`: the files the change under review adds or changes.
    changed: tuple[str, ...] | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(sorted((f for r in self.runs for f in r.findings), key=lambda f: f.sort_key))

    @property
    def failed_runs(self) -> tuple[ScannerRun, ...]:
        return tuple(r for r in self.runs if r.status is RunStatus.ERROR)
